import { METHODS } from "node:http";
import { err, ok, type Result } from "@membrane/engine";
import type { HeaderList } from "../headers.ts";
import type { HeadError } from "./head-scanner.ts";
import { isAuthority, isOriginForm, isToken } from "./syntax.ts";

/** How the body of a request is delimited. */
export type BodyFraming = { readonly kind: "none" } | { readonly kind: "length"; readonly length: number } | { readonly kind: "chunked" };

/** A parsed and checked HTTP/1.x request head. */
export interface RequestHead {
  readonly method: string;
  readonly version: "HTTP/1.0" | "HTTP/1.1";
  /** `:path`: the origin-form target as sent (query included), or `*`. */
  readonly path: string;
  /** `:authority`: the `Host` field, or the authority of an absolute-form target. */
  readonly authority: string;
  /** Field lines in order, names lowercase. */
  readonly headers: HeaderList;
  readonly body: BodyFraming;
  /** Whether the connection may carry another request after this one. */
  readonly keepAlive: boolean;
  /** Whether the client waits for `100 Continue` before sending the body. */
  readonly expectContinue: boolean;
}

/**
 * Methods the proxy accepts: those Node's parser knows (Envoy too refuses custom methods unless
 * `allow_custom_methods` is set), without CONNECT (not proxied) and PRI (the HTTP/2 preface).
 */
const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS.filter((m) => m !== "CONNECT" && m !== "PRI"));

/** The largest Content-Length accepted (2^53 - 1 has 16 digits; 15 keep every value exact). */
const MAX_LENGTH_DIGITS = 15;

/**
 * Parses the lines of a request head (from {@link HeadScanner}) strictly. Everything that lets two
 * HTTP implementations disagree on where a request ends is refused with 400 (request smuggling):
 * `Content-Length` with `Transfer-Encoding`, more than one `Content-Length`, transfer codings
 * other than a single `chunked`, `Transfer-Encoding` on HTTP/1.0, a missing or repeated `Host`,
 * whitespace before a field's colon. Unknown methods, CONNECT and versions other than 1.0 and 1.1
 * are refused too.
 */
export function parseRequestHead(lines: readonly string[]): Result<RequestHead, HeadError> {
  const requestLine = lines[0] ?? "";
  const parts = requestLine.split(" ");
  if (parts.length !== 3) return bad("malformed request line");
  const [method = "", target = "", versionText = ""] = parts;
  if (!isToken(method)) return bad("invalid method");
  if (!KNOWN_METHODS.has(method)) return err({ status: 400, reason: "unknown method" });
  if (versionText !== "HTTP/1.1" && versionText !== "HTTP/1.0") {
    return /^HTTP\/\d\.\d$/.test(versionText) ? err({ status: 505, reason: "HTTP version not supported" }) : bad("malformed HTTP version");
  }
  const version = versionText;
  if (method === "CONNECT") return bad("CONNECT is not supported");

  // One pass over the fields; the few that frame or steer the request are gathered on the way
  // (only when present: a request pays for no lists it does not have).
  const headers: HeaderList = [];
  const framing: FramingFields = { te: null, contentLength: null };
  let hosts: string[] | null = null;
  let connection: string[] | null = null;
  let expect: string[] | null = null;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) return bad("malformed header field");
    const rawName = line.slice(0, colon);
    if (!isToken(rawName)) return bad("invalid header field name");
    const name = rawName.toLowerCase();
    const value = trimOws(line.slice(colon + 1));
    headers.push([name, value]);
    if (name === "host") (hosts ??= []).push(value);
    else if (name === "transfer-encoding") (framing.te ??= []).push(value);
    else if (name === "content-length") (framing.contentLength ??= []).push(value);
    else if (name === "connection") (connection ??= []).push(value);
    else if (name === "expect") (expect ??= []).push(value.toLowerCase());
  }

  if (hosts !== null && hosts.length > 1) return bad("more than one Host field");
  if (hosts === null && version === "HTTP/1.1") return bad("missing Host field");
  const host = hosts?.[0] ?? "";
  if (!isAuthority(host)) return bad("invalid Host field");

  const t = readTarget(method, target);
  if (!t.ok) return t;
  const authority = t.value.authority ?? host;

  const body = readFraming(framing, version);
  if (!body.ok) return body;

  const options = tokens(connection);
  const keepAlive = version === "HTTP/1.1" ? !options.includes("close") : options.includes("keep-alive") && !options.includes("close");
  if (expect !== null && expect.some((e) => e !== "100-continue")) return err({ status: 417, reason: "unsupported expectation" });
  const expectContinue = expect !== null && version === "HTTP/1.1";

  return ok({ method, version, path: t.value.path, authority, headers, body: body.value, keepAlive, expectContinue });
}

/** The `:path` of a target, and the authority of an absolute-form one (which overrides `Host`). */
function readTarget(method: string, target: string): Result<{ path: string; authority: string | null }, HeadError> {
  if (target === "*") return method === "OPTIONS" ? ok({ path: "*", authority: null }) : bad("asterisk target outside OPTIONS");
  if (target.startsWith("/")) return isOriginForm(target) ? ok({ path: target, authority: null }) : bad("invalid request target");
  const m = /^http:\/\/([^/?#]*)(.*)$/i.exec(target);
  if (m === null) return bad("invalid request target");
  const authority = m[1] ?? "";
  const rest = m[2] ?? "";
  const path = rest === "" ? "/" : rest.startsWith("?") ? `/${rest}` : rest;
  if (authority === "" || !isAuthority(authority) || !isOriginForm(path)) return bad("invalid absolute-form target");
  return ok({ path, authority });
}

/** The values of the fields that frame a body, `null` for a field not sent. */
interface FramingFields {
  te: string[] | null;
  contentLength: string[] | null;
}

function readFraming(fields: FramingFields, version: RequestHead["version"]): Result<BodyFraming, HeadError> {
  const lengths = fields.contentLength?.flatMap((v) => v.split(",").map(trimOws)) ?? [];
  if (fields.te !== null) {
    const te = tokens(fields.te);
    if (version === "HTTP/1.0") return bad("Transfer-Encoding in an HTTP/1.0 request");
    if (lengths.length > 0) return bad("both Content-Length and Transfer-Encoding");
    if (te.length !== 1 || te[0] !== "chunked") return bad("unsupported transfer coding");
    return ok(CHUNKED);
  }
  if (lengths.length === 0) return ok(NO_BODY);
  // Even repeated equal values are refused (as llhttp does): one reader collapsing them while
  // another refuses is a disagreement of its own.
  if (lengths.length > 1) return bad("more than one Content-Length value");
  const first = lengths[0]!;
  if (!/^[0-9]+$/.test(first) || first.length > MAX_LENGTH_DIGITS) return bad("invalid Content-Length");
  const length = Number(first);
  return ok(length === 0 ? NO_BODY : { kind: "length", length });
}

const NO_BODY: BodyFraming = { kind: "none" };
const CHUNKED: BodyFraming = { kind: "chunked" };

/** The comma-separated tokens of some field values, lowercase (empty items dropped). */
function tokens(values: readonly string[] | null): string[] {
  if (values === null) return [];
  return values
    .flatMap((v) => v.split(","))
    .map((t) => trimOws(t).toLowerCase())
    .filter((t) => t !== "");
}

/** `s` without the spaces and tabs around it (RFC 9110 §5.6.3's OWS). */
function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isOws(s.charCodeAt(start))) start++;
  while (end > start && isOws(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function bad(reason: string): Result<never, HeadError> {
  return err({ status: 400, reason });
}
