import * as errors from "@stackone/stackone-client-ts/sdk/models/errors/index.js";
import {
  ConnectSessionCreateCategories,
  ConnectSessionCreateType,
} from "@stackone/stackone-client-ts/sdk/models/shared/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { sdkFor, thrown } from "../helpers/sdk.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/** The official @stackone/stackone-client-ts against a live Portico: connect sessions. */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`official SDK: connect sessions on ${dialect}`, () => {
    let s: TestServer;
    let accountId: string;
    beforeAll(async () => {
      s = await startTestServer(dialect);
      accountId = "acc_contract1";
      const now = Date.now();
      await s.ctx.database.db
        .insertInto("accounts")
        .values({
          id: accountId,
          project_id: s.projectId,
          provider: "sandbox-hris",
          origin_owner_id: "cust-1",
          origin_owner_name: "Acme",
          origin_username: null,
          label: null,
          metadata: null,
          type: "production",
          status: "active",
          status_reasons: null,
          credentials: null,
          setup_information: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
    });
    afterAll(() => s?.close());

    it("creates a session with every field and authenticates it", async () => {
      const so = sdkFor(s.url, s.apiKey);
      const created = await so.connectSessions.createConnectSession({
        originOwnerId: "cust-1",
        originOwnerName: "Acme",
        originUsername: "jane@acme.test",
        categories: [
          ConnectSessionCreateCategories.Hris,
          ConnectSessionCreateCategories.HrisLegacy,
          ConnectSessionCreateCategories.Accounting,
        ],
        provider: "sandbox-hris",
        providerVersion: "1.0.0",
        accountId,
        expiresIn: 3600,
        label: "Main HRIS",
        metadata: { plan: "pro" },
        multiple: true,
        type: ConnectSessionCreateType.Test,
      });
      expect(created.statusCode).toBe(201);
      const link = created.connectSessionTokenAuthLink!;
      expect(typeof link.id).toBe("number");
      expect(link.organizationId).toBe(s.organizationId);
      expect(link.projectId).toBe(s.projectId);
      expect(link.createdAt).toBeInstanceOf(Date);
      expect(Math.abs(link.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
      expect(link.originOwnerId).toBe("cust-1");
      expect(link.originUsername).toBe("jane@acme.test");
      expect(link.categories).toEqual(["hris", "hris-legacy", "accounting"]);
      expect(link.provider).toBe("sandbox-hris");
      expect(link.accountId).toBe(accountId);
      expect(link.label).toBe("Main HRIS");
      expect(link.type).toBe("test");
      expect(link.token).toMatch(/^cst_/);
      expect(link.authLinkUrl).toBe(`${s.config.publicUrl}/embedded/integrations?token=${link.token}`);

      const auth = await so.connectSessions.authenticateConnectSession({ token: link.token });
      expect(auth.statusCode).toBe(201);
      expect(auth.connectSession!.id).toBe(link.id);
      expect(auth.connectSession!.createdAt).toBeInstanceOf(Date);
      expect(auth.connectSession!.organizationId).toBe(s.organizationId);
    });

    it("authenticates a session a newer client made with `scheduling`, without a validation error", async () => {
      // Raw HTTP (the newest contract) may use scheduling, which SDK 4.28's closed enum lacks.
      const res = await fetch(`${s.url}/connect_sessions`, {
        method: "POST",
        headers: { authorization: basic(s.apiKey), "content-type": "application/json" },
        body: JSON.stringify({
          origin_owner_id: "o",
          origin_owner_name: "n",
          categories: ["scheduling", "hris"],
        }),
      });
      expect(res.status).toBe(201);
      const raw = (await res.json()) as { token: string; categories: string[]; organization_id: unknown };
      expect(raw).toMatchObject({
        categories: ["scheduling", "hris"],
        organization_id: String(s.organizationId),
      });
      const auth = await sdkFor(s.url, s.apiKey).connectSessions.authenticateConnectSession({
        token: raw.token,
      });
      expect(auth.connectSession!.organizationId).toBe(s.organizationId);
      expect(auth.connectSession!.categories).toEqual(["hris"]);
    });

    it("surfaces a bad key as UnauthorizedResponse", async () => {
      const err = await thrown(
        sdkFor(s.url, "sk_wrong").connectSessions.createConnectSession({
          originOwnerId: "o",
          originOwnerName: "n",
        }),
      );
      expect(err).toBeInstanceOf(errors.UnauthorizedResponse);
      expect((err as errors.UnauthorizedResponse).statusCode).toBe(401);
      expect((err as errors.UnauthorizedResponse).data$.message).toBe("Unauthorized");
    });

    it("surfaces validation failures as BadRequestResponse naming the field", async () => {
      const err = await thrown(
        sdkFor(s.url, s.apiKey).connectSessions.createConnectSession({
          originOwnerId: "o",
          originOwnerName: "n",
          expiresIn: 5,
        }),
      );
      expect(err).toBeInstanceOf(errors.BadRequestResponse);
      expect((err as errors.BadRequestResponse).data$.message).toMatch(/expires_in/);
    });

    it("surfaces an unknown account as NotFoundResponse", async () => {
      const err = await thrown(
        sdkFor(s.url, s.apiKey).connectSessions.createConnectSession({
          originOwnerId: "o",
          originOwnerName: "n",
          accountId: "acc_nope",
        }),
      );
      expect(err).toBeInstanceOf(errors.NotFoundResponse);
    });

    it("surfaces an invalid token as BadRequestResponse, not a validation error", async () => {
      const err = await thrown(
        sdkFor(s.url, s.apiKey).connectSessions.authenticateConnectSession({ token: "cst_nope" }),
      );
      expect(err).toBeInstanceOf(errors.BadRequestResponse);
      expect((err as errors.BadRequestResponse).data$.message).toMatch(/invalid or expired/);
    });
  });
}
