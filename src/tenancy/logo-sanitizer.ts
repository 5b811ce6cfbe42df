import zlib from "node:zlib";
import { PorticoError } from "../errors.js";

/**
 * A project's uploaded logo, made safe to serve to every end user on the hosted page: an SVG is
 * rebuilt from an allow-list of shape elements and presentation attributes (no script, no event
 * handler, no style, no reference outside the file, no DOCTYPE and so no entities); a PNG keeps
 * only the chunks that draw it (its text and metadata chunks go), with every CRC checked. Both are
 * capped in size. The logo is also served with a sandboxing CSP and shown through <img>, where no
 * script runs: this is the layer that does not depend on how it is displayed.
 */
export const PROJECT_LOGO_MAX_BYTES = 64 * 1024;
const PNG_MAX_SIDE = 2048;

export type SanitizedLogo = { contentType: "image/svg+xml" | "image/png"; data: Buffer };

const bad = (why: string) => new PorticoError("VALIDATION", `logo: ${why}`);

export function sanitizeLogo(bytes: Buffer): SanitizedLogo {
  if (bytes.length === 0) throw bad("the file is empty");
  if (bytes.length > PROJECT_LOGO_MAX_BYTES)
    throw bad(`${bytes.length} bytes, more than ${PROJECT_LOGO_MAX_BYTES} (64 KiB)`);
  if (bytes.subarray(0, 8).equals(PNG_SIGNATURE))
    return { contentType: "image/png", data: sanitizePng(bytes) };
  const text = bytes.toString("utf8");
  if (
    /^\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE[^>[]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg[\s>]/i.test(
      text,
    )
  )
    return { contentType: "image/svg+xml", data: Buffer.from(sanitizeSvg(text)) };
  throw bad("must be an SVG or a PNG image");
}

// ---- SVG ------------------------------------------------------------------------------------

const ELEMENTS = new Set(
  [
    "svg",
    "g",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "defs",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "mask",
    "title",
    "desc",
    "text",
    "tspan",
    "use",
    "symbol",
  ].map((e) => e.toLowerCase()),
);
const TEXT_ELEMENTS = new Set(["title", "desc", "text", "tspan"]);
const ATTRIBUTES = new Set(
  [
    "id",
    "d",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "fx",
    "fy",
    "width",
    "height",
    "viewBox",
    "points",
    "fill",
    "fill-opacity",
    "fill-rule",
    "clip-rule",
    "stroke",
    "stroke-width",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "stroke-dashoffset",
    "stroke-opacity",
    "opacity",
    "transform",
    "gradientUnits",
    "gradientTransform",
    "spreadMethod",
    "offset",
    "stop-color",
    "stop-opacity",
    "clip-path",
    "clipPathUnits",
    "mask",
    "maskUnits",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "letter-spacing",
    "text-anchor",
    "dominant-baseline",
    "preserveAspectRatio",
    "version",
    "href",
    "xlink:href",
    "role",
    "aria-label",
  ].map((a) => a.toLowerCase()),
);

const decode = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_m, e: string) => {
    const k = e.toLowerCase();
    if (k.startsWith("#x")) return String.fromCodePoint(Number.parseInt(k.slice(2), 16));
    if (k.startsWith("#")) return String.fromCodePoint(Number(k.slice(1)));
    return ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[k]!;
  });
const escapeXml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** A value that may stay: references only within the file (`#id`, `url(#id)`), nothing that runs. */
function safeValue(name: string, value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(value)) return false;
  const squeezed = value.replace(/\s+/g, "").toLowerCase();
  if (/javascript:|vbscript:|data:|expression\(/.test(squeezed)) return false;
  if (name === "href" || name === "xlink:href") return /^#[\w.-]+$/.test(value.trim());
  for (const m of squeezed.matchAll(/url\(([^)]*)\)/g)) if (!/^["']?#[\w.-]+["']?$/.test(m[1]!)) return false;
  return true;
}

/** Rebuilds an SVG from what the allow-lists keep; throws where the file cannot be a logo. */
export function sanitizeSvg(svg: string): string {
  if (/<!DOCTYPE[^>]*\[/i.test(svg) || /<!ENTITY/i.test(svg)) throw bad("an SVG may not declare entities");
  if (/<!\[CDATA\[/i.test(svg)) throw bad("an SVG may not hold CDATA sections");
  const source = svg
    .replace(/<\?[\s\S]*?\?>/g, "")
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<!DOCTYPE[^>]*>/gi, "");
  const out: string[] = [];
  const stack: string[] = [];
  let skipping = 0;
  let sawRoot = false;
  const token =
    /<\/\s*([\w:-]+)\s*>|<([\w:-]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|(<)/g;
  for (const m of source.matchAll(token)) {
    const [, close, open, attrs, selfClose, text, stray] = m;
    if (stray) throw bad("the SVG is not well-formed");
    if (text !== undefined) {
      const top = stack.at(-1);
      if (!skipping && top && TEXT_ELEMENTS.has(top) && text.trim()) out.push(escapeXml(decode(text)));
      continue;
    }
    if (close) {
      const name = close.toLowerCase();
      if (skipping) {
        if (name === stack.at(-1)) {
          stack.pop();
          skipping--;
        }
        continue;
      }
      if (stack.at(-1) !== name) throw bad("the SVG is not well-formed");
      stack.pop();
      out.push(
        `</${name === "lineargradient" ? "linearGradient" : name === "radialgradient" ? "radialGradient" : name === "clippath" ? "clipPath" : name}>`,
      );
      continue;
    }
    const tag = open!;
    const name = tag.toLowerCase();
    if (!sawRoot) {
      if (name !== "svg") throw bad("an SVG must start with <svg>");
      sawRoot = true;
    } else if (stack.length === 0) throw bad("an SVG has one root element");
    const keep = !skipping && ELEMENTS.has(name);
    if (!keep) {
      if (!selfClose) {
        stack.push(name);
        skipping++;
      }
      continue;
    }
    const kept: string[] = [];
    for (const a of (attrs ?? "").matchAll(/([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      const attr = a[1]!;
      const value = decode(a[2] ?? a[3] ?? "");
      if (!ATTRIBUTES.has(attr.toLowerCase()) || !safeValue(attr.toLowerCase(), value)) continue;
      kept.push(` ${attr}="${escapeXml(value)}"`);
    }
    if (name === "svg" && stack.length === 0) kept.unshift(' xmlns="http://www.w3.org/2000/svg"');
    out.push(`<${tag}${kept.join("")}${selfClose ? "/>" : ">"}`);
    if (!selfClose) stack.push(name);
  }
  if (!sawRoot || stack.length) throw bad("the SVG is not well-formed");
  return out.join("");
}

// ---- PNG ------------------------------------------------------------------------------------

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Chunks that draw the image; everything else (text, EXIF, times, private chunks) is dropped. */
const PNG_KEEP = new Set([
  "IHDR",
  "PLTE",
  "IDAT",
  "IEND",
  "tRNS",
  "gAMA",
  "cHRM",
  "sRGB",
  "sBIT",
  "bKGD",
  "pHYs",
]);

export function sanitizePng(png: Buffer): Buffer {
  const parts: Buffer[] = [PNG_SIGNATURE];
  let at = 8;
  let first = true;
  let ended = false;
  while (at < png.length) {
    if (at + 12 > png.length) throw bad("the PNG is truncated");
    const length = png.readUInt32BE(at);
    const type = png.toString("latin1", at + 4, at + 8);
    const end = at + 12 + length;
    if (end > png.length) throw bad("the PNG is truncated");
    const crc = png.readUInt32BE(at + 8 + length);
    if (zlib.crc32(png.subarray(at + 4, at + 8 + length)) !== crc)
      throw bad(`the PNG's ${type} chunk is damaged`);
    if (first) {
      if (type !== "IHDR") throw bad("the PNG does not start with its header");
      const width = png.readUInt32BE(at + 8);
      const height = png.readUInt32BE(at + 12);
      if (!width || !height || width > PNG_MAX_SIDE || height > PNG_MAX_SIDE)
        throw bad(`a PNG logo may be at most ${PNG_MAX_SIDE} pixels a side`);
      first = false;
    }
    if (PNG_KEEP.has(type)) parts.push(png.subarray(at, end));
    at = end;
    if (type === "IEND") {
      ended = true;
      break;
    }
  }
  if (!ended) throw bad("the PNG has no end");
  return Buffer.concat(parts);
}
