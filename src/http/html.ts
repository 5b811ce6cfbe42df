import type { FastifyReply } from "fastify";

/** The few HTML pages Portico serves (hosted hub, OAuth popup pages, sandbox), built one way. */
export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** A UTF-8 page with Portico's stylesheet; `body` is trusted markup, `title` is escaped. */
export function htmlDocument(title: string, body: string, scripts: string[] = []): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/embedded/assets/page.css">
</head>
<body>
<main>
${body}
</main>
${scripts.map((s) => `<script src="${s}"></script>`).join("\n")}
</body>
</html>
`;
}

/** A card with a heading and a message, both escaped. */
export const messageCard = (title: string, message: string): string =>
  `<div class="card"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></div>`;

/**
 * Sends a page: these pages may carry a token or a code in their URL, so no referrer leaves them
 * and nothing caches them; each says exactly what it may load.
 */
export function sendHtml(reply: FastifyReply, status: number, html: string, csp: string): FastifyReply {
  return reply
    .status(status)
    .header("content-security-policy", csp)
    .header("referrer-policy", "no-referrer")
    .header("cache-control", "no-store")
    .type("text/html; charset=utf-8")
    .send(html);
}
