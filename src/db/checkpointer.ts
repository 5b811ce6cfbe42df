import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * SQLite's WAL checkpoints on a thread of their own. By default the connection that commits past
 * 1,000 WAL pages copies them into the database file and waits for two fsyncs, inside a request:
 * under a stream of writes (sessions, the request log) that stalled the event loop for a write in
 * every few hundred and was most of an insert's wall time. Here a second connection runs
 * PASSIVE checkpoints on a timer, which never block the writer; the server's connection turns its
 * own off. The WAL is reused from its start once a checkpoint has caught up, and
 * `journal_size_limit` trims what a burst left behind.
 * @see https://www.sqlite.org/wal.html#automatic_checkpoint
 */
export class Checkpointer {
  private readonly worker: Worker;

  constructor(file: string, intervalMs = 250) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { file, intervalMs, driver },
      // A few MB: the thread only runs one pragma at a time.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    // A checkpoint that fails (the file went away at shutdown) must not take the server down; the
    // WAL then grows until the next one succeeds, which is what SQLite itself would do.
    this.worker.on("error", () => {});
    this.worker.unref();
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

const WORKER = `
const { workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 0");
setInterval(() => {
  try { db.pragma("wal_checkpoint(PASSIVE)"); } catch {}
}, workerData.intervalMs);
`;
