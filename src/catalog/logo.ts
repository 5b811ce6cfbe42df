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

/** An operator's own logo (catalog directory override) may be larger: an SVG or a PNG. */
export const OVERRIDE_LOGO_MAX_BYTES = 64 * 1024;

/** Anything in an SVG that could run or reach outside the file. */
export const NOT_SELF_CONTAINED =
  /<script|<foreignObject|\bon[a-z]+\s*=|(?:href|url)\s*[=(]\s*["']?\s*(?:https?:|\/\/|data:|javascript:)/i;

/** Why an operator's override logo cannot be served, or null when it can. */
export function checkOverrideLogo(file: string): string | null {
  const bytes = fs.readFileSync(file);
  if (bytes.length > OVERRIDE_LOGO_MAX_BYTES)
    return `${bytes.length} bytes, more than ${OVERRIDE_LOGO_MAX_BYTES}`;
  if (file.endsWith(".png"))
    return bytes.subarray(0, 8).toString("hex") === "89504e470d0a1a0a" ? null : "not a PNG file";
  const svg = bytes.toString("utf8");
  if (!/<svg[\s>]/.test(svg)) return "not an SVG file";
  if (NOT_SELF_CONTAINED.test(svg) || /<!ENTITY/i.test(svg))
    return "must be self-contained: no scripts, event handlers, entities or outside references";
  return null;
}

export type SimpleIcon = { title: string; slug: string; hex: string; svg: string; path: string };
/** An icon of an iconify JSON set: its SVG body and box. */
export type IconifyIcon = { body: string; left: number; top: number; width: number; height: number };
/** SVG Logos (`@iconify-json/logos`, CC0-1.0), the second source, where simple-icons lacks a brand. */
export type LogosSet = { version: string; icons: Map<string, IconifyIcon> };
export type IconSet = { version: string; bySlug: Map<string, SimpleIcon>; logos: LogosSet | null };

/** Where each logo source comes from and its licence, as the catalog records them. */
export const LOGO_SOURCES = {
  simple_icons: { name: "simple-icons", url: "https://simple-icons.org", licence: "CC0-1.0" },
  logos: { name: "SVG Logos", url: "https://github.com/gilbarbara/logos", licence: "CC0-1.0" },
  monogram: { name: "Portico monogram", url: null, licence: "MIT (drawn for this project)" },
} as const;

/** Which source a brand's logo is drawn from. */
export const logoSource = (brand: Brand | undefined): keyof typeof LOGO_SOURCES =>
  brand?.simple_icons ? "simple_icons" : brand?.logos ? "logos" : "monogram";

type IconifyJson = {
  width?: number;
  height?: number;
  icons: Record<string, Partial<IconifyIcon> & { body: string }>;
  aliases?: Record<string, { parent: string }>;
};

/** SVG Logos, or null where it is not installed (a dev dependency, like simple-icons). */
export function loadLogosSet(): LogosSet | null {
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    file = require.resolve("@iconify-json/logos/icons.json");
  } catch {
    return null;
  }
  const json = JSON.parse(fs.readFileSync(file, "utf8")) as IconifyJson;
  const { version } = JSON.parse(fs.readFileSync(path.join(path.dirname(file), "package.json"), "utf8")) as {
    version: string;
  };
  const box = (i: Partial<IconifyIcon> & { body: string }): IconifyIcon => ({
    body: i.body,
    left: i.left ?? 0,
    top: i.top ?? 0,
    width: i.width ?? json.width ?? 16,
    height: i.height ?? json.height ?? 16,
  });
  const icons = new Map<string, IconifyIcon>();
  for (const [name, icon] of Object.entries(json.icons)) icons.set(name, box(icon));
  for (const [name, alias] of Object.entries(json.aliases ?? {})) {
    const parent = json.icons[alias.parent];
    if (parent) icons.set(name, box(parent));
  }
  return { version, icons };
}

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
  return { version, bySlug, logos: loadLogosSet() };
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

/** An SVG Logos icon as a file: its body, unchanged, in its own box, titled with the provider. */
export const logosSvg = (name: string, icon: IconifyIcon): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${icon.left} ${icon.top} ${icon.width} ${icon.height}" role="img">` +
  `<title>${escapeXml(name)}</title>${icon.body}</svg>`;

/** The logo file for a brand; throws where the slug or icon is not in its set. */
export function renderLogo(name: string, brand: Brand, set: IconSet): string {
  if (brand.simple_icons === null && brand.logos) {
    if (!set.logos) throw new Error("@iconify-json/logos is not installed");
    const icon = set.logos.icons.get(brand.logos);
    if (!icon) throw new Error(`SVG Logos ${set.logos.version} has no icon "${brand.logos}"`);
    return `${logosSvg(name, icon)}\n`;
  }
  if (brand.simple_icons === null) return `${monogramSvg(name, brand.color)}\n`;
  const icon = set.bySlug.get(brand.simple_icons);
  if (!icon) throw new Error(`simple-icons ${set.version} has no icon "${brand.simple_icons}"`);
  return `${iconSvg(icon, brand.color)}\n`;
}
