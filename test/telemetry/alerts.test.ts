import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { COUNTERS, GAUGES, HISTOGRAMS } from "../../src/telemetry/schemas.js";
import { prometheusAvailable, promtool } from "../helpers/prometheus.js";

/**
 * The alert rules shipped in deploy/prometheus: valid for Prometheus (promtool check rules), each
 * firing on the series it reads when it should and not when it should not (promtool test rules,
 * cases in alert-cases.yaml), each saying what to do, and reading only series Portico serves.
 */

const RULES = path.resolve(import.meta.dirname, "../../deploy/prometheus/alerts.yaml");
const CASES = path.resolve(import.meta.dirname, "alert-cases.yaml");

type Rule = {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};
const rules = (YAML.parse(fs.readFileSync(RULES, "utf8")) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (g) => g.rules,
);

describe.skipIf(!prometheusAvailable())("alert rules", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-alerts-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("pass promtool check rules", async () => {
    const r = await promtool(["check", "rules", RULES]);
    expect(r.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.code).toBe(0);
  });

  it("cover refresh failures, webhook backlog age, a database outage, 5xx, rate-limit refusals and request-log drops", () => {
    const read = (name: string) => rules.filter((r) => r.expr.includes(name)).map((r) => r.alert);
    expect(read("portico_token_refreshes_total").length).toBeGreaterThanOrEqual(1);
    expect(read("portico_webhook_oldest_pending_seconds").length).toBeGreaterThanOrEqual(1);
    expect(read("portico_database_up")).toHaveLength(1);
    expect(rules.some((r) => r.expr.includes('status=~"5.."'))).toBe(true);
    expect(read("portico_rate_limited_total")).toHaveLength(1);
    expect(read("portico_request_log_dropped_total")).toHaveLength(1);
  });

  it("say what happened and what to do, with a severity", () => {
    for (const r of rules) {
      expect(r.labels?.severity, r.alert).toMatch(/^(warning|critical)$/);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
      expect(r.annotations?.action?.length ?? 0, r.alert).toBeGreaterThan(80);
    }
  });

  it("read only series Portico serves", () => {
    const served = new Set<string>([
      ...Object.keys(COUNTERS),
      ...Object.keys(GAUGES),
      ...Object.keys(HISTOGRAMS).flatMap((h) => [h, `${h}_bucket`, `${h}_sum`, `${h}_count`]),
    ]);
    const text = rules.map((r) => `${r.expr} ${Object.values(r.annotations ?? {}).join(" ")}`).join("\n");
    const read = new Set(text.match(/\bportico_[a-z_]+/g));
    expect(read.size).toBeGreaterThan(5);
    for (const name of read) expect(served, name).toContain(name);
  });

  it("fire when they should and stay quiet when they should (promtool test rules)", async () => {
    // Annotations are prose with $value templates: `check rules` parses them; the unit cases
    // compare labels, timing and firing, against the same rules without their annotations.
    const stripped = {
      groups: (
        YAML.parse(fs.readFileSync(RULES, "utf8")) as { groups: { name: string; rules: Rule[] }[] }
      ).groups.map((g) => ({ ...g, rules: g.rules.map(({ annotations: _a, ...rest }) => rest) })),
    };
    fs.writeFileSync(path.join(dir, "alerts.yaml"), YAML.stringify(stripped));
    const cases = YAML.parse(fs.readFileSync(CASES, "utf8")) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts?: unknown[] }[] }[];
    };
    fs.writeFileSync(path.join(dir, "cases.yaml"), YAML.stringify({ ...cases, rule_files: ["alerts.yaml"] }));
    // Every alert has a case in which it fires.
    const firing = new Set(
      cases.tests.flatMap((t) =>
        t.alert_rule_test.filter((a) => a.exp_alerts?.length).map((a) => a.alertname),
      ),
    );
    for (const r of rules) expect(firing, r.alert).toContain(r.alert);
    const r = await promtool(["test", "rules", path.join(dir, "cases.yaml")]);
    expect(r.output).toContain("SUCCESS");
    expect(r.code).toBe(0);
  });
});
