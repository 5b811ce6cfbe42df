import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { REQUIRE_ALL } from "./env.js";
import { must, run, type Started, start } from "./release.js";

/**
 * Building and running Portico's container image on a machine with no container registry and
 * where `podman run` cannot work (crun cannot set up rlimits or cgroups in these sandboxes):
 *
 * - the base image is made from Debian packages (trixie ships Node.js 20 and npm), standing in
 *   for the official node:20-slim, with mmdebstrap, and imported with `podman import`; the tarball
 *   is kept between runs, outside the clone;
 * - the Dockerfile is built by `buildah bud --format docker` (the OCI format drops HEALTHCHECK),
 *   with the host's CA bundle bind-mounted read-only over the image's during the build (the npm
 *   registry is reached through a proxy whose authority this machine trusts), never baked in;
 * - the image runs under `buildah run --isolation chroot`, with the image's own entrypoint, user
 *   and environment. It does not forward signals: a test signals the image's process itself.
 */

const TOOLS = ["mmdebstrap", "podman", "buildah"];
const which = (tool: string) =>
  (process.env.PATH ?? "/usr/bin:/bin").split(":").some((dir) => dir && fs.existsSync(path.join(dir, tool)));

/** What the image tests need and this machine lacks (the tools, and root for chroot isolation). */
export function missingForImage(): string[] {
  const missing = TOOLS.filter((t) => !which(t));
  if (process.getuid?.() !== 0) missing.push("root (buildah --isolation chroot)");
  return missing;
}

/** The image suite runs when it can, or when it must (PORTICO_TEST_REQUIRE_ALL=1) and then fails. */
export const imageTestsAvailable = (): boolean => REQUIRE_ALL || missingForImage().length === 0;

/** Where the base tarball is kept between runs: never inside the clone. */
export function imageCacheDir(): string {
  if (process.env.PORTICO_TEST_IMAGE_CACHE) return process.env.PORTICO_TEST_IMAGE_CACHE;
  const system = "/var/cache/portico-ci";
  try {
    fs.mkdirSync(system, { recursive: true });
    fs.accessSync(system, fs.constants.W_OK);
    return system;
  } catch {
    return path.join(os.homedir(), ".cache", "portico-ci");
  }
}

/** A month: then the base is made again from the mirror, with Debian's security updates. */
const BASE_MAX_AGE_MS = 30 * 86_400_000;

/**
 * The stand-in base image's tag, made (mmdebstrap, about a minute and a half) and imported only
 * when the cache lacks it.
 */
export async function baseImage(): Promise<string> {
  const dir = imageCacheDir();
  fs.mkdirSync(dir, { recursive: true });
  const tar = path.join(dir, "base-trixie-nodejs.tar");
  const found = fs.existsSync(tar) ? fs.statSync(tar) : null;
  // A directory there is what an earlier helper left when mmdebstrap, guessing the format from a
  // name that did not end in .tar, wrote a directory tree: not a base, made again.
  const stale = !found?.isFile() || Date.now() - found.mtimeMs > BASE_MAX_AGE_MS;
  if (stale) {
    const tmp = path.join(dir, `base-trixie-nodejs.tmp-${process.pid}.tar`);
    try {
      await must(
        "mmdebstrap",
        ["--variant=minbase", "--format=tar", "--include=nodejs,npm,ca-certificates", "trixie", tmp],
        { timeoutMs: 1_200_000 },
      );
      fs.rmSync(tar, { recursive: true, force: true });
      fs.renameSync(tmp, tar);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  const st = fs.statSync(tar);
  const tag = `localhost/portico-ci-base:${createHash("sha256").update(`${st.size} ${st.mtimeMs}`).digest("hex").slice(0, 12)}`;
  if ((await run("podman", ["image", "exists", tag])).code !== 0) {
    // Bases imported from older tarballs go, with what was built on them.
    const old = (
      await must("podman", ["images", "--format", "{{.Repository}}:{{.Tag}}", "localhost/portico-ci-base"])
    )
      .split("\n")
      .filter((t) => t.startsWith("localhost/portico-ci-base:") && t !== tag);
    for (const o of old) await run("podman", ["rmi", "--force", o]);
    await must("podman", ["import", tar, tag], { timeoutMs: 600_000 });
  }
  return tag;
}

const HOST_CA = "/etc/ssl/certs/ca-certificates.crt";
/** The build stage of the last image built here, tagged so its layers (npm ci) serve the next build. */
const CACHE_TAG = "localhost/portico-ci-cache:build";

const imageId = async (ref: string) =>
  (await run("buildah", ["inspect", "--type", "image", "--format", "{{.FromImageID}}", ref])).stdout.trim();

/**
 * Builds the Dockerfile in `context` on `base` as `tag`. Layers are cached: a build whose
 * package-lock.json is unchanged reuses the last build's dependency layer (npm ci, compiling
 * better-sqlite3). The build stage is then tagged as the cache, and the previous cache's layers
 * that no build uses any more are removed, so the storage does not grow run after run.
 */
export async function buildImage(context: string, base: string, tag: string): Promise<void> {
  const args = [
    "bud",
    "--format",
    "docker",
    "--isolation",
    "chroot",
    "--layers",
    "--build-arg",
    `NODE_IMAGE=${base}`,
    ...(fs.existsSync(HOST_CA) ? ["-v", `${HOST_CA}:${HOST_CA}:ro`] : []),
  ];
  await must("buildah", [...args, "-t", tag, context], { timeoutMs: 1_500_000 });
  const previous = await imageId(CACHE_TAG);
  await must("buildah", [...args, "--target", "build", "-t", CACHE_TAG, context], { timeoutMs: 600_000 });
  const current = await imageId(CACHE_TAG);
  if (previous && previous !== current) await run("buildah", ["rmi", previous]);
}

/** The image's Docker configuration, as `buildah inspect` reports it. */
export type ImageConfig = {
  User: string;
  Env: string[];
  Entrypoint: string[];
  Cmd: string[];
  WorkingDir: string;
  Volumes: Record<string, unknown>;
  ExposedPorts: Record<string, unknown>;
  Healthcheck: { Test: string[]; Interval: number; Timeout: number; StartPeriod: number; Retries: number };
  StopSignal: string;
};

export async function imageConfig(tag: string): Promise<ImageConfig> {
  const out = await must("buildah", ["inspect", "--type", "image", tag]);
  return (JSON.parse(out) as { Docker: { config: ImageConfig } }).Docker.config;
}

/** A working container of the image: its root filesystem and its /data volume last until rm(). */
export class Container {
  private constructor(readonly name: string) {}

  static async from(image: string): Promise<Container> {
    const name = `portico-test-${randomBytes(4).toString("hex")}`;
    await must("buildah", ["from", "--name", name, image]);
    return new Container(name);
  }

  private args(opts: { user?: string; env?: Record<string, string>; mounts?: string[] }): string[] {
    return [
      "run",
      "--isolation",
      "chroot",
      ...(opts.user ? ["--user", opts.user] : []),
      ...Object.entries(opts.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
      ...(opts.mounts ?? []).flatMap((m) => ["-v", m]),
      this.name,
      "--",
    ];
  }

  /** A command run to its end in the container. */
  exec(command: string[], opts: { user?: string; env?: Record<string, string>; mounts?: string[] } = {}) {
    return run("buildah", [...this.args(opts), ...command]);
  }

  /** A long-running command (the server). */
  start(
    command: string[],
    opts: { user?: string; env?: Record<string, string>; mounts?: string[] } = {},
  ): Started {
    return start("buildah", [...this.args(opts), ...command]);
  }

  async rm(): Promise<void> {
    await run("buildah", ["rm", this.name]);
  }
}
