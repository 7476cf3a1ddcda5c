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

  const headers: HeaderList = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) return bad("malformed header field");
    const name = line.slice(0, colon);
    if (!isToken(name)) return bad("invalid header field name");
    headers.push([name.toLowerCase(), trimOws(line.slice(colon + 1))]);
  }

  const hosts = headers.filter(([n]) => n === "host").map(([, v]) => v);
  if (hosts.length > 1) return bad("more than one Host field");
  if (hosts.length === 0 && version === "HTTP/1.1") return bad("missing Host field");
  const host = hosts[0] ?? "";
  if (!isAuthority(host)) return bad("invalid Host field");

  const t = readTarget(method, target);
  if (!t.ok) return t;
  const authority = t.value.authority ?? host;

  const body = readFraming(headers, version);
  if (!body.ok) return body;

  const connection = tokens(headers, "connection");
  const keepAlive =
    version === "HTTP/1.1" ? !connection.includes("close") : connection.includes("keep-alive") && !connection.includes("close");
  const expect = headers.filter(([n]) => n === "expect").map(([, v]) => v.toLowerCase());
  if (expect.some((e) => e !== "100-continue")) return err({ status: 417, reason: "unsupported expectation" });
  const expectContinue = expect.length > 0 && version === "HTTP/1.1";

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

function readFraming(headers: HeaderList, version: RequestHead["version"]): Result<BodyFraming, HeadError> {
  const te = tokens(headers, "transfer-encoding");
  const hasTe = headers.some(([n]) => n === "transfer-encoding");
  const lengths = headers.filter(([n]) => n === "content-length").flatMap(([, v]) => v.split(",").map(trimOws));
  if (hasTe) {
    if (version === "HTTP/1.0") return bad("Transfer-Encoding in an HTTP/1.0 request");
    if (lengths.length > 0) return bad("both Content-Length and Transfer-Encoding");
    if (te.length !== 1 || te[0] !== "chunked") return bad("unsupported transfer coding");
    return ok({ kind: "chunked" });
  }
  if (lengths.length === 0) return ok({ kind: "none" });
  // Even repeated equal values are refused (as llhttp does): one reader collapsing them while
  // another refuses is a disagreement of its own.
  if (lengths.length > 1) return bad("more than one Content-Length value");
  const first = lengths[0]!;
  if (!/^[0-9]+$/.test(first) || first.length > MAX_LENGTH_DIGITS) return bad("invalid Content-Length");
  const length = Number(first);
  return ok(length === 0 ? { kind: "none" } : { kind: "length", length });
}

/** The comma-separated tokens of every field of a name, lowercase (empty items dropped). */
function tokens(headers: HeaderList, name: string): string[] {
  return headers
    .filter(([n]) => n === name)
    .flatMap(([, v]) => v.split(","))
    .map((t) => trimOws(t).toLowerCase())
    .filter((t) => t !== "");
}

function trimOws(s: string): string {
  return s.replace(/^[ \t]+|[ \t]+$/g, "");
}

function bad(reason: string): Result<never, HeadError> {
  return err({ status: 400, reason });
}
