import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, DIALECTS, dialectAvailable, type TestDatabase } from "../helpers/dialects.js";
import { firstStartKey, freePort, type ServeProcess, spawnServe } from "../helpers/processes.js";
import { prometheusAvailable, promtool } from "../helpers/prometheus.js";
import { basic } from "../helpers/test-server.js";

/**
 * `portico serve --processes 2`: the primary answers the scrape with both workers' numbers added
 * up. Every request opens a connection of its own, so node:cluster hands them to the workers in
 * turn: a scrape of one worker alone would count about half.
 */

type Log = { msg: string; pid: number; [k: string]: unknown };

const logs = (p: ServeProcess): Log[] =>
  p
    .output()
    .split("\n")
    .slice(0, -1)
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Log);

async function waitForLog(p: ServeProcess, pred: (l: Log) => boolean): Promise<Log> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const hit = logs(p).find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no such log line:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A scrape's unlabelled (or fully labelled) series value, or undefined. */
const seriesValue = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect) || !prometheusAvailable())(
    `one scrape for serve --processes 2 on ${dialect}`,
    () => {
      let db: TestDatabase;
      let dataDir: string;
      let server: ServeProcess;
      let metricsUrl: string;
      let apiKey: string;

      beforeAll(async () => {
        db = await createTestDatabase(dialect);
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-cluster-metrics-"));
        const port = await freePort();
        const metricsPort = await freePort();
        metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
        server = await spawnServe(
          {
            PORTICO_DATABASE_URL: db.url,
            PORTICO_DATA_DIR: dataDir,
            PORTICO_PORT: String(port),
            PORTICO_PUBLIC_URL: `http://127.0.0.1:${port}`,
            PORTICO_LOG_LEVEL: "info",
            PORTICO_METRICS_PORT: String(metricsPort),
            PORTICO_SHUTDOWN_DRAIN_MS: "0",
          },
          ["--processes", "2"],
        );
        const serving = await waitForLog(server, (l) => l.msg === "Portico serving with 2 processes");
        for (const pid of serving.worker_pids as number[])
          await waitForLog(server, (l) => l.msg === "Portico listening" && l.pid === pid);
        apiKey = firstStartKey(server.output())!;
      }, 60_000);

      afterAll(async () => {
        await server?.stop("SIGKILL");
        await db?.drop();
        if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      });

      it("adds up both workers' counts, and promtool accepts the scrape", async () => {
        const created = 20;
        for (let i = 0; i < created; i++) {
          const res = await fetch(`${server.url}/connect_sessions`, {
            method: "POST",
            headers: {
              authorization: basic(apiKey),
              "content-type": "application/json",
              connection: "close",
            },
            body: JSON.stringify({ origin_owner_id: `owner-${i}`, origin_owner_name: "Acme Inc" }),
          });
          expect(res.status).toBe(201);
        }
        const res = await fetch(metricsUrl);
        expect(res.status).toBe(200);
        const text = await res.text();
        expect(seriesValue(text, "portico_processes")).toBe(2);
        expect(seriesValue(text, "portico_connect_sessions_created_total")).toBe(created);
        expect(
          seriesValue(
            text,
            'portico_http_requests_total{method="POST",route="/connect_sessions",status="201"}',
          ),
        ).toBe(created);
        expect(
          seriesValue(
            text,
            'portico_http_request_duration_seconds_count{method="POST",route="/connect_sessions"}',
          ),
        ).toBe(created);
        // Read from the database by the worker that runs the jobs, once; up only if all say so.
        expect(seriesValue(text, "portico_webhook_backlog")).toBe(0);
        expect(seriesValue(text, "portico_database_up")).toBe(1);
        expect(seriesValue(text, 'portico_build_info{version="0.1.0"}')).toBe(1);
        expect(text.match(/^portico_connect_sessions_created_total /gm)).toHaveLength(1);
        const check = await promtool(["check", "metrics"], text);
        expect(check.output).toBe("");
        expect(check.code).toBe(0);
      });

      it("still answers while a worker is down, and counts it again once restarted", async () => {
        const worker = logs(server).find(
          (l) => l.msg === "Portico listening" && l.background_jobs === false,
        )!;
        process.kill(worker.pid, "SIGKILL");
        await waitForLog(server, (l) => l.msg === "worker exited unexpectedly; restarting it");
        const during = await fetch(metricsUrl);
        expect(during.status).toBe(200);
        expect(seriesValue(await during.text(), "portico_processes")).toBe(1);
        await waitForLog(server, (l) => l.msg === "worker restarted");
        const deadline = Date.now() + 10_000;
        let processes: number | undefined;
        do {
          processes = seriesValue(await (await fetch(metricsUrl)).text(), "portico_processes");
          if (processes !== 2) await new Promise((r) => setTimeout(r, 100));
        } while (processes !== 2 && Date.now() < deadline);
        expect(processes).toBe(2);
      });
    },
  );
}
