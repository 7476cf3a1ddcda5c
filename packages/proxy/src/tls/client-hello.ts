/**
 * Reading the server name (SNI) out of a TLS ClientHello, as Envoy's TLS inspector does before
 * Cilium's SNI filter decides (`policy-semantics.md` §8.6). Only the plaintext first flight is
 * read: TLS records of type handshake (RFC 8446 §5.1) whose fragments, joined, hold one
 * ClientHello (§4.1.2) with its extensions; the server_name extension is RFC 6066 §3.
 *
 * Pure over bytes and incremental: each chunk the client sends is pushed once, and every byte is
 * copied a bounded number of times however the client splits its records (a client trickling
 * one-byte records must not make the proxy rescan what it already read).
 */
import { err, ok, type Result } from "@membrane/engine";

/** What the buffered bytes say so far. */
export type ClientHelloScan =
  /** Not a whole ClientHello yet; nothing wrong so far. */
  | { readonly kind: "incomplete" }
  /** A whole ClientHello; `serverName` is its host_name (lowercased), or null when it sent none. */
  | { readonly kind: "hello"; readonly serverName: string | null }
  /** Not a TLS ClientHello, or a broken one: the connection is refused, nothing is forwarded. */
  | { readonly kind: "malformed"; readonly why: string };

const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXTENSION_SERVER_NAME = 0;
const NAME_TYPE_HOST_NAME = 0;
const RECORD_HEADER = 5;
/** RFC 8446 §5.1: a plaintext fragment is at most 2^14 bytes. */
const MAX_FRAGMENT = 1 << 14;
/** RFC 1035 / 6066: a host name is at most 255 bytes. */
const MAX_HOST_NAME = 255;
/** Letters, digits, hyphens, underscores and dots: what a DNS host name carries (no IP literals' colons, no NULs). */
const HOST_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/;

const incomplete: ClientHelloScan = { kind: "incomplete" };
const malformed = (why: string): ClientHelloScan => ({ kind: "malformed", why });

/**
 * Reads one ClientHello from the bytes a client sends, pushed as they arrive. `maxHelloBytes`
 * bounds the handshake message: a client announcing a bigger one is refused rather than buffered.
 */
export class ClientHelloReader {
  readonly #maxHelloBytes: number;
  /** Bytes not yet read as whole records (at most one record and a header), not yet joined. */
  #pending: Buffer[] = [];
  #pendingLength = 0;
  /** How many pending bytes the next step needs: a record header, then its whole record. */
  #want = RECORD_HEADER;
  /** The handshake message so far: its records' fragments, and their length. */
  #fragments: Buffer[] = [];
  #have = 0;
  /** The handshake message's whole length (header included), once its header arrived. */
  #need = -1;
  #result: ClientHelloScan = incomplete;

  constructor(maxHelloBytes: number) {
    this.#maxHelloBytes = maxHelloBytes;
  }

  /** Reads the next chunk; the outcome so far (once not incomplete, it stays as it is). */
  push(chunk: Uint8Array): ClientHelloScan {
    if (this.#result.kind !== "incomplete" || chunk.length === 0) return this.#result;
    this.#pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    this.#pendingLength += chunk.length;
    // A record's first bytes already tell a client that speaks no TLS at all.
    if (this.#pendingLength < this.#want)
      return (this.#result = this.#pendingLength < RECORD_HEADER ? recordStart(this.#joined()) : incomplete);
    let data = this.#joined();
    while (data.length >= this.#want) {
      const start = recordStart(data);
      if (start.kind === "malformed") return (this.#result = start);
      const length = (data[3]! << 8) | data[4]!;
      if (length === 0 || length > MAX_FRAGMENT) return (this.#result = malformed(`a TLS record of ${length} bytes`));
      if (data.length < RECORD_HEADER + length) {
        this.#want = RECORD_HEADER + length;
        break;
      }
      this.#fragments.push(data.subarray(RECORD_HEADER, RECORD_HEADER + length));
      this.#have += length;
      data = data.subarray(RECORD_HEADER + length);
      this.#want = RECORD_HEADER;
      const done = this.#message();
      if (done.kind !== "incomplete") return (this.#result = done);
    }
    // What is left is less than one record: kept as one buffer, copied once more at most.
    this.#pending = data.length > 0 ? [Buffer.from(data)] : [];
    this.#pendingLength = data.length;
    return (this.#result = data.length > 0 && data.length < RECORD_HEADER ? recordStart(data) : incomplete);
  }

  #joined(): Buffer {
    if (this.#pending.length > 1) this.#pending = [Buffer.concat(this.#pending)];
    return this.#pending[0] ?? Buffer.alloc(0);
  }

  /** The handshake message once its fragments hold it whole. */
  #message(): ClientHelloScan {
    if (this.#need < 0 && this.#have >= 4) {
      const head = joined(this.#fragments, 4);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) return malformed(`the first handshake message is of type ${head[0]}, not ClientHello`);
      this.#need = 4 + ((head[1]! << 16) | (head[2]! << 8) | head[3]!);
      if (this.#need - 4 > this.#maxHelloBytes)
        return malformed(`a ClientHello of ${this.#need - 4} bytes (the limit is ${this.#maxHelloBytes})`);
    }
    return this.#need >= 0 && this.#have >= this.#need ? parseClientHello(joined(this.#fragments, this.#need).subarray(4)) : incomplete;
  }
}

/** The start of a record (its first bytes at least) must be a plaintext handshake record of TLS (major version 3). */
function recordStart(data: Uint8Array): ClientHelloScan {
  if (data.length === 0) return incomplete;
  if (data[0] !== CONTENT_HANDSHAKE) return malformed(`not a TLS handshake record (content type ${data[0]})`);
  if (data.length > 1 && data[1] !== 3) return malformed(`TLS record version ${data[1]}.${data[2] ?? "?"}`);
  return incomplete;
}

/** The first `n` bytes of the fragments, joined. */
function joined(fragments: readonly Uint8Array[], n: number): Uint8Array {
  if (fragments[0]!.length >= n) return fragments[0]!.subarray(0, n);
  const out = new Uint8Array(n);
  let at = 0;
  for (const f of fragments) {
    const take = Math.min(f.length, n - at);
    out.set(f.subarray(0, take), at);
    at += take;
    if (at === n) break;
  }
  return out;
}

/** A bounds-checked reader over the ClientHello body: every read past the end is malformed. */
class Reader {
  at = 0;
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  get left(): number {
    return this.bytes.length - this.at;
  }

  u8(): number | null {
    return this.left < 1 ? null : this.bytes[this.at++]!;
  }

  u16(): number | null {
    if (this.left < 2) return null;
    const v = (this.bytes[this.at]! << 8) | this.bytes[this.at + 1]!;
    this.at += 2;
    return v;
  }

  take(n: number | null): Uint8Array | null {
    if (n === null || this.left < n) return null;
    const v = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
}

function parseClientHello(body: Uint8Array): ClientHelloScan {
  const r = new Reader(body);
  if (r.take(2 + 32) === null) return malformed("a ClientHello cut short in its version and random");
  const sessionId = r.u8();
  if (sessionId === null || sessionId > 32 || r.take(sessionId) === null) return malformed("a bad ClientHello session id");
  const suites = r.u16();
  if (suites === null || suites < 2 || suites % 2 !== 0 || r.take(suites) === null) return malformed("bad ClientHello cipher suites");
  const compressions = r.u8();
  if (compressions === null || compressions < 1 || r.take(compressions) === null) return malformed("bad ClientHello compression methods");
  // TLS 1.0–1.2 allow a ClientHello without extensions: then it names no server.
  if (r.left === 0) return { kind: "hello", serverName: null };
  const extensionsLength = r.u16();
  if (extensionsLength === null || extensionsLength !== r.left) return malformed("ClientHello extensions do not fill the message");
  const seen = new Set<number>();
  let serverName: string | null = null;
  while (r.left > 0) {
    const type = r.u16();
    const data = r.take(r.u16());
    if (type === null || data === null) return malformed("a ClientHello extension cut short");
    // RFC 8446 §4.2: no extension type may appear twice (a second server_name could smuggle a name).
    if (seen.has(type)) return malformed(`ClientHello extension ${type} appears twice`);
    seen.add(type);
    if (type !== EXTENSION_SERVER_NAME) continue;
    const name = parseServerName(data);
    if (!name.ok) return malformed(name.error);
    serverName = name.value;
  }
  return { kind: "hello", serverName };
}

/** The host_name of a server_name extension body (lowercased; null: none of that type), or why it is refused. */
function parseServerName(data: Uint8Array): Result<string | null, string> {
  const r = new Reader(data);
  const listLength = r.u16();
  if (listLength === null || listLength !== r.left || listLength === 0) return err("a bad server_name list");
  let host: string | null = null;
  while (r.left > 0) {
    const type = r.u8();
    const name = r.take(r.u16());
    if (type === null || name === null) return err("a server_name entry cut short");
    if (type !== NAME_TYPE_HOST_NAME) continue;
    // RFC 6066 §3: at most one name of each type.
    if (host !== null) return err("two host names in server_name");
    if (name.length === 0 || name.length > MAX_HOST_NAME) return err(`a host name of ${name.length} bytes`);
    host = String.fromCharCode(...name);
    if (!HOST_NAME.test(host)) return err("a host name with characters no DNS name has");
  }
  return ok(host === null ? null : host.toLowerCase());
}
