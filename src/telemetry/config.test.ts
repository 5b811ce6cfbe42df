import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../config.js";

/** The metrics and OTEL_* settings as config.ts reads them. */
describe("metrics and traces configuration", () => {
  it("serves metrics on 127.0.0.1:9464 by default, and not at all on port 0", () => {
    expect(loadConfig({}).metrics).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(loadConfig({ PORTICO_METRICS_HOST: "0.0.0.0", PORTICO_METRICS_PORT: "9100" }).metrics).toEqual({
      host: "0.0.0.0",
      port: 9100,
    });
    expect(loadConfig({ PORTICO_METRICS_PORT: "0" }).metrics).toBeNull();
  });

  it("leaves traces off unless an OTLP endpoint is named, and off when the SDK or exporter is turned off", () => {
    expect(loadConfig({}).traces).toBeNull();
    expect(
      loadConfig({ OTEL_SERVICE_NAME: "x", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }).traces,
    ).toBeNull();
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" };
    expect(loadConfig({ ...endpoint, OTEL_SDK_DISABLED: "true" }).traces).toBeNull();
    expect(loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: "none" }).traces).toBeNull();
  });

  it("follows the specification's defaults and precedence", () => {
    const t = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }).traces!;
    expect(t).toMatchObject({
      url: "http://collector:4318/v1/traces",
      protocol: "http/protobuf",
      headers: {},
      timeoutMs: 10_000,
      compression: "none",
      serviceName: "portico",
      sampler: "parentbased_always_on",
      samplerRatio: 1,
      batch: { delayMs: 5000, exportTimeoutMs: 30_000, maxQueueSize: 2048, maxBatchSize: 512 },
    });
    const specific = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example.com/otlp/spans",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_HEADERS: "authorization=Basic%20abc,x-team=core",
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-team=edge",
      OTEL_EXPORTER_OTLP_TIMEOUT: "2000",
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "3000",
      OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
      OTEL_RESOURCE_ATTRIBUTES: "service.name=from-attributes,deployment.environment.name=prod",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
    }).traces!;
    expect(specific).toMatchObject({
      url: "https://traces.example.com/otlp/spans",
      protocol: "http/json",
      headers: { authorization: "Basic abc", "x-team": "edge" },
      timeoutMs: 3000,
      compression: "gzip",
      serviceName: "from-attributes",
      resourceAttributes: { "deployment.environment.name": "prod" },
      sampler: "parentbased_traceidratio",
      samplerRatio: 0.25,
    });
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SERVICE_NAME: "edge-portico" }).traces
        ?.serviceName,
    ).toBe("edge-portico");
  });

  it("refuses what it cannot honour, naming each variable", () => {
    let err: unknown;
    try {
      loadConfig({
        PORTICO_METRICS_PORT: "99999",
        OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317",
        OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
        OTEL_TRACES_SAMPLER: "jaeger_remote",
        OTEL_TRACES_SAMPLER_ARG: "2",
        OTEL_EXPORTER_OTLP_HEADERS: "novalue",
        OTEL_TRACES_EXPORTER: "zipkin",
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join("\n");
    for (const name of [
      "PORTICO_METRICS_PORT",
      "OTEL_EXPORTER_OTLP_ENDPOINT",
      "OTEL_EXPORTER_OTLP_PROTOCOL: must be http/protobuf or http/json (grpc is not supported",
      "OTEL_TRACES_SAMPLER",
      "OTEL_TRACES_SAMPLER_ARG",
      "OTEL_EXPORTER_OTLP_HEADERS",
      "OTEL_TRACES_EXPORTER",
    ])
      expect(problems).toContain(name);
  });
});
