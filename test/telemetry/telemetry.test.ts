import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Dialect } from "../../src/db/database.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { type OtlpReceiver, type ReceivedSpan, SPAN_KIND, startOtlpReceiver } from "../helpers/otlp.js";
import {
  type PrometheusServer,
  prometheusAvailable,
  promtool,
  startPrometheus,
} from "../helpers/prometheus.js";
import { storedRequestCount } from "../helpers/request-log.js";
import { basic } from "../helpers/test-server.js";
import { INCOMING, MARKERS, type Portico, runTraffic, startPortico, type Traffic } from "./scenario.js";

/**
 * Metrics and traces of a running Portico, as an operator sees them: a real Prometheus (Debian's)
 * scrapes its metrics listener after the traffic of scenario.ts, and its HTTP API must answer with
 * what the traffic did; a local OTLP receiver gets the spans. Each dialect exports in one of the
 * two OTLP protocols with the full traffic, and in the other with a short run that also checks
 * the sampler follows an incoming traceparent.
 */

const PROTOCOLS: Record<Dialect, ["http/protobuf" | "http/json", "http/protobuf" | "http/json"]> = {
  sqlite: ["http/protobuf", "http/json"],
  postgres: ["http/json", "http/protobuf"],
};

const DB_SYSTEM: Record<Dialect, string> = { sqlite: "sqlite", postgres: "postgresql" };

/** Every exported byte and the scrape must be free of every secret the traffic handled. */
function expectNoSecret(haystacks: string[], secrets: string[]) {
  for (const secret of secrets)
    for (const h of haystacks)
      expect(h.includes(secret), `a secret (${secret.slice(0, 6)}...) was exported`).toBe(false);
}

const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) =>
  spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId);

for (const dialect of DIALECTS) {
  const [protocol, otherProtocol] = PROTOCOLS[dialect];

  describe.skipIf(!dialectAvailable(dialect) || !prometheusAvailable())(
    `Prometheus metrics and ${protocol} traces of a running Portico on ${dialect}`,
    () => {
      let otlp: OtlpReceiver;
      let p: Portico;
      let t: Traffic;
      let prom: PrometheusServer;
      let scrape: string;

      const one = async (expr: string, expected?: number) =>
        (
          await prom.waitFor(
            expr,
            (s) => s.length === 1 && (expected === undefined || s[0]!.value === expected),
          )
        )[0]!.value;

      beforeAll(async () => {
        otlp = await startOtlpReceiver();
        p = await startPortico(dialect, {
          OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_SERVICE_NAME: "portico-under-test",
          OTEL_BSP_SCHEDULE_DELAY: "100",
        });
        t = await runTraffic(p);
        prom = await startPrometheus([`127.0.0.1:${p.metricsPort}`]);
        await prom.waitFor('up{job="portico"}', (s) => s[0]?.value === 1);
      }, 120_000);

      afterAll(async () => {
        await prom?.close();
        await t?.close();
        await p?.close();
        await otlp?.close();
      });

      it("answers Prometheus' queries for every series with what the traffic did", async () => {
        expect(t.sessionsCreated).toBeGreaterThanOrEqual(5);
        await one("portico_connect_sessions_created_total", t.sessionsCreated);
        await one("portico_connect_sessions_authenticated_total", t.sessionsAuthenticated);
        await one(
          'portico_http_requests_total{method="POST",route="/connect_sessions",status="201"}',
          t.sessionsCreated,
        );
        await one(
          'portico_http_request_duration_seconds_count{method="POST",route="/connect_sessions"}',
          t.sessionsCreated,
        );
        await one('sum(portico_http_requests_total{route="/connect_sessions/authenticate"})', 3);
        await one('portico_http_requests_total{method="GET",route="/accounts/:id",status="200"}', 1);
        expect(
          await one('portico_http_request_duration_seconds_sum{method="POST",route="/connect_sessions"}'),
        ).toBeGreaterThan(0);

        // Proxy calls, by provider key and the provider's status.
        const proxied = Object.values(t.proxy).flatMap((byStatus) => Object.values(byStatus));
        await one(
          "sum(portico_proxy_requests_total)",
          proxied.reduce((a, b) => a + b, 0),
        );
        for (const [provider, byStatus] of Object.entries(t.proxy)) {
          for (const [status, n] of Object.entries(byStatus))
            await one(`portico_proxy_requests_total{provider="${provider}",status="${status}"}`, n);
          await one(
            `portico_proxy_request_duration_seconds_count{provider="${provider}"}`,
            Object.values(byStatus).reduce((a, b) => a + b, 0),
          );
        }
        expect(t.proxy["sandbox-hris"]).toEqual({ "200": 2, "404": 1 });
        expect(t.proxy["test-key"]?.["503"]).toBe(1);

        for (const [outcome, n] of Object.entries(t.refreshes))
          await one(`portico_token_refreshes_total{outcome="${outcome}"}`, n);

        await one('portico_webhook_deliveries_total{outcome="retry"}', t.webhooks.retried);
        await one('portico_webhook_deliveries_total{outcome="failed"}', 0);
        await one('portico_webhook_deliveries_total{outcome="delivered"}', t.webhooks.delivered());
        // The endpoint that never answers holds one delivery, due since it was created.
        await one("portico_webhook_backlog", 1);
        expect(await one("portico_webhook_oldest_pending_seconds")).toBeGreaterThan(0);

        expect(t.rateLimited).toBeGreaterThan(0);
        await one('portico_rate_limited_total{limit="address"}', t.rateLimited);
        await one('portico_http_requests_total{route="/embedded/integrations",status="429"}', t.rateLimited);
        await one('portico_rate_limited_total{limit="api-key"}', 0);

        // Accounts by status and provider, as the database holds them.
        const statuses = await p.ctx.database.db
          .selectFrom("accounts")
          .select(["provider", "status"])
          .execute();
        expect(statuses.filter((a) => a.provider === "sandbox-hris" && a.status === "active")).toHaveLength(
          2,
        );
        for (const a of new Set(statuses.map((r) => `${r.provider}|${r.status}`))) {
          const [provider, status] = a.split("|");
          await one(
            `portico_accounts{provider="${provider}",status="${status}"}`,
            statuses.filter((r) => r.provider === provider && r.status === status).length,
          );
        }
        await one("sum(portico_accounts)", statuses.length);

        await one("portico_database_up", 1);
        expect(await one("portico_database_query_duration_seconds_count")).toBeGreaterThan(50);
        // Every request-log record the database holds was counted as written; none was dropped.
        const logged = () => storedRequestCount(p.ctx);
        const rows = await logged();
        expect(rows).toBeGreaterThan(t.sessionsCreated);
        await one("portico_request_log_written_total", rows);
        await one("portico_request_log_dropped_total", 0);

        // Node's own: event-loop lag, heap, garbage collection.
        expect(await one("nodejs_eventloop_lag_seconds")).toBeGreaterThanOrEqual(0);
        expect(await one("nodejs_heap_size_used_bytes")).toBeGreaterThan(1e6);
        expect(await one('sum(nodejs_gc_duration_seconds_count{kind="minor"})')).toBeGreaterThan(0);
        await one("portico_processes", 1);
        await one("portico_build_info", 1);
        if (dialect === "postgres") {
          await one(
            "portico_database_pool_max_connections",
            Number(process.env.PORTICO_DATABASE_POOL_SIZE ?? 4),
          );
          expect(await one('sum(portico_database_pool_connections{state=~"in_use|idle"})')).toBeGreaterThan(
            0,
          );
          expect(await one("portico_database_pool_waiting_requests")).toBeGreaterThanOrEqual(0);
        } else {
          expect(await prom.query("portico_database_pool_connections")).toEqual([]);
        }
      });

      it("labels series by route template and provider key, never by a path, id or query", async () => {
        const series = await prom.query('{__name__=~"portico_.+"}');
        expect(series.length).toBeGreaterThan(20);
        const ids = [...t.accounts.sandbox, t.accounts.key, t.accounts.oauth, "acc_missing", MARKERS.query];
        for (const s of series)
          for (const [label, value] of Object.entries(s.metric)) {
            if (label === "__name__" || label === "instance" || label === "job") continue;
            for (const id of ids) expect(value, `${s.metric.__name__}{${label}}`).not.toContain(id);
            expect(value).not.toContain("?");
          }
        const routes = new Set(series.map((s) => s.metric.route).filter(Boolean));
        expect(routes).toContain("/accounts/:id");
        expect(routes).toContain("/unified/proxy");
        // A request no route matched is one series, whatever its path.
        await fetch(`${p.server.url}/no/such/${MARKERS.query}`);
        await fetch(`${p.server.url}/nor/this`);
        await one('portico_http_requests_total{route="unmatched",status="404"}', 2);
      });

      it("serves a scrape that promtool check metrics accepts", async () => {
        const res = await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
        scrape = await res.text();
        const check = await promtool(["check", "metrics"], scrape);
        expect(check.output).toBe("");
        expect(check.code).toBe(0);
        // The listener is its own: the API port has no /metrics, and the listener nothing else.
        expect((await fetch(`${p.server.url}/metrics`)).status).toBe(404);
        expect((await fetch(`http://127.0.0.1:${p.metricsPort}/accounts`)).status).toBe(404);
      });

      it("exports linked spans: server spans by route, database, provider, refresh and webhook spans", async () => {
        // The session created inside the caller's trace: a child of its span, with its statements.
        await otlp.waitFor((spans) =>
          spans.some((s) => s.traceId === INCOMING.traceId && s.kind === SPAN_KIND.server),
        );
        const spans = otlp.spans;
        const root = spans.find((s) => s.traceId === INCOMING.traceId && s.kind === SPAN_KIND.server)!;
        expect(root).toMatchObject({
          name: "POST /connect_sessions",
          parentSpanId: INCOMING.spanId,
          attributes: {
            "http.route": "/connect_sessions",
            "http.request.method": "POST",
            "http.response.status_code": 201,
          },
        });
        expect(root.resource["service.name"]).toBe("portico-under-test");
        const statements = childrenOf(spans, root);
        expect(statements.length).toBeGreaterThan(0);
        for (const s of statements) {
          expect(s.kind).toBe(SPAN_KIND.client);
          expect(s.attributes["db.system.name"]).toBe(DB_SYSTEM[dialect]);
          expect(s.startNanos).toBeGreaterThanOrEqual(root.startNanos);
          expect(s.endNanos).toBeLessThanOrEqual(root.endNanos);
        }
        expect(statements.map((s) => s.name)).toContain("insert connect_sessions");

        // Verification before a link: a client span naming the provider's host.
        const links = spans.filter((s) => s.name === "POST /hub/accounts");
        expect(links.length).toBe(3);
        const verified = links.flatMap((l) =>
          childrenOf(spans, l).filter((c) => c.attributes["server.address"]),
        );
        expect(verified.map((c) => c.attributes["server.address"]).sort()).toEqual([
          "127.0.0.1",
          "sandbox.portico.internal",
          "sandbox.portico.internal",
        ]);
        // The sandbox answers in-process: its request is a server span under the client span.
        const sandboxCall = verified.find(
          (c) => c.attributes["server.address"] === "sandbox.portico.internal",
        )!;
        expect(childrenOf(spans, sandboxCall).map((s) => s.name)).toEqual(["GET /sandbox/hris/me"]);

        // OAuth: the code exchange under the provider's callback.
        const callback = spans.find((s) => s.name === "GET /oauth/callback")!;
        expect(callback).toBeDefined();
        const exchange = childrenOf(spans, callback).filter(
          (c) => c.attributes["server.address"] === "127.0.0.1",
        );
        expect(exchange.map((c) => [c.name, c.attributes["http.response.status_code"]])).toEqual([
          ["POST", 200],
        ]);

        // Proxy calls: the provider call under the request, tagged with the provider.
        const proxied = spans.filter((s) => s.name === "POST /unified/proxy");
        expect(proxied.length).toBeGreaterThanOrEqual(8);
        const toKey = proxied.find((s) => s.attributes["portico.provider"] === "test-key")!;
        const keyCall = childrenOf(spans, toKey).find(
          (c) => c.kind === SPAN_KIND.client && c.attributes["server.address"],
        )!;
        expect(keyCall.attributes["server.port"]).toBeGreaterThan(0);
        expect(keyCall.attributes["url.scheme"]).toBe("http");

        // Token refreshes: under the proxy request that needed them, around the token request.
        const refreshes = spans.filter((s) => s.name === "token refresh");
        expect(refreshes).toHaveLength(3);
        for (const r of refreshes) {
          expect(proxied.map((s) => s.spanId)).toContain(r.parentSpanId);
          expect(r.attributes["portico.provider"]).toBe("test-oauth");
          expect(
            childrenOf(spans, r).filter((c) => c.attributes["server.address"] === "127.0.0.1"),
          ).toHaveLength(1);
        }
        expect(
          refreshes
            .filter((r) => r.statusCode === 2)
            .map((r) => r.attributes["error.type"])
            .sort(),
          // A 503 from the token endpoint is not a refused grant but a provider failing (outcome error).
        ).toEqual(["invalid_grant", "invalid_response"]);

        // Webhook deliveries: a trace each, the POST to the endpoint and its bookkeeping inside.
        await otlp.waitFor(
          (all) => all.filter((s) => s.name === "webhook delivery").length >= t.webhooks.delivered() + 1,
        );
        const deliveries = otlp.spans.filter((s) => s.name === "webhook delivery");
        for (const d of deliveries.slice(0, 3)) {
          expect(d.parentSpanId).toBe("");
          const inside = childrenOf(otlp.spans, d);
          expect(
            inside.some((c) => c.name === "POST" && c.attributes["server.address"] === "127.0.0.1"),
          ).toBe(true);
          expect(inside.some((c) => c.attributes["db.system.name"] === DB_SYSTEM[dialect])).toBe(true);
        }

        // Every parent is a span that was exported too (or the caller's, for the traced request).
        const ids = new Set(otlp.spans.map((s) => s.spanId));
        const orphans = otlp.spans.filter(
          (s) => s.parentSpanId && !ids.has(s.parentSpanId) && s.parentSpanId !== INCOMING.spanId,
        );
        // The silent endpoint's delivery is still in flight: its children may be out, itself not yet.
        expect(
          orphans.filter((s) => s.attributes["server.address"] !== "127.0.0.1" || s.name !== "POST"),
        ).toEqual([]);
        expect(
          otlp.raw.every((r) =>
            r.contentType.startsWith(
              protocol === "http/json" ? "application/json" : "application/x-protobuf",
            ),
          ),
        ).toBe(true);
      });

      it("never exports a credential, token, key, query value or body", async () => {
        scrape ??= await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
        expect(t.secrets.length).toBeGreaterThan(12);
        expectNoSecret(
          [
            scrape,
            ...otlp.raw.map((r) => r.body.toString("latin1")),
            JSON.stringify(otlp.spans, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
          ],
          t.secrets,
        );
      });
    },
  );

  describe.skipIf(!dialectAvailable(dialect))(
    `${otherProtocol} traces on ${dialect}, sampled as the caller's trace says`,
    () => {
      let otlp: OtlpReceiver;
      let p: Portico;

      beforeAll(async () => {
        otlp = await startOtlpReceiver();
        p = await startPortico(dialect, {
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`,
          OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otherProtocol,
          // Nothing is sampled unless the caller's trace was.
          OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
          OTEL_TRACES_SAMPLER_ARG: "0",
          OTEL_BSP_SCHEDULE_DELAY: "100",
          PORTICO_METRICS_PORT: "0",
        });
      }, 60_000);

      afterAll(async () => {
        await p?.close();
        await otlp?.close();
      });

      it("follows an incoming traceparent, links parents and children, and exports nothing secret", async () => {
        const auth = { authorization: basic(p.apiKey), "content-type": "application/json" };
        const create = (headers: Record<string, string>) =>
          fetch(`${p.server.url}/connect_sessions`, {
            method: "POST",
            headers: { ...auth, ...headers },
            body: JSON.stringify({ origin_owner_id: "sampled", origin_owner_name: "Acme Inc" }),
          }).then(async (r) => ((await r.json()) as { token: string }).token);
        const unsampled = await create({});
        const notWanted = await create({ traceparent: `00-${"1".repeat(32)}-${"2".repeat(16)}-00` });
        const token = await create({ traceparent: INCOMING.header });
        const link = await fetch(`${p.server.url}/hub/accounts`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-hub-session-token": token,
            traceparent: INCOMING.header,
          },
          body: JSON.stringify({
            integration_id: "sandbox-hris",
            credentials: { api_key: "sandbox-demo-key" },
          }),
        });
        expect(link.status).toBe(201);
        await otlp.waitFor((spans) => spans.filter((s) => s.kind === SPAN_KIND.server).length >= 3);
        await new Promise((r) => setTimeout(r, 500));
        const spans = otlp.spans;
        expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([INCOMING.traceId]));
        const servers = spans.filter((s) => s.kind === SPAN_KIND.server);
        expect(servers.map((s) => s.name).sort()).toEqual([
          "GET /sandbox/hris/me",
          "POST /connect_sessions",
          "POST /hub/accounts",
        ]);
        const create1 = servers.find((s) => s.name === "POST /connect_sessions")!;
        expect(create1.parentSpanId).toBe(INCOMING.spanId);
        expect(
          childrenOf(spans, create1).every((s) => s.attributes["db.system.name"] === DB_SYSTEM[dialect]),
        ).toBe(true);
        const hub = servers.find((s) => s.name === "POST /hub/accounts")!;
        const verify = childrenOf(spans, hub).find(
          (s) => s.attributes["server.address"] === "sandbox.portico.internal",
        )!;
        expect(verify.kind).toBe(SPAN_KIND.client);
        expect(servers.find((s) => s.name === "GET /sandbox/hris/me")!.parentSpanId).toBe(verify.spanId);
        expect(
          otlp.raw.every((r) =>
            r.contentType.startsWith(
              otherProtocol === "http/json" ? "application/json" : "application/x-protobuf",
            ),
          ),
        ).toBe(true);
        expectNoSecret(
          otlp.raw.map((r) => r.body.toString("latin1")),
          [p.apiKey, unsampled, notWanted, token, "sandbox-demo-key"],
        );
      });
    },
  );
}
