import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PROMETHEUS, PROMTOOL, REQUIRE_ALL } from "./env.js";
import { freePort, spawnUntilReady } from "./processes.js";

/**
 * Whether the Prometheus server and promtool are installed (Debian: apt-get install -y prometheus);
 * with PORTICO_TEST_REQUIRE_ALL=1 the suites run regardless, and fail when they are not.
 */
export const prometheusAvailable = (): boolean =>
  REQUIRE_ALL || (fs.existsSync(PROMETHEUS) && fs.existsSync(PROMTOOL));

export type Sample = { metric: Record<string, string>; value: number };

export type PrometheusServer = {
  url: string;
  /** An instant query through the HTTP API. */
  query(expr: string): Promise<Sample[]>;
  /** Polls `expr` until `pred` holds for its samples; returns them. */
  waitFor(expr: string, pred: (samples: Sample[]) => boolean, timeoutMs?: number): Promise<Sample[]>;
  output(): string;
  close(): Promise<void>;
};

/**
 * A real Prometheus (the Debian package's server) scraping `targets` (host:port of a metrics
 * listener) every second, on 127.0.0.1, with its data in a temporary directory.
 */
export async function startPrometheus(targets: string[]): Promise<PrometheusServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-prometheus-"));
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, "prometheus.yml"),
    [
      "global:",
      "  scrape_interval: 1s",
      "  scrape_timeout: 1s",
      "scrape_configs:",
      "  - job_name: portico",
      "    static_configs:",
      `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
      "",
    ].join("\n"),
  );
  const url = `http://127.0.0.1:${port}`;
  const { child, output } = await spawnUntilReady(
    "prometheus",
    PROMETHEUS,
    [
      `--config.file=${path.join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    process.env,
    `${url}/-/ready`,
  );
  const query = async (expr: string): Promise<Sample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== "success") throw new Error(`query ${expr}: ${body.error}`);
    return body.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };
  return {
    url,
    query,
    async waitFor(expr, pred, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      let last: Sample[] = [];
      for (;;) {
        last = await query(expr);
        if (pred(last)) return last;
        if (Date.now() > until)
          throw new Error(`${expr} never matched within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    output,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null)
        await new Promise<void>((r) => {
          child.once("exit", () => r());
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 5000).unref();
        });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs promtool with `args`, `input` on its standard input. */
export function promtool(args: string[], input?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(PROMTOOL, args, { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}
