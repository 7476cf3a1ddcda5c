import type { HeaderAction, HttpRequest } from "@membrane/engine";
import type { RecordedHeader } from "./flow-record.ts";

/** One header field: lowercase name and value. */
export type HeaderField = readonly [name: string, value: string];

/** A request's header fields in order, names lowercase; repeated names stay repeated. */
export type HeaderList = HeaderField[];

/** Header fields that are only read. */
export type ReadonlyHeaders = readonly HeaderField[];

/**
 * Connection-specific fields that are never forwarded: they describe one hop (RFC 9110 §7.6.1),
 * and HTTP/2 forbids them outright. `te` is kept on HTTP/2 when it is exactly `trailers`.
 */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "upgrade",
  "http2-settings",
  "trailer",
  "expect",
]);

/**
 * The request the engine's matcher sees: `:authority` and the other pseudo-headers are in `headers`
 * too. That map is built only when a rule reads it (most match on method and path alone: one map
 * and an array per field saved per request).
 */
export function toHttpRequest(method: string, path: string, host: string, headers: ReadonlyHeaders): HttpRequest {
  return new LazyHttpRequest(method, path, host, headers);
}

/**
 * A class, not an object literal with a `get headers()`: V8 turns such a literal into a
 * dictionary-mode object whose getter sits in an AccessorPair, and AccessorPairs are allocated in
 * the old generation. Through the pair's closure each request's head stayed reachable from old
 * space until the next full GC, so every young-generation GC copied ~600 bytes a request: under
 * load its pauses grew to 8–15 ms and were the proxy's p99. Here the getter is on the prototype.
 */
class LazyHttpRequest implements HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  readonly #fields: ReadonlyHeaders;
  #map: Map<string, string[]> | undefined = undefined;

  constructor(method: string, path: string, host: string, fields: ReadonlyHeaders) {
    this.method = method;
    this.path = path;
    this.host = host;
    this.#fields = fields;
  }

  get headers(): ReadonlyMap<string, readonly string[]> {
    return (this.#map ??= headerMap(this.method, this.path, this.host, this.#fields));
  }
}

function headerMap(method: string, path: string, host: string, headers: ReadonlyHeaders): Map<string, string[]> {
  const map = new Map<string, string[]>();
  const add = (name: string, value: string): void => {
    const values = map.get(name);
    if (values === undefined) map.set(name, [value]);
    else values.push(value);
  };
  add(":method", method);
  add(":path", path);
  add(":authority", host);
  for (const [name, value] of headers) if (!name.startsWith(":")) add(name, value);
  return map;
}

/**
 * Applies header actions as Cilium's Envoy filter does: `add` appends a field, `delete` removes
 * every field of the name, `replace` removes them and adds the value; `log` changes nothing.
 */
export function applyHeaderActions(headers: ReadonlyHeaders, actions: readonly HeaderAction[]): HeaderList {
  let out: HeaderList = [...headers];
  for (const a of actions) {
    switch (a.kind) {
      case "log":
        break;
      case "add":
        out = [...out, [a.name, a.value]];
        break;
      case "delete":
        out = out.filter(([n]) => n !== a.name);
        break;
      case "replace":
        out = [...out.filter(([n]) => n !== a.name), [a.name, a.value]];
        break;
    }
  }
  return out;
}

/**
 * The fields to forward: without hop-by-hop fields and without those the `connection` field names.
 * `headers` itself when there is nothing to remove (the usual response: no copy).
 */
export function withoutHopByHop(headers: ReadonlyHeaders, keepTeTrailers: boolean): ReadonlyHeaders {
  let named: Set<string> | null = null;
  let hopByHop = false;
  for (const [n, v] of headers) {
    if (n === "connection") for (const t of v.split(",")) (named ??= new Set()).add(t.trim().toLowerCase());
    if (HOP_BY_HOP.has(n)) hopByHop = true;
  }
  if (!hopByHop && named === null) return headers;
  return headers.filter(([n, v]) => {
    if (n === "te" && keepTeTrailers) return v.trim().toLowerCase() === "trailers";
    return !HOP_BY_HOP.has(n) && (named === null || !named.has(n));
  });
}

/** Whether a request is a gRPC call (Envoy's test: `content-type` is `application/grpc`, `…+proto`, `…;…`). */
export function isGrpcRequest(headers: ReadonlyHeaders): boolean {
  const ct = headers.find(([n]) => n === "content-type")?.[1];
  if (ct === undefined) return false;
  const v = ct.toLowerCase();
  return v === "application/grpc" || v.startsWith("application/grpc+") || v.startsWith("application/grpc;");
}

/** Header fields as a flow record carries them. */
export function recordHeaders(headers: ReadonlyHeaders): RecordedHeader[] {
  return headers.map(([key, value]) => ({ key, value }));
}

/** Groups fields by name for `node:http` and `node:http2`: repeated names become arrays. */
export function toHeaderObject(headers: ReadonlyHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [n, v] of headers) {
    const prev = out[n];
    if (prev === undefined) out[n] = v;
    else if (typeof prev === "string") out[n] = [prev, v];
    else prev.push(v);
  }
  return out;
}

/** Reads a flat `[name, value, name, value, …]` list (Node's `rawHeaders`) into fields with lowercase names. */
export function fromRawHeaders(raw: readonly string[]): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}
