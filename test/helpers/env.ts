/** Test environment knobs, in one place. */
export const PG_URL = process.env.PORTICO_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REQUIRE_ALL = process.env.PORTICO_TEST_REQUIRE_ALL === "1";
export const CHROMIUM = process.env.PORTICO_TEST_CHROMIUM ?? "/usr/bin/chromium";
/** Debian's prometheus package: the server a test scrapes Portico with, and its promtool. */
export const PROMETHEUS = process.env.PORTICO_TEST_PROMETHEUS ?? "/usr/bin/prometheus";
export const PROMTOOL = process.env.PORTICO_TEST_PROMTOOL ?? "/usr/bin/promtool";
