import { describe, expect, it } from "vitest";
import { DatabaseUnavailableError } from "./availability.js";
import { FreezeWatch } from "./freeze-watch.js";

const never = () => new Promise<never>(() => {});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the freeze watch", () => {
  it("probes once something waits, and on a silent probe fails everything waiting at once", async () => {
    const downs: Error[] = [];
    let probes = 0;
    const watch = new FreezeWatch({
      probeMs: 100,
      probe: async () => {
        probes++;
        await sleep(100);
        throw new Error("Query read timeout");
      },
      down: (err) => downs.push(err),
    });
    let abandoned = 0;
    const at = Date.now();
    const waiting = [watch.track(never(), () => abandoned++), watch.track(never(), () => abandoned++)];
    const results = await Promise.allSettled(waiting);
    const took = Date.now() - at;
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(DatabaseUnavailableError);
    expect(abandoned).toBe(2);
    expect(probes).toBe(1);
    expect(downs[0]!.message).toMatch(/did not answer a probe within 100 ms \(Query read timeout\)/);
    // suspect after 25 ms, then the probe's 100 ms: far below any connect or query timeout.
    expect(took).toBeLessThan(1000);
    watch.close();
  });

  it("leaves slow work alone while the probe answers, and costs nothing when nothing waits", async () => {
    let probes = 0;
    const watch = new FreezeWatch({
      probeMs: 100,
      probe: async () => {
        probes++;
      },
      down: () => {
        throw new Error("not down");
      },
    });
    const slow = watch.track(sleep(200).then(() => "done"));
    expect(await slow).toBe("done");
    expect(probes).toBeGreaterThanOrEqual(1);
    const after = probes;
    await sleep(150);
    expect(probes).toBe(after);
    watch.close();
  });

  it("hands a connection that opens after it was given up to `late`", async () => {
    let release!: (v: string) => void;
    const opening = new Promise<string>((r) => {
      release = r;
    });
    const late: string[] = [];
    const watch = new FreezeWatch({
      probeMs: 40,
      probe: () => Promise.reject(new Error("timeout")),
      down: () => {},
    });
    await expect(watch.track(opening, undefined, (c) => late.push(c))).rejects.toBeInstanceOf(
      DatabaseUnavailableError,
    );
    release("client-1");
    await sleep(10);
    expect(late).toEqual(["client-1"]);
    watch.close();
  });
});
