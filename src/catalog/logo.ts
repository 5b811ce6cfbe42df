import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Brand } from "./schema.js";

/**
 * A provider's logo, drawn from its `brand`: the simple-icons path filled with the brand colour, or
 * a monogram on that colour where the set lacks the brand. `portico catalog logos` writes them and
 * `portico catalog lint` redraws them to check the files were not edited by hand.
 */

/** Logos ship in every response of the hub list: keep each one small. */
export const LOGO_MAX_BYTES = 16 * 1024;

export type SimpleIcon = { title: string; slug: string; hex: string; svg: string; path: string };
export type IconSet = { version: string; bySlug: Map<string, SimpleIcon> };

/**
 * The icon set, or null where it is not installed: simple-icons is a dev dependency, so a
 * production install can still lint everything but the drawing.
 */
export async function loadIconSet(): Promise<IconSet | null> {
  let mod: Record<string, unknown>;
  try {
    mod = await import("simple-icons");
  } catch {
    return null;
  }
  const bySlug = new Map<string, SimpleIcon>();
  for (const v of Object.values(mod)) {
    const icon = v as SimpleIcon;
    if (icon && typeof icon.slug === "string" && typeof icon.path === "string") bySlug.set(icon.slug, icon);
  }
  // The package's exports map hides package.json: find it beside the resolved entry point.
  const require = createRequire(import.meta.url);
  let dir = path.dirname(require.resolve("simple-icons"));
  while (!fs.existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  const { version } = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as {
    version: string;
  };
  return { version, bySlug };
}

const escapeXml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** WCAG relative luminance of a #RRGGBB colour. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** White letters unless black ones contrast better with the brand colour. */
const letterColor = (hex: string) => {
  const l = luminance(hex);
  return (1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? "#FFFFFF" : "#000000") as string;
};

/** "Microsoft Teams" -> "MT", "Slack" -> "S": initials of the first two words. */
export function monogramLetters(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join("");
}

export function monogramSvg(name: string, color: string): string {
  const letters = monogramLetters(name);
  const size = letters.length > 1 ? 26 : 28;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img"><title>${escapeXml(name)}</title>` +
    `<rect width="64" height="64" rx="14" fill="${color}"/>` +
    `<text x="32" y="${32 + Math.round(size * 0.36)}" font-family="Arial,Helvetica,sans-serif" font-size="${size}" ` +
    `font-weight="700" fill="${letterColor(color)}" text-anchor="middle">${escapeXml(letters)}</text></svg>`
  );
}

/** simple-icons' own SVG, unchanged but for `fill` on the root element. */
export const iconSvg = (icon: SimpleIcon, color: string): string =>
  icon.svg.replace(/^<svg /, `<svg fill="${color}" `);

/** The logo file for a brand; throws where the slug is not in the set. */
export function renderLogo(name: string, brand: Brand, set: IconSet): string {
  if (brand.simple_icons === null) return `${monogramSvg(name, brand.color)}\n`;
  const icon = set.bySlug.get(brand.simple_icons);
  if (!icon) throw new Error(`simple-icons ${set.version} has no icon "${brand.simple_icons}"`);
  return `${iconSvg(icon, brand.color)}\n`;
}
