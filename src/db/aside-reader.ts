import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

type Pending = { resolve: (rows: unknown[]) => void; reject: (err: Error) => void };

/**
 * Read-only queries on a thread of their own, for SQLite. better-sqlite3 runs a statement to
 * completion on the calling thread: a count over a million accounts (the accounts gauge) held the
 * event loop for 600 ms, and every request with it. Here a second, read-only connection runs them
 * (WAL lets it read beside the writer); the thread starts on the first query and stays for the
 * next (a scrape every few seconds), with a small heap.
 */
export class AsideReader {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private next = 0;

  constructor(private readonly file: string) {}

  all(sql: string, params: readonly unknown[]): Promise<unknown[]> {
    const worker = this.start();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, sql, params });
      // Held only while an answer is awaited: an idle reader never keeps the process alive.
      worker.ref();
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { file: this.file, driver },
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 },
    });
    worker.on("message", (m: { id: number; rows?: unknown[]; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.rows ?? []);
    });
    // A thread that dies (the file went away) fails what it held; the next query starts another.
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", () => fail(new Error("the SQLite reader thread exited")));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }
}

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma("busy_timeout = 5000");
const statements = new Map();
parentPort.on("message", ({ id, sql, params }) => {
  try {
    let stmt = statements.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      if (statements.size < 50) statements.set(sql, stmt);
    }
    parentPort.postMessage({ id, rows: stmt.all(...params) });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
  }
});
`;
