import { StackOne } from "@stackone/stackone-client-ts";

/** The official SDK pointed at a Portico, with retries off as the spec advises for tests. */
export const sdkFor = (serverURL: string, apiKey: string) =>
  new StackOne({
    serverURL,
    security: { username: apiKey, password: "" },
    retryConfig: { strategy: "none" },
  });

/** Runs a call expected to fail and returns what it threw. */
export async function thrown(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected the call to fail");
}
