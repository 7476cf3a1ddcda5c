import type { ProxyLimits } from "../limits.ts";
import type { HeadError } from "./head-scanner.ts";
import type { BodyFraming } from "./request-head.ts";
import { TCHAR, isHex } from "./syntax.ts";

/** What reading a slice of body bytes gave: body data (views of the input), bytes used, and whether the body ended. */
export type BodyStep =
  | { readonly kind: "data"; readonly chunks: readonly Buffer[]; readonly consumed: number; readonly done: boolean }
  | { readonly kind: "invalid"; readonly error: HeadError };

/** Reads one request body from the bytes that follow its head. */
export interface BodyReader {
  /** Reads from `buf`; bytes after the body's end are left unconsumed (the next request's). */
  read(buf: Buffer): BodyStep;
  /** Whether the whole body has been read. */
  readonly done: boolean;
}

/** A reader for the framing of a request head. */
export function bodyReaderFor(framing: BodyFraming, limits: Pick<ProxyLimits, "maxHeaderBytes" | "maxHeaderCount">): BodyReader {
  switch (framing.kind) {
    case "none":
      return new LengthReader(0);
    case "length":
      return new LengthReader(framing.length);
    case "chunked":
      return new ChunkedReader(limits);
  }
}

/** A body of a known length. */
export class LengthReader implements BodyReader {
  #remaining: number;

  constructor(length: number) {
    this.#remaining = length;
  }

  get done(): boolean {
    return this.#remaining === 0;
  }

  read(buf: Buffer): BodyStep {
    const n = Math.min(this.#remaining, buf.length);
    this.#remaining -= n;
    return { kind: "data", chunks: n === 0 ? [] : [buf.subarray(0, n)], consumed: n, done: this.#remaining === 0 };
  }
}

const CR = 0x0d;
const LF = 0x0a;

/** Chunk sizes above this many hex digits (2^48 bytes) are refused. */
const MAX_SIZE_DIGITS = 12;
/** Bytes of chunk extensions allowed per chunk. */
const MAX_EXTENSION_BYTES = 4096;

type State = "size" | "ext" | "size-lf" | "data" | "data-cr" | "data-lf" | "trailer" | "trailer-lf" | "done";

/**
 * The chunked transfer coding (RFC 9112 §7.1), strictly: hex sizes with no whitespace, CRLF line
 * ends only, extensions of tokens without whitespace (bounded), a CRLF after each chunk's data,
 * and trailer fields that parse like header fields and do not frame or route (bounded; they are
 * read and dropped).
 */
export class ChunkedReader implements BodyReader {
  readonly #limits: Pick<ProxyLimits, "maxHeaderBytes" | "maxHeaderCount">;
  #state: State = "size";
  #size = 0;
  #digits = 0;
  #extBytes = 0;
  #remaining = 0;
  #line = "";
  #trailerBytes = 0;
  #trailers = 0;
  readonly #response: boolean;
  /** The trailer field lines read (kept only when reading a response). */
  readonly trailerLines: string[] = [];

  /**
   * `response`: the body is an upstream response's, whose trailer fields are kept (in
   * {@link trailerLines}) and may name any field (they are filtered when relayed).
   */
  constructor(limits: Pick<ProxyLimits, "maxHeaderBytes" | "maxHeaderCount">, response = false) {
    this.#limits = limits;
    this.#response = response;
  }

  get done(): boolean {
    return this.#state === "done";
  }

  read(buf: Buffer): BodyStep {
    const chunks: Buffer[] = [];
    let i = 0;
    while (i < buf.length && this.#state !== "done") {
      if (this.#state === "data") {
        const n = Math.min(this.#remaining, buf.length - i);
        chunks.push(buf.subarray(i, i + n));
        i += n;
        this.#remaining -= n;
        if (this.#remaining === 0) this.#state = "data-cr";
        continue;
      }
      const error = this.#step(buf[i]!);
      if (error !== null) return { kind: "invalid", error: { status: 400, reason: error } };
      i++;
    }
    return { kind: "data", chunks, consumed: i, done: this.#state === "done" };
  }

  /** Advances over one framing byte; a reason when the byte is not allowed. */
  #step(b: number): string | null {
    switch (this.#state) {
      case "size":
        if (isHex(b)) {
          if (++this.#digits > MAX_SIZE_DIGITS) return "chunk size too large";
          this.#size = this.#size * 16 + (b <= 0x39 ? b - 0x30 : (b | 0x20) - 0x57);
          return null;
        }
        if (this.#digits === 0) return "invalid chunk size";
        if (b === 0x3b) {
          this.#state = "ext";
          return null;
        }
        if (b === CR) {
          this.#state = "size-lf";
          return null;
        }
        return "invalid chunk size";
      case "ext":
        if (b === CR) {
          this.#state = "size-lf";
          return null;
        }
        if (++this.#extBytes > MAX_EXTENSION_BYTES) return "chunk extension too long";
        // Only `;name=value` of tokens: no whitespace (llhttp refuses it), no quoted strings.
        return TCHAR[b] === 1 || b === 0x3d || b === 0x3b ? null : "invalid chunk extension";
      case "size-lf":
        if (b !== LF) return "bare CR after chunk size";
        if (this.#size === 0) {
          this.#state = "trailer";
        } else {
          this.#remaining = this.#size;
          this.#state = "data";
        }
        this.#size = 0;
        this.#digits = 0;
        this.#extBytes = 0;
        return null;
      case "data-cr":
        if (b !== CR) return "chunk data longer than its size";
        this.#state = "data-lf";
        return null;
      case "data-lf":
        if (b !== LF) return "bare CR after chunk data";
        this.#state = "size";
        return null;
      case "trailer":
        if (++this.#trailerBytes > this.#limits.maxHeaderBytes) return "trailer section too large";
        if (b === CR) {
          this.#state = "trailer-lf";
          return null;
        }
        if ((b < 0x20 && b !== 0x09) || b === 0x7f) return "control character in trailer section";
        if (this.#line.length === 0 && (b === 0x20 || b === 0x09)) return "obsolete line folding in trailer section";
        this.#line += String.fromCharCode(b);
        return null;
      case "trailer-lf":
        if (b !== LF) return "bare CR in trailer section";
        if (this.#line === "") {
          this.#state = "done";
          return null;
        }
        if (++this.#trailers > this.#limits.maxHeaderCount) return "too many trailer fields";
        if (!isFieldLine(this.#line, this.#response)) return "malformed trailer field";
        if (this.#response) this.trailerLines.push(this.#line);
        this.#line = "";
        this.#state = "trailer";
        return null;
      case "data":
      case "done":
        return null;
    }
  }
}

/** Fields that may not be trailers: they frame, route or control the message (RFC 9110 §6.5.1). */
const FORBIDDEN_TRAILERS = new Set([
  "transfer-encoding",
  "content-length",
  "host",
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "upgrade",
  "expect",
]);

function isFieldLine(line: string, anyName: boolean): boolean {
  const colon = line.indexOf(":");
  if (colon <= 0) return false;
  for (let i = 0; i < colon; i++) if (TCHAR[line.charCodeAt(i)] !== 1) return false;
  return anyName || !FORBIDDEN_TRAILERS.has(line.slice(0, colon).toLowerCase());
}
