import fs from "node:fs";
import pg from "pg";
import { CHROMIUM, PG_URL, PROMETHEUS, PROMTOOL, REQUIRE_ALL } from "./env.js";
import { missingForImage } from "./image.js";
import { pgBin } from "./own-postgres.js";

/**
 * Probes the optional services once and tells every worker what is there. What is missing is
 * said loudly; with PORTICO_TEST_REQUIRE_ALL=1 the suites that need it run anyway and fail.
 */
export default async function setup(): Promise<void> {
  let postgres = false;
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query("select 1");
    postgres = true;
  } catch (err) {
    console.warn(
      `\n!! PostgreSQL unreachable at ${PG_URL} (${(err as Error).message}): PostgreSQL suites will be skipped${REQUIRE_ALL ? " and counted as failed" : ""}.\n`,
    );
  } finally {
    await client.end().catch(() => {});
  }
  if (!pgBin())
    console.warn(
      `\n!! PostgreSQL server binaries (initdb, pg_ctl) not found: the database outage suite will be skipped${REQUIRE_ALL ? " and counted as failed" : ""} (apt-get install -y postgresql, or set PORTICO_TEST_PG_BIN).\n`,
    );
  const chromium = fs.existsSync(CHROMIUM);
  if (!chromium)
    console.warn(
      `\n!! Chromium not found at ${CHROMIUM}: browser suites will be skipped (apt-get install -y chromium).\n`,
    );
  const image = missingForImage();
  if (image.length)
    console.warn(
      `\n!! The container image suite needs ${image.join(", ")}: it will be skipped${REQUIRE_ALL ? " and counted as failed" : ""} (apt-get install -y podman buildah mmdebstrap).\n`,
    );
  if (!fs.existsSync(PROMETHEUS) || !fs.existsSync(PROMTOOL))
    console.warn(
      `\n!! Prometheus or promtool not found (${PROMETHEUS}, ${PROMTOOL}): the metrics suites will be skipped${REQUIRE_ALL ? " and counted as failed" : ""} (apt-get install -y prometheus).\n`,
    );
  process.env.PORTICO_TEST_HAS_POSTGRES = postgres ? "1" : "0";
  // Two test files at a time, each with servers and spawned processes, share one PostgreSQL with
  // 100 connections: small pools keep the suite under that limit (spawned processes inherit it).
  process.env.PORTICO_DATABASE_POOL_SIZE ??= "4";
  // Metrics listen on a fixed port by default (9464): servers the tests spawn side by side would
  // fight over it. The telemetry tests give theirs a free port.
  process.env.PORTICO_METRICS_PORT ??= "0";
  process.env.PORTICO_TEST_HAS_CHROMIUM = chromium ? "1" : "0";
}
