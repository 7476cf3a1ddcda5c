import type { ProxyLimits } from "../limits.ts";

/** Why a request head was refused: the status to answer and a reason for logs. */
export interface HeadError {
  readonly status: number;
  readonly reason: string;
}

/** What scanning the bytes received so far found. */
export type HeadScan =
  | { readonly kind: "incomplete" }
  | {
      readonly kind: "complete";
      /** The request line and field lines, without their CRLFs (leading empty lines skipped). */
      readonly lines: readonly string[];
      /** Bytes the head took, through its final empty line. */
      readonly length: number;
    }
  | { readonly kind: "invalid"; readonly error: HeadError };

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;

/**
 * Finds the end of a request head incrementally: each call looks only at bytes it has not seen,
 * so a head trickled in byte by byte costs linear time. It fails as early as the bytes allow:
 *
 * - any control character but HTAB (NUL, bare CR, bare LF, DEL …) is refused (no bare-LF line ends);
 * - a field line starting with SP or HTAB is obsolete line folding, refused;
 * - the request line, the field count and the whole head are bounded (414, 431).
 *
 * Empty lines before the request line are skipped, as RFC 9112 §2.2 allows.
 */
export class HeadScanner {
  readonly #limits: Pick<ProxyLimits, "maxHeaderBytes" | "maxHeaderCount" | "maxRequestLineBytes">;
  #scanned = 0;
  #lineStart = 0;
  #lines: string[] = [];

  constructor(limits: Pick<ProxyLimits, "maxHeaderBytes" | "maxHeaderCount" | "maxRequestLineBytes">) {
    this.#limits = limits;
  }

  /** Forgets the head scanned so far (after it has been consumed). */
  reset(): void {
    this.#scanned = 0;
    this.#lineStart = 0;
    this.#lines = [];
  }

  /** Scans `buf`, which holds the bytes given before plus new ones, from the start of the head. */
  scan(buf: Buffer): HeadScan {
    const limits = this.#limits;
    for (let i = this.#scanned; i < buf.length; i++) {
      const b = buf[i]!;
      if (b === LF) {
        if (i === 0 || buf[i - 1] !== CR || i - 1 < this.#lineStart) return invalid(400, "bare LF in request head");
        const line = buf.toString("latin1", this.#lineStart, i - 1);
        this.#lineStart = i + 1;
        if (line === "") {
          if (this.#lines.length === 0) continue;
          if (i + 1 > limits.maxHeaderBytes) return invalid(431, "request header block too large");
          this.#scanned = i + 1;
          return { kind: "complete", lines: this.#lines, length: i + 1 };
        }
        if (this.#lines.length === 0) {
          if (line.length > limits.maxRequestLineBytes) return invalid(414, "request line too long");
        } else {
          if (line.charCodeAt(0) === SP || line.charCodeAt(0) === HTAB) return invalid(400, "obsolete line folding");
          if (this.#lines.length > limits.maxHeaderCount) return invalid(431, "too many header fields");
        }
        this.#lines.push(line);
      } else if (b === CR) {
        if (i + 1 < buf.length && buf[i + 1] !== LF) return invalid(400, "bare CR in request head");
      } else if ((b < 0x20 && b !== HTAB) || b === 0x7f) {
        return invalid(400, "control character in request head");
      } else if (this.#lines.length === 0 && i - this.#lineStart === 0 && (b === SP || b === HTAB)) {
        return invalid(400, "whitespace before the request line");
      }
    }
    this.#scanned = buf.length;
    if (this.#lines.length === 0 && buf.length - this.#lineStart > limits.maxRequestLineBytes) return invalid(414, "request line too long");
    if (buf.length > limits.maxHeaderBytes) return invalid(431, "request header block too large");
    return { kind: "incomplete" };
  }
}

function invalid(status: number, reason: string): HeadScan {
  return { kind: "invalid", error: { status, reason } };
}
