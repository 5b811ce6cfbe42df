import http from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/**
 * A local OTLP/HTTP trace receiver, as a collector would be: it takes `POST /v1/traces` in either
 * protocol (http/protobuf or http/json), keeps every request's raw bytes (to search them for
 * secrets) and decodes the spans into one shape. The protobuf side is decoded here from the
 * OTLP schema's field numbers, so the test does not trust the exporter's own encoder to read back
 * what it wrote.
 * @see https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/trace/v1/trace.proto
 */

export type Value = string | number | boolean;

export type ReceivedSpan = {
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  /** 1 internal, 2 server, 3 client (the OTLP enum). */
  kind: number;
  startNanos: bigint;
  endNanos: bigint;
  attributes: Record<string, Value>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  resource: Record<string, Value>;
};

export type OtlpReceiver = {
  url: string;
  spans: ReceivedSpan[];
  /** Every request body as it arrived (decompressed), and its content type. */
  raw: { contentType: string; body: Buffer }[];
  waitFor(pred: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
};

export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const raw: OtlpReceiver["raw"] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      const contentType = String(req.headers["content-type"] ?? "");
      raw.push({ contentType, body });
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      try {
        spans.push(...(contentType.includes("json") ? fromJson(body) : fromProtobuf(body)));
      } catch (err) {
        res.writeHead(400).end(String(err));
        return;
      }
      if (contentType.includes("json")) res.writeHead(200, { "content-type": "application/json" }).end("{}");
      else res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    raw,
    async waitFor(pred, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred(spans)) {
        if (Date.now() > deadline)
          throw new Error(
            `spans not received within ${timeoutMs} ms; have: ${spans.map((s) => s.name).join(", ")}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

// ---- OTLP/JSON ----------------------------------------------------------------------------------

type JsonValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
};
type JsonKeyValue = { key: string; value: JsonValue };

const jsonValue = (v: JsonValue): Value =>
  v.stringValue ?? v.boolValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? ""));

const jsonAttributes = (list: JsonKeyValue[] | undefined) =>
  Object.fromEntries((list ?? []).map((a) => [a.key, jsonValue(a.value)]));

function fromJson(body: Buffer): ReceivedSpan[] {
  const doc = JSON.parse(body.toString("utf8")) as {
    resourceSpans: {
      resource?: { attributes?: JsonKeyValue[] };
      scopeSpans: {
        spans: {
          traceId: string;
          spanId: string;
          parentSpanId?: string;
          name: string;
          kind: number;
          startTimeUnixNano: string | number;
          endTimeUnixNano: string | number;
          attributes?: JsonKeyValue[];
          status?: { code?: number };
        }[];
      }[];
    }[];
  };
  const out: ReceivedSpan[] = [];
  for (const rs of doc.resourceSpans) {
    const resource = jsonAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans)
      for (const s of ss.spans)
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? "",
          name: s.name,
          kind: s.kind,
          startNanos: BigInt(s.startTimeUnixNano),
          endNanos: BigInt(s.endTimeUnixNano),
          attributes: jsonAttributes(s.attributes),
          statusCode: s.status?.code ?? 0,
          resource,
        });
  }
  return out;
}

// ---- OTLP/protobuf ------------------------------------------------------------------------------

type Field = { no: number; wire: number; varint?: bigint; bytes?: Buffer; fixed?: Buffer };

/** The fields of one protobuf message, in order (repeated fields appear once per value). */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, varint: varint() });
    else if (wire === 1) {
      out.push({ no, wire, fixed: buf.subarray(i, i + 8) });
      i += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, wire, bytes: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 5) {
      out.push({ no, wire, fixed: buf.subarray(i, i + 4) });
      i += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const all = (fs: Field[], no: number) => fs.filter((f) => f.no === no);
const one = (fs: Field[], no: number) => fs.find((f) => f.no === no);
const text = (f: Field | undefined) => f?.bytes?.toString("utf8") ?? "";
const hex = (f: Field | undefined) => f?.bytes?.toString("hex") ?? "";

/** AnyValue: 1 string, 2 bool, 3 int64, 4 double. */
function anyValue(buf: Buffer): Value {
  const f = fields(buf)[0];
  if (!f) return "";
  if (f.no === 1) return text(f);
  if (f.no === 2) return f.varint === 1n;
  if (f.no === 3) return Number(BigInt.asIntN(64, f.varint ?? 0n));
  if (f.no === 4) return f.fixed!.readDoubleLE(0);
  return "";
}

/** repeated KeyValue: 1 key, 2 value. */
const protoAttributes = (list: Field[]) =>
  Object.fromEntries(
    list.map((kv) => {
      const f = fields(kv.bytes!);
      return [text(one(f, 1)), anyValue(one(f, 2)?.bytes ?? Buffer.alloc(0))];
    }),
  );

/**
 * ExportTraceServiceRequest{1 ResourceSpans}; ResourceSpans{1 Resource{1 attributes},
 * 2 ScopeSpans{2 Span}}; Span{1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind,
 * 7 start, 8 end, 9 attributes, 15 Status{3 code}}.
 */
function fromProtobuf(body: Buffer): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of all(fields(body), 1)) {
    const rsf = fields(rs.bytes!);
    const resourceField = one(rsf, 1);
    const resource = resourceField ? protoAttributes(all(fields(resourceField.bytes!), 1)) : {};
    for (const ss of all(rsf, 2))
      for (const sp of all(fields(ss.bytes!), 2)) {
        const f = fields(sp.bytes!);
        const status = one(f, 15);
        out.push({
          traceId: hex(one(f, 1)),
          spanId: hex(one(f, 2)),
          parentSpanId: hex(one(f, 4)),
          name: text(one(f, 5)),
          kind: Number(one(f, 6)?.varint ?? 0n),
          startNanos: one(f, 7)?.fixed?.readBigUInt64LE(0) ?? 0n,
          endNanos: one(f, 8)?.fixed?.readBigUInt64LE(0) ?? 0n,
          attributes: protoAttributes(all(f, 9)),
          statusCode: status ? Number(one(fields(status.bytes!), 3)?.varint ?? 0n) : 0,
          resource,
        });
      }
  }
  return out;
}
