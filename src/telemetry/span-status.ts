import { type Span, SpanStatusCode } from "@opentelemetry/api";

/**
 * Marks a span failed, by kind (`error.type`): a status code, an error's code or class name,
 * never its message. Apart from tracing.ts so the HTTP hooks need only the API, not the SDK.
 */
export function failed(span: Span, type: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.setAttribute("error.type", type);
}
