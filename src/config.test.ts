import os from "node:os";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseProcesses } from "./config.js";

describe("loadConfig", () => {
  it("has the documented defaults", () => {
    const c = loadConfig({});
    expect(c.port).toBe(4000);
    expect(c.host).toBe("127.0.0.1");
    expect(c.publicUrl).toBe("http://localhost:4000");
    expect(c.databaseUrl).toBe("file:data/portico.db");
    expect(c.bodyLimitBytes).toBe(102400);
    expect(c.sandbox).toBe(true);
    expect(c.allowPrivateNetworks).toBe(false);
  });

  it("derives the public URL from the port and strips a trailing slash", () => {
    expect(loadConfig({ PORTICO_PORT: "5000" }).publicUrl).toBe("http://localhost:5000");
    expect(loadConfig({ PORTICO_PUBLIC_URL: "https://connect.example.com/" }).publicUrl).toBe(
      "https://connect.example.com",
    );
  });

  it("names every bad variable at once", () => {
    let err: unknown;
    try {
      loadConfig({
        PORTICO_PORT: "seventy",
        PORTICO_DATABASE_URL: "mysql://x",
        PORTICO_LOG_LEVEL: "loud",
        PORTICO_SANDBOX: "maybe",
        PORTICO_ENCRYPTION_KEYS: "k1:tooshort",
        PORTICO_CORS_ORIGINS: "not a url",
        PORTICO_REDIRECT_ORIGINS: "javascript:alert(1)",
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join("\n");
    for (const v of [
      "PORTICO_PORT",
      "PORTICO_DATABASE_URL",
      "PORTICO_LOG_LEVEL",
      "PORTICO_SANDBOX",
      "PORTICO_CORS_ORIGINS",
      "PORTICO_REDIRECT_ORIGINS",
    ])
      expect(problems).toContain(v);
    expect(problems).toContain("PORTICO_ENCRYPTION_KEYS: key k1 must be 32 bytes, base64");
  });

  it("takes a number of processes or auto, one per core, from the environment or --processes", () => {
    expect(loadConfig({}).processes).toBe(1);
    expect(loadConfig({ PORTICO_PROCESSES: "3" }).processes).toBe(3);
    expect(loadConfig({ PORTICO_PROCESSES: "auto" }).processes).toBe(os.availableParallelism());
    expect(parseProcesses("2")).toBe(2);
    expect(parseProcesses("auto")).toBe(os.availableParallelism());
    for (const bad of ["0", "-1", "1.5", "two", "257"]) {
      expect(() => loadConfig({ PORTICO_PROCESSES: bad })).toThrow(
        "PORTICO_PROCESSES: must be auto or an integer between 1 and 256",
      );
      expect(() => parseProcesses(bad)).toThrow("--processes: must be auto or an integer between 1 and 256");
    }
  });

  it("takes V8's heap growth for serve, 0 leaving V8's default, and refuses what is out of range", () => {
    expect(loadConfig({}).heapGrowthPercent).toBe(30);
    expect(loadConfig({ PORTICO_HEAP_GROWTH_PERCENT: "0" }).heapGrowthPercent).toBe(0);
    expect(loadConfig({ PORTICO_HEAP_GROWTH_PERCENT: "100" }).heapGrowthPercent).toBe(100);
    expect(() => loadConfig({ PORTICO_HEAP_GROWTH_PERCENT: "-5" })).toThrow("PORTICO_HEAP_GROWTH_PERCENT");
  });
});
