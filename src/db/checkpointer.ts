import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * SQLite's WAL checkpoints on a thread of their own. By default the connection that commits past
 * 1,000 WAL pages copies them into the database file and waits for two fsyncs, inside a request:
 * under a stream of writes (sessions, the request log) that stalled the event loop for a write in
 * every few hundred and was most of an insert's wall time. Here a second connection runs
 * PASSIVE checkpoints on a timer, which never block the writer; the server's connection turns its
 * own off. A PASSIVE checkpoint copies the frames that were in the WAL when it began, but SQLite
 * only reuses the WAL from its start once every frame is copied, and under a steady stream of
 * writes new frames always arrive meanwhile: the WAL grew without end (1.5 GB after a minute of
 * session creates) and with it every read's search of the WAL index. So once the WAL holds more
 * than RESTART_FRAMES, the PASSIVE pass (which copied nearly all of it) is followed by a RESTART
 * checkpoint: it waits for the current write to end, holds the next writers back while it copies
 * the few frames left (a millisecond or two), and rewinds the WAL; `journal_size_limit` then trims
 * the file.
 * @see https://www.sqlite.org/wal.html#automatic_checkpoint
 * @see https://www.sqlite.org/c3ref/wal_checkpoint_v2.html
 */
export class Checkpointer {
  private readonly worker: Worker;

  constructor(file: string, intervalMs = 250, restartFrames = RESTART_FRAMES) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { file, intervalMs, restartFrames, driver },
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

/** SQLite's own automatic checkpoint threshold: 1,000 pages, 4 MB of WAL. */
const RESTART_FRAMES = 1000;

const WORKER = `
const { workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 0");
setInterval(() => {
  try {
    const [{ log }] = db.pragma("wal_checkpoint(PASSIVE)");
    if (log < workerData.restartFrames) return;
    // Waits up to 100 ms for the write in progress; if it is still busy, the next tick tries again.
    db.pragma("busy_timeout = 100");
    try { db.pragma("wal_checkpoint(RESTART)"); } finally { db.pragma("busy_timeout = 0"); }
  } catch {}
}, workerData.intervalMs);
`;
