import { z } from "zod";
import { commaList } from "../http/comma-list.js";
import { REQUEST_LOG_ORDER } from "./request-log-store.js";

/**
 * StackOne's Request Logs API as the official SDK 4.28 calls it (`requestLogs.listLogs`,
 * `requestLogs.getLog`): the SDK sends its `filter` object's fields as top-level query keys
 * (form style), so `order_by` may come twice (the filter's and the request's; the last wins).
 */
const last = (v: unknown) => (Array.isArray(v) ? v.at(-1) : v);

const csv = commaList(100);

export const ORDER_BY = Object.keys(REQUEST_LOG_ORDER) as [keyof typeof REQUEST_LOG_ORDER];

export const RequestLogsQuery = z.object({
  page_size: z.preprocess(
    (v) => (last(v) === "" ? undefined : last(v)),
    z.coerce.number().int().min(1).max(1000).optional().describe("Default 25, at most 1000"),
  ),
  next: z.preprocess(last, z.string().max(2000).optional()).describe("The cursor of the next page"),
  order_by: z.preprocess(last, z.enum(ORDER_BY).optional()).describe("Default eventDatetime"),
  order_direction: z.preprocess(last, z.enum(["asc", "desc"]).optional()).describe("Default desc"),
  include: z.preprocess(last, z.string().max(100).optional()).describe("step_logs: the provider requests"),
  account_ids: csv,
  providers: csv,
  http_methods: csv,
  request_ids: csv,
  services: csv.describe("connect_sessions, accounts, connectors, proxy, webhooks, request_logs"),
  status_codes: csv,
  source_ids: csv.describe("API key ids (key_...)"),
  source_types: csv.describe("API_KEY"),
  actions: csv.describe("Portico records none: a value matches nothing"),
  resources: csv.describe("Portico records none: a value matches nothing"),
  sub_resources: csv.describe("Portico records none: a value matches nothing"),
  child_resources: csv.describe("Portico records none: a value matches nothing"),
  source_values: csv.describe("Portico records none: a value matches nothing"),
  success: z.preprocess(last, z.enum(["true", "false"]).optional()),
  start_date: z.preprocess(last, z.iso.datetime({ offset: true }).optional()),
  end_date: z.preprocess(last, z.iso.datetime({ offset: true }).optional()),
});
export type RequestLogsQuery = z.infer<typeof RequestLogsQuery>;

export const LogIdParams = z.object({ id: z.string().min(1).max(100) });
export const LogQuery = z.object({ include: z.preprocess(last, z.string().max(100).optional()) });

/** @see node_modules/@stackone/stackone-client-ts/sdk/models/shared/steplogpartial.d.ts */
export const StepLog = z
  .object({
    request_id: z.string(),
    account_id: z.string().nullable(),
    project_id: z.string(),
    provider: z.string().nullable(),
    service: z.string(),
    http_method: z.string().nullable(),
    path: z.string().nullable(),
    url: z.string().nullable(),
    status: z.number().nullable(),
    success: z.boolean().nullable(),
    start_time: z.iso.datetime(),
    end_time: z.iso.datetime(),
    duration: z.number().nullable(),
  })
  .meta({ id: "StepLogPartial" });
export type StepLogPartial = z.infer<typeof StepLog>;

/** @see node_modules/@stackone/stackone-client-ts/sdk/models/shared/unifiedlogspartial.d.ts */
export const UnifiedLogsPartial = z
  .object({
    request_id: z.string(),
    project_id: z.string(),
    account_id: z.string().nullable(),
    provider: z.string().nullable(),
    service: z.string(),
    resource: z.null(),
    sub_resource: z.null(),
    child_resource: z.null(),
    action: z.null(),
    http_method: z.string(),
    path: z.string().describe("The path called, without its query string"),
    url: z.string(),
    status: z.number(),
    success: z.boolean(),
    duration: z.number().describe("Milliseconds"),
    event_datetime: z.iso.datetime(),
    start_time: z.iso.datetime(),
    end_time: z.iso.datetime(),
    source_type: z.literal("API_KEY"),
    source_id: z.string().nullable().describe("The API key's id"),
    source_value: z.string().nullable().describe("The API key's display prefix"),
    source_ip: z.null(),
    is_worker: z.boolean(),
    error: z
      .string()
      .nullable()
      .describe("Portico's own error, when the call failed without a provider answer"),
    step_requests: z
      .array(StepLog)
      .nullable()
      .describe("With include=step_logs: the provider request, one step per attempt when the proxy retried"),
  })
  .meta({ id: "UnifiedLogsPartial" });
export type UnifiedLogsPartial = z.infer<typeof UnifiedLogsPartial>;

export const UnifiedLogsPaginated = z
  .object({ data: z.array(UnifiedLogsPartial), next: z.string().nullable() })
  .meta({ id: "UnifiedLogsPaginated" });

export const UnifiedLogs = UnifiedLogsPartial.extend({
  request: z.object({
    id: z.string(),
    method: z.string(),
    url: z.object({ url: z.string(), hostname: z.string(), path: z.string(), query_params: z.null() }),
    headers: z.null(),
    body: z.null(),
  }),
  response: z.object({ status_code: z.number(), headers: z.null(), body: z.null() }),
}).meta({ id: "UnifiedLogs" });
export type UnifiedLogs = z.infer<typeof UnifiedLogs>;

export const UnifiedLogResult = z.object({ data: UnifiedLogs }).meta({ id: "UnifiedLogResult" });
