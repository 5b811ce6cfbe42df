// The open loop both steady loads share (steady.mjs over HTTP, steady-sql.mjs straight to
// PostgreSQL): `send(i, counted)` is called at `rate` a second, each on its own schedule whether
// or not earlier ones are answered, first for `warmup` seconds (counted false: the load process
// warming up, not measured), then for `duration` seconds. `send` returns a promise that settles
// when the answer is in and resolves to its latency in ms, or null when it is not counted.

/** Runs the schedule; the counted latencies, sorted, once every answer is in. */
export async function steadySchedule({ rate, duration, warmup = 1 }, send) {
  const latencies = [];
  const inflight = new Set();
  const started = performance.now();
  const counted = started + warmup * 1000;
  const end = counted + duration * 1000;
  let sent = 0;
  // Each millisecond tick sends the requests due by then, so the rate holds within a millisecond.
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const due = Math.floor(((now - started) / 1000) * rate);
      while (sent < due) {
        const p = send(sent++, now >= counted).then((ms) => {
          if (ms !== null) latencies.push(ms);
          inflight.delete(p);
        });
        inflight.add(p);
      }
      if (now >= end) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await Promise.all(inflight);
  return latencies.sort((a, b) => a - b);
}

/** The `p` quantile of sorted latencies, in ms to a tenth. */
export const quantile = (sorted, p) =>
  Number((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0).toFixed(1));
