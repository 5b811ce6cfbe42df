import type { Worker } from "node:cluster";
import type {
  RefreshUse,
  SandboxCode,
  SandboxOAuthState,
  SandboxOAuthStore,
} from "../sandbox/oauth-server.js";

/**
 * Sandbox CRM's authorization server state with `portico serve --processes`: the primary keeps it
 * and the workers ask over the cluster's IPC channel. A code issued by one worker is then redeemed
 * on another, and a refresh token is spent once whichever worker sees it, because every operation
 * runs in one process, one at a time. (Across nodes the sandbox stays a one-node demo.)
 */
const OPS = ["saveCode", "takeCode", "saveTokens", "useRefresh", "accessValid"] as const;
type Op = (typeof OPS)[number];

type Call = { portico: "sandbox-oauth"; id: number; op: Op; args: unknown[] };
type Answer = { portico: "sandbox-oauth"; id: number; result?: unknown; error?: string };

const isCall = (m: unknown): m is Call =>
  (m as Call)?.portico === "sandbox-oauth" && OPS.includes((m as Call).op) && Array.isArray((m as Call).args);

/** In the primary: answers one worker's calls on the state. */
export function answerSandboxCalls(worker: Worker, state: SandboxOAuthState): void {
  worker.on("message", (m: unknown) => {
    if (!isCall(m)) return;
    let answer: Answer;
    try {
      const result = (state[m.op] as (...a: unknown[]) => unknown)(...m.args);
      answer = { portico: "sandbox-oauth", id: m.id, result: result ?? null };
    } catch (err) {
      answer = { portico: "sandbox-oauth", id: m.id, error: (err as Error).message };
    }
    // A worker that died meanwhile gets no answer; nothing waits for it.
    if (worker.isConnected()) worker.send(answer, () => {});
  });
}

/** In a worker: the store, as calls to the primary. */
export class SandboxStateClient implements SandboxOAuthStore {
  readonly tokenRequests = { authorization_code: 0, refresh_token: 0 };
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();

  constructor(
    readonly tokenTtlSeconds: number,
    /** The primary answers in microseconds; past this something is wrong, and the request fails. */
    private readonly timeoutMs = 5000,
  ) {
    process.on("message", (m: Answer) => {
      if (m?.portico !== "sandbox-oauth") return;
      const call = this.pending.get(m.id);
      if (!call) return;
      this.pending.delete(m.id);
      clearTimeout(call.timer);
      if (m.error !== undefined) call.reject(new Error(`sandbox state: ${m.error}`));
      else call.resolve(m.result);
    });
  }

  private call<T>(op: Op, args: unknown[]): Promise<T> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`sandbox state: the primary did not answer ${op} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      process.send!({ portico: "sandbox-oauth", id, op, args } satisfies Call);
    });
  }

  saveCode(code: string, grant: SandboxCode): Promise<void> {
    return this.call("saveCode", [code, grant]);
  }

  takeCode(code: string): Promise<SandboxCode | null> {
    return this.call("takeCode", [code]);
  }

  saveTokens(access: string, refresh: string, family: string, scope: string): Promise<void> {
    return this.call("saveTokens", [access, refresh, family, scope]);
  }

  useRefresh(refresh: string): Promise<RefreshUse> {
    return this.call("useRefresh", [refresh]);
  }

  accessValid(access: string): Promise<boolean> {
    return this.call("accessValid", [access]);
  }
}
