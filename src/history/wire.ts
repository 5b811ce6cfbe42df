import type { ProviderStep } from "./request-log-hook.js";
import type { RequestLogRow } from "./request-log-store.js";
import type { StepLogPartial, UnifiedLogs, UnifiedLogsPartial } from "./schemas.js";

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A request-log row as StackOne's `UnifiedLogsPartial`: the call to Portico, and for a proxied
 * call (with `include=step_logs`) the provider request as its one step. Fields Portico does not
 * record (resources, actions, the caller's IP) are null; bodies and headers never exist.
 */
export function unifiedLogPartial(row: RequestLogRow, publicUrl: string, steps: boolean): UnifiedLogsPartial {
  const start = Number(row.created_at);
  const end = start + Number(row.duration_ms);
  return {
    request_id: row.id,
    project_id: row.project_id,
    account_id: row.account_id,
    provider: row.provider,
    service: row.service,
    resource: null,
    sub_resource: null,
    child_resource: null,
    action: null,
    http_method: row.method,
    path: row.path,
    url: `${publicUrl}${row.path}`,
    status: Number(row.status),
    success: Number(row.status) < 400,
    duration: Number(row.duration_ms),
    event_datetime: iso(start),
    start_time: iso(start),
    end_time: iso(end),
    source_type: "API_KEY",
    source_id: row.key_id,
    source_value: row.key_prefix,
    source_ip: null,
    is_worker: false,
    error: row.error,
    step_requests: steps && row.provider_url !== null ? stepLogs(row, start, end) : null,
  };
}

/**
 * A proxied call's provider requests: one step, or one per attempt when the proxy retried
 * (`provider_steps`), each with its own status, start and duration.
 */
function stepLogs(row: RequestLogRow, start: number, end: number): StepLogPartial[] {
  const attempts = row.provider_steps
    ? (JSON.parse(row.provider_steps) as ProviderStep[])
    : [
        {
          status: row.provider_status === null ? null : Number(row.provider_status),
          started_at: start,
          duration_ms: null,
        },
      ];
  return attempts.map((a) => ({
    request_id: row.id,
    account_id: row.account_id,
    project_id: row.project_id,
    provider: row.provider,
    service: row.service,
    http_method: row.provider_method,
    path: row.provider_path,
    url: row.provider_url,
    status: a.status,
    success: a.status === null ? null : a.status < 400,
    start_time: iso(a.started_at),
    end_time: iso(a.duration_ms === null ? end : a.started_at + a.duration_ms),
    duration: a.duration_ms,
  }));
}

export function unifiedLog(row: RequestLogRow, publicUrl: string, steps: boolean): UnifiedLogs {
  const url = new URL(row.path, `${publicUrl}/`);
  return {
    ...unifiedLogPartial(row, publicUrl, steps),
    request: {
      id: row.id,
      method: row.method,
      url: { url: `${publicUrl}${row.path}`, hostname: url.hostname, path: row.path, query_params: null },
      headers: null,
      body: null,
    },
    response: { status_code: Number(row.status), headers: null, body: null },
  };
}
