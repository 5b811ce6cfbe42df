import os from "node:os";

/**
 * Who made a change, as the history records it: an end user through a connect session, an API
 * key, an operator (the CLI or a console sign-in), the token-refresh scheduler, or Portico itself
 * (first-start setup, a refresh needed by a call that named no caller).
 */
export type ActorType = "session" | "api_key" | "operator" | "scheduler" | "system";

export type Actor = { type: ActorType; id: string | null; name: string | null };

export const SYSTEM_ACTOR: Actor = Object.freeze({ type: "system", id: null, name: null });

export const SCHEDULER_ACTOR: Actor = Object.freeze({ type: "scheduler", id: null, name: "token refresh" });

/** An API key, by its id and display prefix (never the key). */
export const apiKeyActor = (principal: { keyId: string; keyPrefix: string }): Actor => ({
  type: "api_key",
  id: principal.keyId,
  name: principal.keyPrefix,
});

/** The end user of a connect session, named as the session names them. */
export const sessionActor = (session: {
  id: number;
  origin_username: string | null;
  origin_owner_name: string;
}): Actor => ({
  type: "session",
  id: String(session.id),
  name: session.origin_username ?? session.origin_owner_name,
});

/** An operator at the command line, by the machine's user name. */
export const cliActor = (): Actor => ({ type: "operator", id: "cli", name: safeUserName() });

/**
 * An operator signed in to the console: a console user by their id and email, or a break-glass
 * session (`portico console link`) by its id and the name the link was given.
 */
export const consoleActor = (session: { id: string; userId: string | null; operator: string }): Actor => ({
  type: "operator",
  id: session.userId ?? session.id,
  name: session.operator,
});

export function safeUserName(): string {
  try {
    return os.userInfo().username || "operator";
  } catch {
    return "operator";
  }
}
