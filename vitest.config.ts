import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: two files at a time keeps browser and multi-process tests from starving.
    maxWorkers: 2,
    globalSetup: ["test/helpers/global-setup.ts"],
  },
});
