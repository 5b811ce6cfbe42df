import type { FastifyRequest } from "fastify";
import { PorticoError } from "../errors.js";
import {
  type ClientContract,
  type ClientFamily,
  contractOf,
  LATEST_CONTRACT,
  parseVersion,
} from "./client-contracts.js";

/**
 * A wire profile: the StackOne contract one request is answered in. StackOne's clients disagree
 * across versions (`organization_id` a number or a string, `scheduling` known or not), so each
 * caller gets what its own client's schema accepts, chosen here and nowhere else:
 *   1. the API key's `wire_profile` setting, else its project's (`portico projects update
 *      --wire-profile`, `portico api-keys create|update --wire-profile`);
 *   2. else the client the `user-agent` names (StackOne's generated SDKs say their language and
 *      version, e.g. `speakeasy-sdk/typescript 4.28.0 2.721.3 1.0.0 @stackone/stackone-client-ts`);
 *   3. else the newest contract (raw HTTP, browsers, other languages).
 * @see ../../../shared/spec/stackone-api.md section 8
 */
export type WireProfile = { readonly name: string; readonly contract: ClientContract };

export const LATEST_PROFILE: WireProfile = { name: "latest", contract: LATEST_CONTRACT };

export const WIRE_PROFILE_FORMS = "auto, latest, typescript@<version>, php@<version> or java@<version>";

const SETTING = /^(typescript|php|java)@(\d{1,4}\.\d{1,4}(?:\.\d{1,4})?)$/;

/** StackOne's generated SDKs send about 80 characters; a longer user agent is no SDK's. */
const MAX_USER_AGENT = 256;
/**
 * `speakeasy-sdk/<language> <sdk version> <generator version> <api version> <package>`. Anchored
 * at both ends, and every repetition is of characters the next part cannot start with (a token is
 * never a space), so a scan is linear: the unanchored `.*\s` this replaces backtracked over every
 * occurrence of the prefix, and a long header of repeats cost a second of CPU a request.
 */
const USER_AGENT =
  /^speakeasy-sdk\/(typescript|php|java) (\d{1,4}\.\d{1,4}\.\d{1,4})(?:[-+][^ ]{0,64})? (?:[^ ]{1,64} ){0,8}(?:@stackone\/stackone-client-ts|stackone\/client-sdk|com\.stackone\.stackone_client_java)$/;

/** Profiles by setting or user agent; both come from a small set, so the map stays small. */
const cache = new Map<string, WireProfile>();
const CACHE_MAX = 1000;

function remember(key: string, make: () => WireProfile): WireProfile {
  let profile = cache.get(key);
  if (!profile) {
    profile = make();
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, profile);
  }
  return profile;
}

const forClient = (family: ClientFamily, version: string): WireProfile =>
  remember(`${family}@${version}`, () => ({
    name: `${family}@${version}`,
    contract: contractOf(family, parseVersion(version)!),
  }));

/**
 * A setting in its canonical form (`typescript@4.28` -> `typescript@4.28.0`); `auto` means detect
 * from the user agent. Anything else is a 400 naming the field.
 */
export function normalizeWireProfile(input: string, field = "wire_profile"): string {
  const value = input.trim().toLowerCase();
  if (value === "auto" || value === "latest") return value;
  const m = SETTING.exec(value);
  if (!m) throw new PorticoError("VALIDATION", `${field}: must be ${WIRE_PROFILE_FORMS}`);
  return `${m[1]}@${parseVersion(m[2]!)!.join(".")}`;
}

/** The profile a stored (canonical) setting pins; undefined for none or `auto`. */
export function profileForSetting(setting: string | null | undefined): WireProfile | undefined {
  if (!setting || setting === "auto") return undefined;
  if (setting === "latest") return LATEST_PROFILE;
  const m = SETTING.exec(setting);
  return m ? forClient(m[1] as ClientFamily, m[2]!) : undefined;
}

/** Profiles by user agent: a few distinct values in practice, bounded against many. */
const byUserAgent = new Map<string, WireProfile>();
const USER_AGENTS_MAX = 1000;

/** The profile of the StackOne client a user agent names; the newest contract for any other. */
export function profileForUserAgent(userAgent: string | undefined): WireProfile {
  if (!userAgent?.startsWith("speakeasy-sdk/") || userAgent.length > MAX_USER_AGENT) return LATEST_PROFILE;
  let profile = byUserAgent.get(userAgent);
  if (!profile) {
    const m = USER_AGENT.exec(userAgent);
    profile = m ? forClient(m[1] as ClientFamily, m[2]!) : LATEST_PROFILE;
    // The oldest value goes first: a flood of distinct values costs each one bounded parse.
    if (byUserAgent.size >= USER_AGENTS_MAX) byUserAgent.delete(byUserAgent.keys().next().value!);
    byUserAgent.set(userAgent, profile);
  }
  return profile;
}

/** The profile this API request is answered in (after the API-key hook set its principal). */
export function wireProfileOf(request: FastifyRequest): WireProfile {
  return request.principal.wireProfile ?? profileForUserAgent(request.headers["user-agent"]);
}
