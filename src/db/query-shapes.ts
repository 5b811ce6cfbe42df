import { type Compilable, CompiledQuery, type Kysely } from "kysely";
import { type DirectRows, directRowsOf } from "./database.js";
import type { DB } from "./schema.js";

/**
 * Compiled SQL for the hot queries, built once per query shape instead of on every request:
 * Kysely's builder cost more than the query itself on the accounts list. `build` makes the query
 * with placeholder values; the caller passes the real parameters in the same order, which the
 * first compilation checks by count. On SQLite the statement runs at once when no transaction holds
 * the connection (`directRowsOf`), without Kysely's executor around it.
 */
export class QueryShapes {
  private readonly sql = new Map<string, string>();
  private readonly direct: DirectRows | undefined;

  constructor(private readonly db: Kysely<DB>) {
    this.direct = directRowsOf(db);
  }

  async rows<R>(shape: string, build: () => Compilable, params: readonly unknown[]): Promise<R[]> {
    const text = this.text(shape, build, params);
    const rows = this.direct?.(text, params);
    if (rows) return rows as R[];
    return (await this.db.executeQuery<R>(CompiledQuery.raw(text, [...params]))).rows;
  }

  /**
   * The rows at once where the database can answer without waiting (SQLite, no transaction
   * holding the connection), else undefined: the caller then takes `rows`. A hot read answered
   * this way costs its request no promise at all.
   */
  rowsNow<R>(shape: string, build: () => Compilable, params: readonly unknown[]): R[] | undefined {
    if (!this.direct) return undefined;
    return this.direct(this.text(shape, build, params), params) as R[] | undefined;
  }

  private text(shape: string, build: () => Compilable, params: readonly unknown[]): string {
    let text = this.sql.get(shape);
    if (text === undefined) {
      const compiled = build().compile();
      if (compiled.parameters.length !== params.length) {
        throw new Error(
          `query shape ${shape}: ${compiled.parameters.length} placeholders, ${params.length} parameters`,
        );
      }
      text = compiled.sql;
      this.sql.set(shape, text);
    }
    return text;
  }
}
