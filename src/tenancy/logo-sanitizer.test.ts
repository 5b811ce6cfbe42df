import { describe, expect, it } from "vitest";
import { sanitizeLogo, sanitizeSvg } from "./logo-sanitizer.js";

describe("logo sanitiser", () => {
  it("keeps shapes, colours and local gradients", () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs><rect width="10" height="10" fill="url(#g)"/><title>Acme &amp; Co</title></svg>';
    expect(sanitizeSvg(svg)).toBe(svg);
  });

  it("drops scripts, handlers, styles, foreign objects and outside references", () => {
    const out = sanitizeSvg(
      `<svg viewBox="0 0 1 1" onload="x()"><script>alert(1)</script><style>*{background:url(https://x.test)}</style>
<foreignObject><div>hi</div></foreignObject><image href="https://x.test/a.png"/><use href="https://x.test/s.svg#a"/>
<use xlink:href="#ok"/><a href="javascript:alert(1)"><rect width="1" height="1"/></a><rect fill="url(https://x.test/p)" width="1" height="1" style="fill:red"/>
<path d="M0 0" fill="&#106;avascript:alert(1)"/></svg>`,
    );
    expect(out).not.toMatch(/script|onload|style|foreignObject|image|https|javascript|<a[\s>]|<div/i);
    expect(out).toContain('<use xlink:href="#ok"/>');
    expect(out).toContain('<rect width="1" height="1"/>');
    expect(out.startsWith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">')).toBe(true);
  });

  it("refuses entities, CDATA, broken markup, other formats and oversize files", () => {
    expect(() => sanitizeSvg('<!DOCTYPE svg [<!ENTITY x "y">]><svg>&x;</svg>')).toThrow(/entities/);
    expect(() => sanitizeSvg("<svg><![CDATA[x]]></svg>")).toThrow(/CDATA/);
    expect(() => sanitizeSvg("<svg><g></svg>")).toThrow(/well-formed/);
    expect(() => sanitizeLogo(Buffer.from("GIF89a"))).toThrow(/SVG or a PNG/);
    expect(() => sanitizeLogo(Buffer.alloc(70_000, 32))).toThrow(/64 KiB/);
    expect(() => sanitizeLogo(Buffer.from("89504e470d0a1a0a00000000", "hex"))).toThrow(/PNG/);
  });
});
