/**
 * Single- and double-quoted scalars. Both may span lines: blanks around a line break are dropped,
 * a single break becomes a space and each empty line a `\n`. Double quotes add the YAML escapes,
 * including an escaped line break that joins lines without a space.
 */
import type { Position } from "@membrane/engine";
import { BACKSLASH, CR, DQUOTE, EOF, LF, SQUOTE, TAB, isBlank } from "./chars.ts";
import type { YamlState } from "./yaml-state.ts";

const SIMPLE_ESCAPES = new Map<number, string>([
  [0x30, "\0"], // 0
  [0x61, "\x07"], // a
  [0x62, "\b"], // b
  [0x74, "\t"], // t
  [TAB, "\t"],
  [0x6e, "\n"], // n
  [0x76, "\v"], // v
  [0x66, "\f"], // f
  [0x72, "\r"], // r
  [0x65, "\x1b"], // e
  [0x20, " "],
  [DQUOTE, '"'],
  [0x2f, "/"],
  [BACKSLASH, "\\"],
  [0x4e, "\u0085"], // N
  [0x5f, "\u00a0"], // _
  [0x4c, "\u2028"], // L
  [0x50, "\u2029"], // P
]);
const HEX_ESCAPES = new Map<number, number>([
  [0x78, 2], // x
  [0x75, 4], // u
  [0x55, 8], // U
]);
const HEX = /^[0-9a-fA-F]+$/;

/** Reads the double-quoted scalar at the current position and returns its value. */
export function scanDoubleQuoted(s: YamlState): string {
  const { pos: open, line, lineStart } = s;
  const text = s.text;
  let out = "";
  let i = s.pos + 1;
  let segment = i;
  for (;;) {
    if (i >= s.end) unterminated(s, s.positionOf(line, lineStart, open), '"');
    const c = text.charCodeAt(i);
    if (c === DQUOTE) {
      s.pos = i + 1;
      return out + text.slice(segment, i);
    }
    if (c === BACKSLASH) {
      out += text.slice(segment, i);
      const next = s.at(i + 1);
      if (next === EOF) unterminated(s, s.positionOf(line, lineStart, open), '"');
      if (next === LF || next === CR) {
        s.pos = i + 1;
        out += "\n".repeat(foldBreak(s));
      } else {
        s.pos = i;
        out += readEscape(s);
      }
      i = segment = s.pos;
    } else if (c === LF || c === CR) {
      out += trimEnd(text, segment, i);
      s.pos = i;
      const empties = foldBreak(s);
      out += empties === 0 ? " " : "\n".repeat(empties);
      i = segment = s.pos;
    } else i++;
  }
}

/** Reads the single-quoted scalar at the current position and returns its value (`''` is `'`). */
export function scanSingleQuoted(s: YamlState): string {
  const { pos: open, line, lineStart } = s;
  const text = s.text;
  let out = "";
  let i = s.pos + 1;
  let segment = i;
  for (;;) {
    if (i >= s.end) unterminated(s, s.positionOf(line, lineStart, open), "'");
    const c = text.charCodeAt(i);
    if (c === SQUOTE) {
      if (s.at(i + 1) !== SQUOTE) {
        s.pos = i + 1;
        return out + text.slice(segment, i);
      }
      out += text.slice(segment, i + 1);
      i = segment = i + 2;
    } else if (c === LF || c === CR) {
      out += trimEnd(text, segment, i);
      s.pos = i;
      const empties = foldBreak(s);
      out += empties === 0 ? " " : "\n".repeat(empties);
      i = segment = s.pos;
    } else i++;
  }
}

function unterminated(s: YamlState, open: Position, quote: string): never {
  const kind = quote === '"' ? "double" : "single";
  return s.fail("yaml.syntax", `this ${kind}-quoted string has no closing ${quote}`, open);
}

// text[from, to) without its trailing blanks (blanks before a line break are not content).
function trimEnd(text: string, from: number, to: number): string {
  while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
  return text.slice(from, to);
}

// At a line break: consumes it, the empty lines after it and the next line's leading blanks, and
// returns how many empty lines there were.
function foldBreak(s: YamlState): number {
  s.breakLine();
  let empties = 0;
  for (;;) {
    s.skipBlanks();
    const c = s.here();
    if (c !== LF && c !== CR) return empties;
    s.breakLine();
    empties++;
  }
}

// Reads the escape sequence at the current position (a backslash) and returns its text.
function readEscape(s: YamlState): string {
  const code = s.at(s.pos + 1);
  const simple = SIMPLE_ESCAPES.get(code);
  if (simple !== undefined) {
    s.pos += 2;
    return simple;
  }
  const digits = HEX_ESCAPES.get(code);
  if (digits === undefined) {
    s.fail("yaml.syntax", `unknown escape sequence "\\${String.fromCharCode(code)}" in a double-quoted string`);
  }
  const hex = s.text.slice(s.pos + 2, s.pos + 2 + digits);
  if (hex.length !== digits || !HEX.test(hex)) {
    s.fail("yaml.syntax", `the escape "\\${String.fromCharCode(code)}" needs ${digits} hexadecimal digits`);
  }
  const value = parseInt(hex, 16);
  if (value > 0x10ffff) s.fail("yaml.syntax", `the escape "\\U${hex}" is not a Unicode code point`);
  s.pos += 2 + digits;
  // \u escapes are UTF-16 units, so an escaped surrogate pair rebuilds one character.
  return digits === 4 ? String.fromCharCode(value) : String.fromCodePoint(value);
}
