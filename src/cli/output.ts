import { pc } from "./colors.js";

/** Prints a command's result: the object as JSON with --json, else a human-readable rendering. */
export function print(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write(`${json ? JSON.stringify(value, null, 2) : human()}\n`);
}

/** A simple aligned table for list commands. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return pc.dim("(none)");
  const cell = (v: unknown) => (v === null || v === undefined ? "-" : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [pc.bold(line(columns)), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join("\n");
}
