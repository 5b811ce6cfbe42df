import cluster from "node:cluster";
import { createColors } from "picocolors";

type Colors = ReturnType<typeof createColors>;

const LEVELS: Record<number, { name: string; paint: (c: Colors, s: string) => string }> = {
  10: { name: "TRACE", paint: (c, s) => c.gray(s) },
  20: { name: "DEBUG", paint: (c, s) => c.blue(s) },
  30: { name: "INFO", paint: (c, s) => c.green(s) },
  40: { name: "WARN", paint: (c, s) => c.yellow(s) },
  50: { name: "ERROR", paint: (c, s) => c.red(s) },
  60: { name: "FATAL", paint: (c, s) => c.bgRed(c.white(s)) },
};

/** pino's own fields, shown in the line's head (or not at all) rather than as key=value. */
const OWN = new Set(["level", "time", "pid", "hostname", "msg", "err"]);

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** A value as key=value shows it: bare when it reads unambiguously, else as JSON. */
function show(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * One of pino's JSON lines as a line for people: local time, level, message, then the other fields
 * as key=value; an error's stack follows on indented lines. A line that is not JSON passes through.
 */
export function prettyLine(json: string, colors: Colors, withPid = cluster.isWorker): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json);
  } catch {
    return json.endsWith("\n") ? json : `${json}\n`;
  }
  const t = new Date(typeof entry.time === "number" ? entry.time : Date.now());
  const time = `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}`;
  const level = LEVELS[entry.level as number] ?? { name: String(entry.level), paint: (_c, s) => s };
  const err = entry.err as { message?: string; stack?: string; type?: string } | string | undefined;
  const fields = Object.entries(entry)
    .filter(([k, v]) => !OWN.has(k) && v !== undefined)
    .map(([k, v]) => `${colors.dim(`${k}=`)}${show(v)}`);
  let msg = typeof entry.msg === "string" ? entry.msg : "";
  let stack = "";
  if (typeof err === "string") fields.unshift(`${colors.dim("err=")}${show(err)}`);
  else if (err) {
    if (!msg) msg = err.message ?? "";
    else fields.unshift(`${colors.dim("err=")}${show(err.message ?? err.type)}`);
    if (err.stack) stack = `\n${colors.dim(err.stack.replace(/^/gm, "    "))}`;
  }
  const head = [
    colors.dim(time),
    level.paint(colors, level.name.padEnd(5)),
    ...(withPid && entry.pid ? [colors.dim(`[${entry.pid}]`)] : []),
    level.name === "ERROR" || level.name === "FATAL" ? colors.bold(msg) : msg,
  ];
  return `${[...head, ...fields].filter(Boolean).join(" ")}${stack}\n`;
}

/**
 * A destination for pino that writes each line as prettyLine renders it, synchronously (pino hands
 * it one complete JSON line a call), with colours when the output is a terminal that wants them.
 */
export function prettyStream(out: NodeJS.WriteStream, colors: boolean): { write(line: string): void } {
  const c = createColors(colors);
  return { write: (line: string) => void out.write(prettyLine(line.trimEnd(), c)) };
}

/** Colours on a terminal, unless NO_COLOR says otherwise (or FORCE_COLOR asks for them anyway). */
export const wantsColors = (out: NodeJS.WriteStream, env = process.env): boolean =>
  env.NO_COLOR ? false : env.FORCE_COLOR && env.FORCE_COLOR !== "0" ? true : out.isTTY === true;
