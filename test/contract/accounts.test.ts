import * as errors from "@stackone/stackone-client-ts/sdk/models/errors/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { sdkFor, thrown } from "../helpers/sdk.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

/** The official SDK for every accounts and connectors operation, including typed errors. */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`official SDK: accounts and connectors on ${dialect}`, () => {
    let s: TestServer;
    let ids: string[];
    beforeAll(async () => {
      s = await startTestServer(dialect);
      ids = [];
      for (const owner of ["sdk-a", "sdk-b", "sdk-a"]) {
        const session = await createSession(s, {
          origin_owner_id: owner,
          origin_owner_name: `Owner ${owner}`,
          label: "L",
          multiple: true,
        });
        ids.push(await linkSandboxHris(s, session.token));
      }
    });
    afterAll(() => s?.close());

    it("lists linked accounts as a bare array with filters and pages", async () => {
      const so = sdkFor(s.url, s.apiKey);
      const all = await so.accounts.listLinkedAccounts({});
      expect(all.statusCode).toBe(200);
      expect(all.classes!.map((a) => a.id)).toEqual(ids);
      const a = all.classes![0]!;
      expect(a.createdAt).toBeInstanceOf(Date);
      expect(a.updatedAt).toBeInstanceOf(Date);
      expect(a.providerName).toBe("Sandbox HRIS");
      expect(a.label).toBe("L");

      const owned = await so.accounts.listLinkedAccounts({ originOwnerId: "sdk-a" });
      expect(owned.classes!.map((x) => x.id)).toEqual([ids[0], ids[2]]);
      const both = await so.accounts.listLinkedAccounts({
        originOwnerIds: ["sdk-a", "sdk-b"],
        providers: ["sandbox-hris"],
        status: ["active"],
      });
      expect(both.classes).toHaveLength(3);
      const page2 = await so.accounts.listLinkedAccounts({ page: 2, pageSize: 2 });
      expect(page2.classes!.map((x) => x.id)).toEqual([ids[2]]);
      const byId = await so.accounts.listLinkedAccounts({ accountIds: [ids[1]!] });
      expect(byId.classes!.map((x) => x.id)).toEqual([ids[1]]);
    });

    it("gets, updates, reads meta and deletes an account", async () => {
      const so = sdkFor(s.url, s.apiKey);
      const got = await so.accounts.getAccount({ id: ids[0]! });
      expect(got.linkedAccount!.id).toBe(ids[0]);
      expect(got.linkedAccount!.originOwnerId).toBe("sdk-a");

      const updated = await so.accounts.updateAccount({
        id: ids[0]!,
        patchAccountExternalDto: { originOwnerName: "Renamed", originUsername: "jo" },
      });
      expect(updated.statusCode).toBe(200);
      expect(updated.linkedAccount!.originOwnerName).toBe("Renamed");
      expect(updated.linkedAccount!.originUsername).toBe("jo");

      const meta = await so.accounts.getAccountMetaInfo({ id: ids[0]! });
      expect(meta.linkedAccountMeta).toMatchObject({ provider: "sandbox-hris", category: "hris" });

      const deleted = await so.accounts.deleteAccount({ id: ids[2]! });
      expect(deleted.statusCode).toBe(200);
      expect(deleted.linkedAccount!.id).toBe(ids[2]);
      expect(await thrown(so.accounts.getAccount({ id: ids[2]! }))).toBeInstanceOf(errors.NotFoundResponse);
    });

    it("lists and gets connectors meta with active", async () => {
      const so = sdkFor(s.url, s.apiKey);
      const list = await so.connectors.listConnectorsMeta({ include: "resources,inactive" });
      const hris = list.classes!.find((c) => c.provider === "sandbox-hris")!;
      expect(hris).toMatchObject({ providerName: "Sandbox HRIS", category: "hris", active: true });
      expect(hris.resources?.images?.logoUrl).toMatch(/\/assets\/logos\/sandbox-hris\.svg$/);
      expect(list.classes!.find((c) => c.provider === "bamboohr")?.active).toBe(false);
      const one = await so.connectors.getConnectorMeta({ provider: "bamboohr" });
      expect(one.connectorsMeta).toMatchObject({
        provider: "bamboohr",
        providerName: "BambooHR",
        active: false,
      });
      expect(await thrown(so.connectors.getConnectorMeta({ provider: "nope" }))).toBeInstanceOf(
        errors.NotFoundResponse,
      );
    });

    it("scopes every account call to the caller's project", async () => {
      const other = await s.ctx.tenancy.createProject({ name: "Other" });
      const key = await s.ctx.tenancy.createApiKey(other.project_id);
      const so = sdkFor(s.url, key.api_key);
      expect((await so.accounts.listLinkedAccounts({})).classes).toEqual([]);
      for (const call of [
        () => so.accounts.getAccount({ id: ids[0]! }),
        () => so.accounts.updateAccount({ id: ids[0]!, patchAccountExternalDto: { label: {} } }),
        () => so.accounts.getAccountMetaInfo({ id: ids[0]! }),
        () => so.accounts.deleteAccount({ id: ids[0]! }),
      ]) {
        expect(await thrown(call())).toBeInstanceOf(errors.NotFoundResponse);
      }
      expect((await sdkFor(s.url, s.apiKey).accounts.getAccount({ id: ids[0]! })).linkedAccount!.id).toBe(
        ids[0],
      );
    });

    it("surfaces bad input and a bad key as typed errors", async () => {
      const so = sdkFor(s.url, s.apiKey);
      expect(await thrown(sdkFor(s.url, "sk_nope").accounts.listLinkedAccounts({}))).toBeInstanceOf(
        errors.UnauthorizedResponse,
      );
      expect(await thrown(so.accounts.listLinkedAccounts({ pageSize: 5000 }))).toBeInstanceOf(
        errors.BadRequestResponse,
      );
      const err = await thrown(
        so.accounts.updateAccount({ id: ids[0]!, patchAccountExternalDto: { provider: "bamboohr" } }),
      );
      expect(err).toBeInstanceOf(errors.BadRequestResponse);
      expect((err as errors.BadRequestResponse).data$.message).toMatch(/provider/);
    });
  });
}
