/**
 * The OpenAPI document's prose, written for the people who call the API: what the reference opens
 * with, one description per resource (tag) in the order a newcomer needs them, and what each
 * operation is for and the rules it keeps. The routes declare their schemas, summaries and tags; this
 * file adds the words around them, in one place, so the reference at /docs and the docs site's
 * reference pages (rendered from the same document) read as one guide.
 */

/** What /docs opens with: what this API is, how to authenticate, what errors look like. */
export const API_INTRODUCTION = [
  "Portico is a self-hostable **connect layer**: your backend opens a **connect session** for one of your customers, that customer's user links a third-party account (an HRIS, an ATS, a CRM...) through the hub, and your backend then lists the **linked accounts** and calls their providers through the **proxy**, without ever holding their credentials.",
  "",
  "Portico speaks StackOne's wire format: StackOne's official SDKs (TypeScript, PHP, Python, Java) work against it unmodified once their server URL points here. StackOne's unified data APIs (`/unified/hris/employees` and the other categories' normalised models) are **not** served: they answer 501 with a message naming the proxy, `POST /unified/proxy`, which reaches every provider's own API.",
  "",
  '**Authentication.** HTTP Basic with your API key as the username and an empty password: `curl -u "$KEY:" ...`. The first start prints a key once; `portico api-keys create` makes more. Every call is scoped to the key\'s project.',
  "",
  '**Errors.** Every 4xx and 5xx has StackOne\'s error body, `{"statusCode": 400, "message": "origin_owner_id: is required", "timestamp": "2026-01-01T00:00:00.000Z"}`, whose message names the offending field; the SDKs raise it as their typed errors.',
  "",
  "**Client versions.** StackOne's clients disagree across versions on a few fields (`organization_id` is a number for TypeScript SDKs before 4.34, a numeric string after). Portico answers each SDK in the shape its version expects, recognised from its `user-agent`; this document describes the newest contract, which raw HTTP callers get. The docs' SDK page lists the differences.",
  "",
  "Paths under `/portico/v1` (webhook endpoints, the raw proxy) and `/console/api` are Portico's own, beyond StackOne's API.",
].join("\n");

/** The resources, in reading order, each with what it is for. */
export const API_TAGS: { name: string; description: string }[] = [
  {
    name: "Connect Sessions",
    description:
      "Start here. A connect session is a short-lived permission for one of your customers (the *origin owner*) to link an account. Create one from your backend and hand its `auth_link_url` to the user, or its `token` to the hub embedded in your page. The session decides what the hub offers (`categories`, `provider`) and what the linked account carries (`label`, `metadata`, `type`).",
  },
  {
    name: "Accounts",
    description:
      "Linked accounts: what your customers' users connected. An account never carries its credentials in any answer; use it through the proxy. Accounts are grouped by origin owner, and a new link for the same owner and provider re-connects the existing account unless the session had `multiple: true`.",
  },
  {
    name: "Connectors",
    description:
      "The providers Portico can connect to (its catalog) with their categories and logos; `active` says whether your project offers the provider in the hub (`portico integrations enable`).",
  },
  {
    name: "Proxy",
    description:
      "Call a provider's own API as a linked account: Portico adds the account's credentials (refreshing OAuth tokens when due) and forwards your method, path, headers and body. This is how you read and write data: Portico has no unified data models.",
  },
  {
    name: "Request Logs",
    description:
      "Every call made with your project's API keys and every proxied call, with status and duration; never a body, a header value, a query value or a credential.",
  },
  {
    name: "Webhooks (Portico)",
    description:
      "Portico's own: endpoints that receive `account.created`, `account.updated`, `account.deleted`, `account.error` and `account.recovered`, signed with Standard Webhooks headers and StackOne's `x-stackone-signature`. Delivery is at least once, retried with backoff; de-duplicate by `webhook-id`.",
  },
  {
    name: "Console (Portico)",
    description:
      "The API behind the operator console's pages. It takes the console's session cookie (sign in with `portico console link`), not an API key, and a change must come from Portico's own origin. Scripts should use the API above or the `portico` command instead.",
  },
];

/** What each operation is for, by operationId, beyond its one-line summary. */
export const OPERATION_GUIDES: Record<string, string> = {
  stackone_create_connect_session: [
    "Opens a connect session for one of your customers and answers its `token` and `auth_link_url`. Call it from your backend, never from a browser: it takes your API key.",
    "",
    "- `origin_owner_id` and `origin_owner_name` are required: your customer's id and display name.",
    "- `categories` limits the hub to providers of those categories; `provider` opens the hub directly at one provider (it must be in the catalog and within `categories`).",
    "- `account_id` opens the hub in edit mode for that account (re-authentication); `multiple: true` always creates a new account instead of re-connecting the owner's existing one.",
    "- `expires_in` is in seconds, 60 to 2,592,000 (default 1800). The token can be used until then, by the hub's many calls.",
    "- `label`, `metadata` (a JSON object of at most 16 KB) and `type` (`production` or `test`) are copied onto the linked account.",
    "- `portico` (Portico's extension, not sent by StackOne's SDKs): `success_url` and `error_url` where the hosted page sends the end user afterwards, on the project's allowed origins.",
  ].join("\n"),
  stackone_authenticate_connect_session: [
    "Checks a session token (for example one your frontend sent back) and answers the session it belongs to. An unknown, expired or other project's token is the same 400.",
  ].join("\n"),
  stackone_list_linked_accounts: [
    "Answers a bare JSON array in a stable order (creation time, then id). Pages are 1-based: `page` and `page_size` (default 25, at most 1000).",
    "",
    "Filters take repeated keys or comma-separated values: `origin_owner_id`/`origin_owner_ids`, `provider`/`providers`, `account_ids` (up to 1000), `status`.",
  ].join("\n"),
  stackone_get_account: "One linked account of your project. Another project's account id is a 404.",
  stackone_update_account: [
    "Changes an account's `label`, `metadata`, owner name and username, `type`, `shared`, or its `credentials` and `setup_information`.",
    "",
    'New credentials are verified with the provider before they replace the old ones (a refusal is a 400 with the provider\'s answer). An empty object, which the SDK sends for every free-form field, means *no change*, and `type: "production"` never turns a test account back into production.',
  ].join("\n"),
  stackone_delete_account:
    "Deletes the account and destroys its stored credentials, then answers the deleted account (200, as StackOne does). An `account.deleted` webhook follows.",
  stackone_get_account_meta_info: "The account's provider and category.",
  portico_get_account_health: [
    "Portico's own: what the account's last health check found (`result`: `ok`, `rejected`, `inconclusive`, `refresh_failed`, `unsupported`), when it ran and when the next is due.",
    "",
    "Portico checks every account with its provider's verification request every `PORTICO_HEALTH_CHECK_INTERVAL_HOURS`, and counts proxied calls as checks. None of this is added to the LinkedAccount.",
  ].join("\n"),
  portico_check_account: [
    "Portico's own: checks the account's credentials with its provider now and answers what it found.",
    "",
    "A refusal is confirmed by a second verification request before the account goes to `error` (`status_reasons` code `credentials_rejected`, `account.updated` and `account.error` webhooks); a success brings an account in error back to `active`. A 409 means another check of the account is under way.",
  ].join("\n"),
  stackone_list_connectors_meta:
    "Every provider of the catalog with its category, logo and `active` for your project. `include` is accepted for compatibility.",
  stackone_get_connector_meta: "One provider of the catalog by its key, for example `bamboohr`.",
  stackone_proxy_request: [
    "Sends one request to the provider of the account named by `x-account-id`, with that account's credentials.",
    "",
    "- `path` is relative to the provider's API base URL (from the catalog, with the account's setup values such as a subdomain); `url` may name another base URL on the provider's own origin only.",
    "- `method` (default `get`), `headers` and `body` are forwarded; your own `authorization` header is dropped.",
    "- A success comes back as `{status, headers, data}`: the provider's status, its headers, and its body (JSON as it is; other text as a string; bytes base64-encoded).",
    "- A provider's error keeps its status, in StackOne's error body with the provider's answer in `provider_errors[0].raw`. A provider that does not answer in time is a 408; one that cannot be reached, a 502.",
    "- A 429 is retried for every method, a 502, 503 or 504 for idempotent ones, up to 5 times after `Retry-After`, within the time limit; you get the last answer. `x-portico-retry: off` turns retries off for one call.",
    "",
    "For a file download use `POST /portico/v1/proxy/raw`, which answers the provider's bytes as they are.",
  ].join("\n"),
  portico_proxy_raw:
    "The same call as `POST /unified/proxy`, answered with the provider's own status, headers and bytes: use it for file downloads. Errors are the same as the proxy's.",
  stackone_list_logs: [
    "Your project's request log, newest first by default. Filter by `account_ids`, `providers`, `http_methods`, `status_codes`, `services`, `success`, `start_date`, `end_date` and more; order by `eventDatetime`, `duration`, `status`, `provider` or `service`.",
    "",
    "`next` is an opaque cursor for the following page, null on the last one. A call shows up within about a second.",
  ].join("\n"),
  stackone_get_log: "One entry of the request log, by its `request_id`.",
  portico_list_webhooks: "Your project's webhook endpoints. Secrets are never shown again after creation.",
  portico_create_webhook: [
    "Adds an endpoint that receives the events you list (all of them when `events` is left out).",
    "",
    "The answer holds the endpoint's signing secret (`whsec_...`) **once**: store it to verify signatures. The URL must be reachable from Portico and may not be a loopback, link-local or private address (unless the server allows private networks).",
  ].join("\n"),
  portico_get_webhook:
    "One endpoint of your project, with its state (enabled, or disabled after failing for too long).",
  portico_delete_webhook: "Removes the endpoint; its pending deliveries are dropped.",
  portico_rotate_webhook_secret:
    "Answers a new signing secret, once. During the configured overlap (a day by default) deliveries carry a second `webhook-signature` made with the old secret, so you can switch without refusing any.",
  portico_enable_webhook:
    "Resumes an endpoint that was disabled after failing continuously; its waiting deliveries go out again.",
  portico_list_webhook_deliveries:
    "The endpoint's deliveries, newest first, each with every attempt: status code, duration, error, and when the next retry is due.",
  portico_replay_webhooks:
    "Sends events again: one by `event_id`, or every event since a time (`since`, optionally `until`), to every subscribed endpoint or to one. At most 1,000 events a call: when more are left, the answer's `next_since` is where to continue.",
};

/** What each status means when a route does not say more. */
export const RESPONSE_TEXT: Record<string, string> = {
  "200": "OK",
  "201": "Created",
  "202": "Accepted",
  "204": "No content",
  "400": "Bad request: the message names the offending field",
  "401": "Unauthorized: the API key is missing, unknown or revoked",
  "403": "Forbidden",
  "404": "Not found (or another project's)",
  "408": "The provider or the request took too long",
  "409": "Conflict",
  "413": "The request body is too large",
  "422": "Unprocessable entity",
  "429": "Too many requests: retry after the `Retry-After` seconds",
  "500": "Internal server error",
  "501": "Not implemented",
  "502": "The provider could not be reached or answered badly",
  "503": "The database is not answering, or this server is shutting down: retry",
};
