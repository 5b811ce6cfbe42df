import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { CATEGORIES, CATEGORY_ALIASES } from "../catalog/categories.js";
import { PorticoError } from "../errors.js";

/**
 * StackOne's unified data APIs (`/unified/hris/employees`, `/unified/ats/jobs`...: every category's
 * normalised models) and its Actions and MCP APIs are outside Portico's scope: Portico is the connect
 * layer and the proxy. Their routes answer a 501 in StackOne's error body, which every official SDK
 * types (`NotImplementedResponse`), with a message that names the proxy, instead of a framework 404
 * that reads like a typo. It answers before the body is read, so an upload or a form body gets the
 * same answer as a JSON one.
 */
const UNIFIED_CATEGORIES = [
  ...CATEGORIES.filter((c) => c !== "stackone" && c !== "hris-legacy"),
  ...Object.keys(CATEGORY_ALIASES),
];

const PROXY_HINT =
  "Call the provider's own API through the proxy instead: POST /unified/proxy with the linked account's id in the x-account-id header";

/** `lead` opens the message: what Portico does not serve, given the request's method and path. */
function refuse(lead: (call: string) => string) {
  return async (request: FastifyRequest) => {
    // The path as called, bounded: it is echoed in the message.
    const call = `${request.method} ${request.url.split("?")[0]!.slice(0, 256)}`;
    throw new PorticoError("NOT_IMPLEMENTED", `${lead(call)} ${PROXY_HINT}.`);
  };
}

export const unifiedDataRoutes: FastifyPluginAsync = async (app) => {
  // Every API key, whatever its scope, gets the same 501 (http/scope-hook.ts).
  const hidden = { schema: { hide: true }, config: { scopes: "any" as const } };
  for (const category of UNIFIED_CATEGORIES) {
    const onRequest = refuse(
      (call) =>
        `Portico serves no unified data models: ${call} is StackOne's unified ${category} API, which Portico does not implement.`,
    );
    // The handler never runs: the answer is given in onRequest, after the API key was checked.
    const handler = async () => undefined;
    app.all(`/unified/${category}`, { ...hidden, onRequest }, handler);
    app.all(`/unified/${category}/*`, { ...hidden, onRequest }, handler);
  }
  const actions = refuse((call) => `Portico does not serve StackOne's Actions API (${call}).`);
  app.all("/actions", { ...hidden, onRequest: actions }, async () => undefined);
  app.all("/actions/*", { ...hidden, onRequest: actions }, async () => undefined);
  app.all(
    "/mcp",
    { ...hidden, onRequest: refuse((call) => `Portico does not serve StackOne's MCP server (${call}).`) },
    async () => undefined,
  );
};
