import type { Logger } from "pino";
import type { DatabaseAvailability } from "../db/availability.js";

/**
 * Runs a job every `intervalMs`, never two runs of it at once, and stops cleanly: `stop()` waits
 * for a run in progress. A failing run is logged and the next one still happens; a run that failed
 * because the database is down is counted in the outage, which is logged once.
 */
export class Periodic {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly job: () => Promise<unknown>,
    private readonly logger: Logger,
    private readonly availability?: DatabaseAvailability,
  ) {}

  start(): this {
    const tick = () => {
      if (this.stopped || this.running) return;
      this.running = this.job()
        .then(() => undefined)
        .catch((err) => {
          if (!this.availability?.report(err))
            this.logger.error({ err, job: this.name }, "background job failed");
        })
        .finally(() => {
          this.running = null;
        });
    };
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
    setImmediate(tick);
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
