import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { safeEqual } from "../crypto/tokens.js";
import { CANDIDATES, EMPLOYEES, JOBS } from "./data.js";
import { SANDBOX_CREDENTIALS } from "./entries.js";

/**
 * The sandbox providers' own APIs. They behave like real third parties: their own error shapes
 * (not StackOne's), 401 for a wrong credential, pagination by query string.
 */
function page<T>(items: T[], request: FastifyRequest) {
  const q = request.query as { page?: string; per_page?: string };
  const per = Math.min(Math.max(Number(q.per_page) || 10, 1), 100);
  const p = Math.max(Number(q.page) || 1, 1);
  return { data: items.slice((p - 1) * per, p * per), page: p, per_page: per, total: items.length };
}

const unauthorized = (reply: FastifyReply, message: string) =>
  reply
    .status(401)
    .header("www-authenticate", 'Bearer realm="sandbox"')
    .send({ error: "unauthorized", message });

export const sandboxRoutes: FastifyPluginAsync = async (app) => {
  await app.register(
    async (hris) => {
      hris.addHook("onRequest", async (request, reply) => {
        const m = /^Bearer (.+)$/.exec(request.headers.authorization ?? "");
        if (!m || !safeEqual(m[1]!, SANDBOX_CREDENTIALS.hrisApiKey))
          return unauthorized(reply, "The API key is not valid");
      });
      hris.get("/me", async () => ({ company: "Sandbox Corp", plan: "demo", api: "sandbox-hris" }));
      hris.get("/employees", async (request) => page(EMPLOYEES, request));
      hris.get("/employees/:id", async (request, reply) => {
        const e = EMPLOYEES.find((x) => x.id === (request.params as { id: string }).id);
        return e ? { data: e } : reply.status(404).send({ error: "not_found", message: "No such employee" });
      });
    },
    { prefix: "/hris" },
  );

  await app.register(
    async (ats) => {
      ats.addHook("onRequest", async (request, reply) => {
        const m = /^Basic (.+)$/.exec(request.headers.authorization ?? "");
        const [user, ...rest] = m ? Buffer.from(m[1]!, "base64").toString().split(":") : [];
        if (
          !user ||
          !safeEqual(user, SANDBOX_CREDENTIALS.atsUsername) ||
          !safeEqual(rest.join(":"), SANDBOX_CREDENTIALS.atsPassword)
        ) {
          return unauthorized(reply, "Invalid username or password");
        }
      });
      ats.get("/me", async () => ({ user: SANDBOX_CREDENTIALS.atsUsername, api: "sandbox-ats" }));
      ats.get("/jobs", async (request) => page(JOBS, request));
      ats.get("/candidates", async (request) => page(CANDIDATES, request));
      ats.post("/candidates", async (request, reply) =>
        reply.status(201).send({ data: { id: "cand_new", ...(request.body as object) } }),
      );
    },
    { prefix: "/ats" },
  );
};
