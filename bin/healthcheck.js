#!/usr/bin/env node
// The container image's HEALTHCHECK: exits 0 when Portico in this container answers /readyz with
// 200 within three seconds, 1 otherwise. A few lines of Node rather than the whole CLI, which would
// load every module of Portico at every check; no curl in a slim image either.
const port = process.env.PORTICO_PORT || "4000";
try {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(3000) });
  process.exit(res.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
