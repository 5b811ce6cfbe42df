import { type Compilable, CompiledQuery, type Kysely } from "kysely";
import type { DB } from "./schema.js";

/**
 * Compiled SQL for the hot queries, built once per query shape instead of on every request:
 * Kysely's builder cost more than the query itself on the accounts list. `build` makes the query
 * with placeholder values; the caller passes the real parameters in the same order, which the
 * first compilation checks by count.
 */
export class QueryShapes {
  private readonly sql = new Map<string, string>();

  constructor(private readonly db: Kysely<DB>) {}

  async rows<R>(shape: string, build: () => Compilable, params: readonly unknown[]): Promise<R[]> {
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
    return (await this.db.executeQuery<R>(CompiledQuery.raw(text, [...params]))).rows;
  }
}
