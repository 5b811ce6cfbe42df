import type { FastifyInstance, FastifyReply } from "fastify";
import type { Database } from "../db/database.js";
import { errorBody } from "../errors.js";
import type { Lifecycle } from "./lifecycle.js";

const TIMED_OUT = Symbol("timed out");

/**
 * Whether the database answers within `timeoutMs`: null when it does, else why not. A known
 * outage answers at once. Shared by `/readyz` and the `portico_database_up` gauge, so both say
 * the same.
 */
export async function databaseUnready(database: Database, timeoutMs: number): Promise<string | null> {
  if (database.availability.down) return "database unavailable";
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
  });
  try {
    if ((await Promise.race([database.ping(), deadline])) === TIMED_OUT)
      return `database did not answer within ${timeoutMs} ms`;
    return null;
  } catch (err) {
    database.availability.report(err);
    return "database unavailable";
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /readyz`: 200 when the database answers within `timeoutMs`, else a 503 in StackOne's body,
 * always within that time (a load balancer's probe must not hang on a silent database). A known
 * outage answers at once, and so does a server draining for shutdown.
 */
export function registerReadiness(
  app: FastifyInstance,
  database: Database,
  timeoutMs: number,
  lifecycle: Lifecycle,
): void {
  const notReady = (reply: FastifyReply, message: string) =>
    reply.status(503).header("retry-after", "1").send(errorBody(503, message));

  app.get("/readyz", { schema: { hide: true } }, async (_request, reply) => {
    if (lifecycle.state !== "serving") return notReady(reply, "shutting down");
    const problem = await databaseUnready(database, timeoutMs);
    if (problem) return notReady(reply, problem);
    return { status: "ok", database: database.dialect };
  });
}
