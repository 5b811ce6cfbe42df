import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { loadConsoleAssets } from "../console/assets.js";
import { createLogger } from "../logger.js";
import { SandboxOAuthState } from "../sandbox/oauth-server.js";
import { prepare } from "../server.js";
import { listenClusterMetrics } from "../telemetry/service.js";
import { RestartBackoff } from "./restart-backoff.js";
import { answerSandboxCalls } from "./sandbox-state.js";

/** One place for a worker: restarted into the same place, with the same role, when it dies. */
type Slot = {
  index: number;
  /** This place's worker runs the background jobs (webhook delivery, token refresh, housekeeping). */
  jobs: boolean;
  worker: Worker | null;
  startedAt: number;
  listened: boolean;
  backoff: RestartBackoff;
  restart: NodeJS.Timeout | null;
};

/** After the workers' own shutdown bound, what the primary allows before it kills them. */
const FORCE_MARGIN_MS = 5000;

/**
 * `portico serve --processes N`: the primary. It migrates and initializes the database once (the
 * banner prints once), then forks N workers that share the port (node:cluster hands each
 * connection to one of them) and the database. It serves no requests itself. Exactly one worker
 * runs the background jobs: the others start with PORTICO_WORKERS=false. A worker that dies is
 * restarted into its place, after a back-off when it keeps dying. SIGTERM or SIGINT goes on to
 * every worker, which drains and stops as a lone process would; the primary exits when they all
 * have, with 1 if any failed, and kills what is left on a second Ctrl-C or past the shutdown
 * timeout.
 */
export async function servePrimary(config: Config): Promise<void> {
  const ctx = await prepare(config);
  await ctx.close();
  // Built once here rather than by every worker at once on a fresh clone (the workers then find
  // it; a failure is theirs to log).
  if (config.console) await loadConsoleAssets().catch(() => {});
  const logger = createLogger(config.logLevel, config.logFormat);
  // One scrape for the node: the primary answers it with every worker's numbers.
  await listenClusterMetrics(config, logger);
  const primary = new Primary(config, logger);
  process.on("SIGINT", () => primary.stop("SIGINT"));
  process.on("SIGTERM", () => primary.stop("SIGTERM"));
  process.exit(await primary.run());
}

class Primary {
  private readonly slots: Slot[];
  private readonly sandbox: SandboxOAuthState | null;
  private phase: "starting" | "serving" | "stopping" = "starting";
  private signal: NodeJS.Signals | null = null;
  private failed = false;
  private finish: (code: number) => void = () => {};

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
  ) {
    this.slots = Array.from({ length: config.processes }, (_, index) => ({
      index,
      jobs: index === 0 && config.workers,
      worker: null,
      startedAt: 0,
      listened: false,
      backoff: new RestartBackoff(),
      restart: null,
    }));
    this.sandbox = config.sandbox ? new SandboxOAuthState(config.sandboxTokenTtlSeconds) : null;
  }

  /** Forks every worker; resolves with the exit code once they have all stopped. */
  run(): Promise<number> {
    return new Promise((resolve) => {
      this.finish = resolve;
      for (const slot of this.slots) this.fork(slot);
    });
  }

  private fork(slot: Slot): void {
    slot.restart = null;
    const worker = cluster.fork({ PORTICO_WORKERS: String(slot.jobs) });
    slot.worker = worker;
    slot.startedAt = Date.now();
    if (this.sandbox) answerSandboxCalls(worker, this.sandbox);
    worker.once("listening", () => this.listening(slot, worker));
    worker.once("exit", (code, signal) => this.exited(slot, worker, code, signal as NodeJS.Signals | null));
  }

  private listening(slot: Slot, worker: Worker): void {
    const restarted = slot.listened;
    slot.listened = true;
    const pid = worker.process.pid;
    if (restarted) {
      this.logger.info({ worker_pid: pid, slot: slot.index, background_jobs: slot.jobs }, "worker restarted");
    }
    if (this.phase === "starting" && this.slots.every((s) => s.listened)) {
      this.phase = "serving";
      this.logger.info(
        {
          processes: this.slots.length,
          worker_pids: this.slots.map((s) => s.worker?.process.pid),
          public_url: this.config.publicUrl,
        },
        `Portico serving with ${this.slots.length} processes`,
      );
    }
  }

  private exited(slot: Slot, worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    slot.worker = null;
    const about = {
      worker_pid: worker.process.pid,
      slot: slot.index,
      background_jobs: slot.jobs,
      code,
      signal,
    };
    if (this.phase === "stopping") {
      // A worker the forwarded signal ended before it could handle it (one still starting) had
      // nothing to drain.
      if (code !== 0 && !(code === null && signal === this.signal)) {
        this.failed = true;
        this.logger.error(about, "worker did not stop cleanly");
      }
      this.settle();
      return;
    }
    if (this.phase === "starting") {
      // It could not start (its error is above): neither will the others. Stop like Ctrl-C would.
      this.logger.error(about, "a worker failed to start; stopping");
      this.failed = true;
      this.stop("SIGINT");
      return;
    }
    const delay = slot.backoff.next(Date.now() - slot.startedAt);
    this.logger.error({ ...about, restart_in_ms: delay }, "worker exited unexpectedly; restarting it");
    slot.restart = setTimeout(() => this.fork(slot), delay);
  }

  stop(signal: NodeJS.Signals): void {
    if (this.phase === "stopping") {
      // Ctrl-C again: the operator will not wait. A repeated SIGTERM (a supervisor signalling the
      // whole process group as well as the primary) changes nothing.
      if (signal === "SIGINT") this.force("SIGINT while stopping");
      return;
    }
    this.phase = "stopping";
    this.signal = signal;
    const live = this.live();
    this.logger.info({ signal, workers: live.length }, "shutting down: stopping the workers");
    for (const slot of this.slots) if (slot.restart) clearTimeout(slot.restart);
    for (const worker of live) worker.process.kill(signal);
    setTimeout(
      () => this.force(`the workers did not stop within ${this.config.shutdown.timeoutMs} ms`),
      this.config.shutdown.timeoutMs + FORCE_MARGIN_MS,
    ).unref();
    this.settle();
  }

  private live(): Worker[] {
    return this.slots.flatMap((s) => (s.worker ? [s.worker] : []));
  }

  private settle(): void {
    if (this.phase !== "stopping" || this.live().length > 0) return;
    if (!this.failed) this.logger.info("every worker stopped");
    this.finish(this.failed ? 1 : 0);
  }

  private force(why: string): void {
    const live = this.live();
    this.logger.error({ workers: live.map((w) => w.process.pid) }, `${why}; killing the workers`);
    for (const worker of live) worker.process.kill("SIGKILL");
    this.finish(1);
  }
}
