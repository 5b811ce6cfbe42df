import type { Logger } from "pino";
import { type Database, type DatabaseTimeouts, openDatabase } from "../db/database.js";
import { LegacyRequestLog } from "./request-log-legacy.js";
import { prepareSqliteLogFile, requestLogFileOf } from "./request-log-schema.js";
import { RequestLogStore } from "./request-log-store.js";

export type OpenRequestLog = {
  store: RequestLogStore;
  legacy: LegacyRequestLog;
  /** Where the log lives, safe to log. */
  describe: string;
  close(): Promise<void>;
};

/**
 * The request log's database: on PostgreSQL the main one (its partitioned table), on SQLite a
 * file of its own beside the main file, opened with the same settings (WAL, busy timeout,
 * checkpoints on a thread of their own) and given its schema on first open.
 */
export async function openRequestLog(
  main: Database,
  mainUrl: string,
  opts: { logger: Logger; timeouts?: DatabaseTimeouts; backgroundCheckpoints?: boolean },
): Promise<OpenRequestLog> {
  if (main.dialect === "postgres") {
    const store = new RequestLogStore(main.db, "postgres", opts.logger);
    return {
      store,
      legacy: new LegacyRequestLog(main.db, "postgres", store, opts.logger),
      describe: `${main.describe} (table request_log)`,
      close: async () => {},
    };
  }
  const file = requestLogFileOf(mainUrl.slice("file:".length));
  const log = openDatabase(`file:${file}`, {
    poolSize: 1,
    timeouts: opts.timeouts,
    logger: opts.logger,
    backgroundCheckpoints: opts.backgroundCheckpoints,
  });
  try {
    await prepareSqliteLogFile(log.db);
  } catch (err) {
    await log.close();
    throw err;
  }
  const store = new RequestLogStore(log.db, "sqlite", opts.logger);
  return {
    store,
    legacy: new LegacyRequestLog(main.db, "sqlite", store, opts.logger),
    describe: log.describe,
    close: () => log.close(),
  };
}
