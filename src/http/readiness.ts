import type { FastifyInstance, FastifyReply } from "fastify";
import type { Database } from "../db/database.js";
import { errorBody } from "../errors.js";
import type { Lifecycle } from "./lifecycle.js";

const TIMED_OUT = Symbol("timed out");

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
    if (database.availability.down) return notReady(reply, "database unavailable");
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
    });
    try {
      if ((await Promise.race([database.ping(), deadline])) === TIMED_OUT)
        return notReady(reply, `database did not answer within ${timeoutMs} ms`);
      return { status: "ok", database: database.dialect };
    } catch (err) {
      database.availability.report(err);
      return notReady(reply, "database unavailable");
    } finally {
      clearTimeout(timer);
    }
  });
}
