import { escapeHtml } from "../http/html.js";
import type { ProjectSettingsView } from "../tenancy/project-settings.js";

/**
 * The project's brand on the hosted pages (hub/pages.ts): the header with its logo and name, the
 * accent colour as a CSS variable, the footer with its support link and the way back to the app,
 * and the hub's theme. Every value was checked when it was set (tenancy/project-settings.ts) and is
 * escaped here all the same.
 */

/** WCAG relative luminance of a #RRGGBB colour. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** White text on the accent unless black contrasts better. */
export const onAccent = (hex: string) => {
  const l = luminance(hex);
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? "#FFFFFF" : "#000000";
};

/**
 * The hub's `theme` attribute: a partial malachite theme (hub-api.md section 1) whose primary
 * buttons and accents wear the project's colour; null keeps the hub's own light theme.
 */
export function hubTheme(accent: string | null): string | null {
  if (!accent) return null;
  const fg = onAccent(accent);
  return JSON.stringify({
    colors: {
      primary: { background: accent, foreground: fg, border: accent, borderHover: accent },
      // The hub's filled buttons (Connect) draw with `secondary` in malachite.
      secondary: { background: accent, foreground: fg, border: accent, borderHover: accent },
      accent: { background: accent, foreground: fg, border: accent, backgroundGlass: accent },
    },
  });
}

export const brandStyle = (brand: ProjectSettingsView | null): string =>
  brand?.accent_color
    ? ` style="--accent: ${escapeHtml(brand.accent_color)}; --on-accent: ${onAccent(brand.accent_color)}"`
    : "";

export function brandHeader(brand: ProjectSettingsView | null): string {
  if (!brand || (!brand.display_name && !brand.logo_url)) return "";
  const name = brand.display_name ?? brand.name;
  const logo = brand.logo_url
    ? `<img class="brand-logo" src="${escapeHtml(brand.logo_url)}" alt="${escapeHtml(name)} logo">`
    : "";
  return `<header class="brand">${logo}${brand.display_name ? `<span class="brand-name">${escapeHtml(brand.display_name)}</span>` : ""}</header>`;
}

export function brandFooter(brand: ProjectSettingsView | null, errorUrl: string | null): string {
  const links: string[] = [];
  if (errorUrl)
    links.push(
      `<a id="portico-cancel" href="${escapeHtml(withQuery(errorUrl, { reason: "cancelled" }))}">Cancel and go back</a>`,
    );
  if (brand?.support_url)
    links.push(
      `<a class="support" href="${escapeHtml(brand.support_url)}" target="_blank" rel="noopener noreferrer">Need help? Contact ${escapeHtml(brand.display_name ?? "support")}</a>`,
    );
  return links.length ? `<footer class="brand-footer">${links.join("")}</footer>` : "";
}

/** A URL with query parameters set (the app's own parameters kept). */
export function withQuery(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}
