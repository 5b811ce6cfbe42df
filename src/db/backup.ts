import fs from "node:fs";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { dialectOf } from "./database.js";

export type BackupResult = {
  /** The copy, absolute. */
  file: string;
  /** The database copied, absolute. */
  database: string;
  bytes: number;
  pages: number;
};

export class BackupError extends Error {
  override name = "BackupError";
}

/** All the pages left, in one step of SQLite's backup (the largest count it takes). */
const ALL_PAGES = 0x7fffffff;

/**
 * A consistent copy of a live SQLite database, made with SQLite's online backup API while Portico
 * keeps serving (other processes may write meanwhile). The pages are copied in one step, under one
 * read transaction: in WAL mode that never blocks a writer, and the copy is the database as of
 * that instant. Copied page by page in several steps, a write by another process between two
 * steps would restart the backup from the first page, over and over on a busy server.
 *
 * The copy is written beside its destination and renamed into place once checked
 * (`quick_check`), so a failed or interrupted backup never leaves a file that looks complete. It
 * is turned into a rollback-journal database: one self-contained file, no -wal beside it.
 * @see https://www.sqlite.org/backup.html
 */
export async function backupSqlite(
  databaseUrl: string,
  destination: string,
  opts: { overwrite?: boolean } = {},
): Promise<BackupResult> {
  if (dialectOf(databaseUrl) !== "sqlite")
    throw new BackupError(
      "portico backup copies an SQLite database; this one is on PostgreSQL: back it up with pg_dump (see docs/operations.md)",
    );
  const source = path.resolve(databaseUrl.slice("file:".length));
  const file = path.resolve(destination);
  if (!fs.existsSync(source)) throw new BackupError(`no database at ${source}`);
  if (file === source) throw new BackupError("the backup cannot be the database itself");
  if (fs.existsSync(file) && !opts.overwrite)
    throw new BackupError(`${file} exists: choose another name, or pass --force to replace it`);
  fs.mkdirSync(path.dirname(file), { recursive: true });

  const tmp = `${file}.tmp-${process.pid}`;
  const db = new SqliteDatabase(source, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    const { totalPages } = await db.backup(tmp, { progress: () => ALL_PAGES });
    const copy = new SqliteDatabase(tmp, { fileMustExist: true });
    try {
      copy.pragma("journal_mode = DELETE");
      const check = copy.pragma("quick_check", { simple: true });
      if (check !== "ok") throw new BackupError(`the copy failed SQLite's quick_check: ${check}`);
    } finally {
      copy.close();
    }
    // Hashes of keys and encrypted secrets: for the operator only, like the keyring.
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, file);
    return { file, database: source, bytes: fs.statSync(file).size, pages: totalPages };
  } finally {
    db.close();
    for (const leftover of [tmp, `${tmp}-journal`, `${tmp}-wal`, `${tmp}-shm`])
      fs.rmSync(leftover, { force: true });
  }
}
