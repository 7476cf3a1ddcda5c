import { err, ok, type Result } from "@membrane/engine";
import { MAX_LABEL_BYTES, MAX_NAME_BYTES, type WireError } from "./wire-types.ts";

/**
 * Domain names on the wire (RFC 1035 §3.1, §4.1.4) and in text. Decoding follows compression
 * pointers with two guards that make hostile input finite: a pointer must point before where the
 * current run of labels started (so every jump goes strictly backwards), and the expanded name may
 * not exceed 255 bytes.
 */

const DOT = 0x2e;
const BACKSLASH = 0x5c;

/** A name read from a message, and the offset just after it in the message. */
export interface NameRead {
  readonly name: string;
  readonly next: number;
}

/** Reads the (possibly compressed) name at `offset` of `msg`. Never throws. */
export function readName(msg: Uint8Array, offset: number): Result<NameRead, WireError> {
  const labels: string[] = [];
  let pos = offset;
  /** Where the current run of labels began: a pointer must land before it. */
  let floor = offset;
  /** The offset after the name in the message: set by the first pointer, else by the root label. */
  let next = -1;
  let wireLength = 1;
  for (;;) {
    if (pos >= msg.length) return err({ offset: pos, message: "name runs past the end of the message" });
    const len = msg[pos]!;
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= msg.length) return err({ offset: pos, message: "compression pointer runs past the end of the message" });
      const target = ((len & 0x3f) << 8) | msg[pos + 1]!;
      if (target >= floor) return err({ offset: pos, message: `compression pointer to ${target} does not point backwards` });
      if (next < 0) next = pos + 2;
      pos = floor = target;
      continue;
    }
    if (kind !== 0) return err({ offset: pos, message: `unsupported label type 0x${kind.toString(16)}` });
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    if (pos + 1 + len > msg.length) return err({ offset: pos, message: "label runs past the end of the message" });
    wireLength += len + 1;
    if (wireLength > MAX_NAME_BYTES) return err({ offset: pos, message: `name is longer than ${MAX_NAME_BYTES} bytes` });
    labels.push(escapeLabel(msg, pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return ok({ name: labels.length === 0 ? "." : `${labels.join(".")}.`, next });
}

function escapeLabel(msg: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) {
    const b = msg[i]!;
    if (b === DOT || b === BACKSLASH) s += `\\${String.fromCharCode(b)}`;
    else if (b < 0x21 || b > 0x7e) s += `\\${b.toString().padStart(3, "0")}`;
    else s += String.fromCharCode(b);
  }
  return s;
}

/**
 * Writes a name in presentation form (a trailing dot optional; `\.`, `\\`, `\X` and `\DDD`
 * escapes) as uncompressed wire bytes. Fails on an empty label, a label over 63 bytes, a name over
 * 255 bytes, a character outside printable ASCII, or a bad escape.
 */
export function encodeName(text: string): Result<Uint8Array, string> {
  if (text === "." || text === "") return ok(Uint8Array.of(0));
  const out: number[] = [];
  let label: number[] = [];
  const endLabel = (): string | null => {
    if (label.length === 0) return `empty label in "${text}"`;
    if (label.length > MAX_LABEL_BYTES) return `label longer than ${MAX_LABEL_BYTES} bytes in "${text}"`;
    out.push(label.length, ...label);
    label = [];
    return null;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      const problem = endLabel();
      if (problem !== null) return err(problem);
    } else if (c === BACKSLASH) {
      const escaped = readEscape(text, i + 1);
      if (escaped === null) return err(`bad escape at ${i} in "${text}"`);
      label.push(escaped.byte);
      i = escaped.last;
    } else if (c < 0x21 || c > 0x7e) return err(`character ${JSON.stringify(text[i])} must be escaped in "${text}"`);
    else label.push(c);
  }
  if (label.length > 0) {
    const problem = endLabel();
    if (problem !== null) return err(problem);
  }
  out.push(0);
  if (out.length > MAX_NAME_BYTES) return err(`name longer than ${MAX_NAME_BYTES} bytes: "${text}"`);
  return ok(Uint8Array.from(out));
}

/** The byte an escape starting at `at` (just after the backslash) stands for, and its last index. */
function readEscape(text: string, at: number): { byte: number; last: number } | null {
  if (at >= text.length) return null;
  const digits = /^[0-9]{3}/.exec(text.slice(at, at + 3));
  if (digits !== null) {
    const n = Number(digits[0]);
    return n <= 255 ? { byte: n, last: at + 2 } : null;
  }
  const c = text.charCodeAt(at);
  if (c >= 0x30 && c <= 0x39) return null;
  return c >= 0x20 && c <= 0x7e ? { byte: c, last: at } : null;
}

/** Whether two presentation-form names are the same DNS name (ASCII case-insensitive, RFC 4343). */
export function sameName(a: string, b: string): boolean {
  return asciiLower(a) === asciiLower(b);
}

/** Lowercases ASCII letters only (DNS case folding, RFC 4343). */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}
