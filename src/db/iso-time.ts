const DAY_MS = 86_400_000;
/** Day prefixes (`2026-12-07T`) made so far; bounded, since a page's accounts span any days. */
const days = new Map<number, string>();
const MAX_DAYS = 10_000;

const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const three = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * `new Date(ms).toISOString()` (how stored epoch milliseconds go on the wire), with the date part
 * kept per day: an account page of 100 writes 200 timestamps, and building a Date for each was an
 * eighth of the page's time (70 ns instead of 700 on a busy core).
 */
export function isoTime(value: number | string): string {
  const ms = Number(value);
  const day = Math.floor(ms / DAY_MS);
  let prefix = days.get(day);
  if (prefix === undefined) {
    const full = new Date(ms).toISOString();
    // Years past 9999 (or before 0) are written with a sign: leave those to Date.
    if (full.length !== 24) return full;
    prefix = full.slice(0, 11);
    if (days.size >= MAX_DAYS) days.clear();
    days.set(day, prefix);
  }
  let t = ms - day * DAY_MS;
  const h = Math.floor(t / 3_600_000);
  t -= h * 3_600_000;
  const m = Math.floor(t / 60_000);
  t -= m * 60_000;
  const s = Math.floor(t / 1000);
  return `${prefix}${two(h)}:${two(m)}:${two(s)}.${three(t - s * 1000)}Z`;
}
