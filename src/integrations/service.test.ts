import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDialectContext, type DialectContext } from "../../test/helpers/context.js";
import { DIALECTS, dialectAvailable } from "../../test/helpers/dialects.js";
import { IntegrationsService } from "./service.js";
import { IntegrationsStore } from "./store.js";

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`integrations service on ${dialect}`, () => {
    let t: DialectContext;
    let projectId: string;
    beforeAll(async () => {
      t = await createDialectContext(dialect);
      projectId = (await t.ctx.tenancy.init())!.project_id;
    });
    afterAll(() => t?.close());

    it("sees its own changes at once and another process's within a second", async () => {
      let clock = 1_000_000;
      const service = () =>
        new IntegrationsService(
          new IntegrationsStore(t.ctx.database.db),
          t.ctx.catalog,
          t.ctx.vault,
          {},
          () => clock,
        );
      const node = service();
      const cli = service();
      expect(await node.isActive(projectId, "bamboohr")).toBe(false);
      await node.enable(projectId, "bamboohr");
      expect(await node.isActive(projectId, "bamboohr")).toBe(true);
      // Another process (the CLI) disables it: this node keeps its answer for up to a second.
      await cli.disable(projectId, "bamboohr");
      expect(await node.isActive(projectId, "bamboohr")).toBe(true);
      clock += 1_001;
      expect(await node.isActive(projectId, "bamboohr")).toBe(false);
      expect((await node.activeProviders(projectId)).has("bamboohr")).toBe(false);
      // Enabled elsewhere: a refusal is checked on the database, so the hub never turns a user
      // away for a second; the listing may lag for that second.
      await cli.enable(projectId, "bamboohr");
      expect(await node.isActive(projectId, "bamboohr")).toBe(true);
    });
  });
}
