#!/usr/bin/env node
// The test command. It runs the static checks (typecheck, lint, catalog lint) and every vitest suite, then prints
// one plain line `N passed, N failed`: CI reads that line, not vitest's summary. With
// PORTICO_TEST_REQUIRE_ALL=1 a skipped test counts as failed, so a missing PostgreSQL or Chromium
// can never turn CI green.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

let passed = 0;
let failed = 0;

const vitestArgs = process.argv.slice(2);
// A filtered run (`npm test -- test/http`) is a developer's quick loop: skip the static checks.
// They run side by side (none of them times anything: the benchmark smokes check only that every
// scenario runs and reports), each one's output printed whole when it ends.
if (vitestArgs.length === 0) {
  const checks = [
    ["typecheck (tsc --noEmit)", "npx", ["tsc", "--noEmit"]],
    ["lint (biome check)", "npx", ["biome", "check", "."]],
    ["catalog lint (portico catalog lint)", process.execPath, ["bin/portico.js", "catalog", "lint"]],
    // The benchmark's smoke mode: a few seconds per scenario, so bench/ cannot rot unnoticed.
    // Never a timed assertion: it fails only on errors or missing results.
    ["bench smoke (npm run bench -- --smoke)", process.execPath, ["bench/run.mjs", "--smoke"]],
    [
      "console bench smoke (node bench/console.mjs --smoke)",
      process.execPath,
      ["bench/console.mjs", "--smoke"],
    ],
  ];
  const results = await Promise.all(
    checks.map(
      ([name, cmd, args]) =>
        new Promise((resolve) => {
          const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
          const out = [];
          child.stdout.on("data", (d) => out.push(d));
          child.stderr.on("data", (d) => out.push(d));
          child.on("error", (err) => out.push(Buffer.from(`${err.message}\n`)));
          child.on("close", (code) => {
            process.stdout.write(`\n== ${name}: ${code === 0 ? "ok" : `exit ${code}`}\n`);
            process.stdout.write(Buffer.concat(out));
            resolve(code === 0);
          });
        }),
    ),
  );
  results.forEach((ok, i) => {
    if (ok) passed++;
    else {
      failed++;
      console.log(`FAILED: ${checks[i][0]}`);
    }
  });
}

// The examples' own dependencies (each example has its own package.json and lock file), so their
// suites can run them as their READMEs do. `npm ci` only when missing or older than the lock file.
// A failed install is not counted here: the example's suite then skips loudly, and fails under
// PORTICO_TEST_REQUIRE_ALL=1.
const examplesDir = path.resolve(import.meta.dirname, "../examples");
for (const name of fs.readdirSync(examplesDir).sort()) {
  const dir = path.join(examplesDir, name);
  const lock = path.join(dir, "package-lock.json");
  const pkg = path.join(dir, "package.json");
  if (
    !fs.existsSync(lock) ||
    !Object.keys(JSON.parse(fs.readFileSync(pkg, "utf8")).dependencies ?? {}).length
  )
    continue;
  const installed = path.join(dir, "node_modules", ".package-lock.json");
  if (fs.existsSync(installed) && fs.statSync(installed).mtimeMs >= fs.statSync(lock).mtimeMs) continue;
  console.log(`examples/${name}: npm ci`);
  const r = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, stdio: "inherit" });
  if (r.status !== 0)
    console.log(
      `\n!! examples/${name}: npm ci failed; its suite will be skipped (or fail under PORTICO_TEST_REQUIRE_ALL=1)\n`,
    );
}
// StackOne's PHP SDK comes from Packagist through Composer. Where either is missing, the PHP
// example's SDK part is not run: said loudly here and by its suite, never counted as a failure.
const phpExample = path.join(examplesDir, "php-backend");
let phpSdk = fs.existsSync(path.join(phpExample, "vendor", "autoload.php"));
if (!phpSdk && spawnSync("composer", ["--version"], { stdio: "ignore" }).status === 0) {
  const r = spawnSync("composer", ["install", "--no-interaction", "--no-progress"], {
    cwd: phpExample,
    stdio: "inherit",
  });
  phpSdk = r.status === 0;
}

const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "portico-vitest-")), "results.json");
const run = spawnSync(
  "npx",
  ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...vitestArgs],
  { stdio: "inherit", env: process.env },
);

let skipped = 0;
const skippedNames = [];
let counted = 0;
if (fs.existsSync(out)) {
  const report = JSON.parse(fs.readFileSync(out, "utf8"));
  for (const file of report.testResults ?? []) {
    for (const t of file.assertionResults ?? []) {
      counted++;
      if (t.status === "passed") passed++;
      else if (t.status === "failed") failed++;
      else {
        skipped++;
        skippedNames.push(t.fullName);
      }
    }
    // A file that failed to load or whose setup failed (its tests then show as skipped) counts as
    // a failure of its own, or a syntax error or a broken beforeAll would pass.
    if (file.status === "failed" && !(file.assertionResults ?? []).some((t) => t.status === "failed"))
      failed++;
  }
}
if (run.status !== 0 && counted === 0) failed++;
const requireAll = process.env.PORTICO_TEST_REQUIRE_ALL === "1";
if (skipped > 0) {
  console.log(`\n${skipped} skipped${requireAll ? " (counted as failed: PORTICO_TEST_REQUIRE_ALL=1)" : ""}:`);
  for (const n of skippedNames.slice(0, 20)) console.log(`  - ${n}`);
  if (requireAll) failed += skipped;
}
if (!phpSdk)
  console.log(
    "\n!! examples/php-backend: StackOne's PHP SDK could not be installed (Composer and Packagist are needed); its SDK part was NOT run. Not counted as a failure, even with PORTICO_TEST_REQUIRE_ALL=1.",
  );
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || run.status !== 0 ? 1 : 0);
