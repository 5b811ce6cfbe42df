import net from "node:net";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { startOtlpReceiver } from "../../test/helpers/otlp.js";
import { loadConfig } from "../config.js";
import { PorticoError } from "../errors.js";
import { errorType, Tracing } from "./tracing.js";

/** A port nothing listens on: the collector is down. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe("tracing", () => {
  it("names an error by its kind, never its message", () => {
    expect(
      errorType(new PorticoError("BAD_GATEWAY", "the provider at secret.example.com said sk_live_123")),
    ).toBe("BAD_GATEWAY");
    expect(errorType(Object.assign(new Error("x"), { code: "invalid_grant" }))).toBe("invalid_grant");
    expect(errorType(Object.assign(new Error("x"), { code: "has spaces and sk_live_123" }))).toBe("Error");
    expect(errorType(new TypeError("sk_live_123"))).toBe("TypeError");
    expect(errorType("a string")).toBe("Error");
  });

  it("says once that spans are dropped while the collector is down, without the collector's password", async () => {
    const lines: { msg: string; collector?: string }[] = [];
    const logger = pino({ level: "warn" }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const port = await closedPort();
    const config = loadConfig({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://user:hunter2@127.0.0.1:${port}/v1/traces`,
      OTEL_BSP_SCHEDULE_DELAY: "10",
      OTEL_EXPORTER_OTLP_TIMEOUT: "1000",
    });
    const tracing = new Tracing(config.traces!, logger);
    for (let i = 0; i < 2; i++) {
      await tracing.span(`work ${i}`, {}, async () => i);
      // The batch goes on its timer and fails (the exporter retries until its timeout): two failures.
      await new Promise((r) => setTimeout(r, 1500));
    }
    await tracing.shutdown().catch(() => {});
    const warned = lines.filter((l) => l.msg === "trace export failed; spans are being dropped");
    expect(warned).toHaveLength(1);
    expect(warned[0]!.collector).toBe(`http://127.0.0.1:${port}/v1/traces`);
    expect(JSON.stringify(lines)).not.toContain("hunter2");
  });

  it("puts every span on one clock: a child that ends just before its parent is inside it", async () => {
    const otlp = await startOtlpReceiver();
    try {
      const config = loadConfig({
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`,
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
        OTEL_BSP_SCHEDULE_DELAY: "10",
      });
      const tracing = new Tracing(config.traces!, pino({ level: "silent" }));
      const observe = tracing.queryObserver("sqlite");
      const PAIRS = 100;
      // Each SDK span anchored on Date.now() when it starts (a millisecond clock) would put a child
      // that ends microseconds before its parent up to a millisecond after it, about half the time.
      for (let i = 0; i < PAIRS; i++) {
        await tracing.span(`parent ${i}`, {}, async () => {
          await tracing.span(`child ${i}`, {}, async () => {});
          observe("select 1", performance.now(), false);
        });
      }
      await otlp.waitFor((spans) => spans.length === PAIRS * 3);
      const byId = new Map(otlp.spans.map((s) => [s.spanId, s]));
      const children = otlp.spans.filter((s) => s.parentSpanId !== "");
      expect(children).toHaveLength(PAIRS * 2);
      for (const child of children) {
        const parent = byId.get(child.parentSpanId)!;
        expect(child.startNanos).toBeGreaterThanOrEqual(parent.startNanos);
        expect(child.endNanos).toBeLessThanOrEqual(parent.endNanos);
      }
      await tracing.shutdown();
    } finally {
      await otlp.close();
    }
  });
});
