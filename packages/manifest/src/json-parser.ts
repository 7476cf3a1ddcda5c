/**
 * A strict JSON reader (RFC 8259) that keeps positions. A file may hold several JSON values one
 * after the other, as kubectl accepts; each is a document.
 */
import type { MapEntry, MapNode, Position, SeqNode, SourceNode } from "@membrane/engine";
import {
  BACKSLASH,
  BOM,
  COLON,
  COMMA,
  CR,
  DASH,
  DIGIT_0,
  DIGIT_9,
  DQUOTE,
  LBRACE,
  LBRACKET,
  LF,
  PLUS,
  RBRACE,
  RBRACKET,
  SPACE,
  TAB,
  DOT,
  describeChar,
} from "./chars.ts";
import { Cursor, SyntaxFailure, type DocumentIssue } from "./cursor.ts";
import { MappingBuilder } from "./mapping-builder.ts";
import { Scratch } from "./scratch.ts";
import type { DocumentResult } from "./yaml-parser.ts";

// Deep enough for any real manifest, shallow enough never to overflow the call stack.
const MAX_DEPTH = 500;
const ESCAPES = new Map<number, string>([
  [DQUOTE, '"'],
  [BACKSLASH, "\\"],
  [0x2f, "/"],
  [0x62, "\b"],
  [0x66, "\f"],
  [0x6e, "\n"],
  [0x72, "\r"],
  [0x74, "\t"],
]);
const HEX4 = /^[0-9a-fA-F]{4}$/;
const LITERALS = [
  { word: "true", value: true },
  { word: "false", value: false },
  { word: "null", value: null },
];

/** Whether a text is JSON for this package: its first non-white character is `{` or `[`. */
export function looksLikeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === SPACE || c === TAB || c === LF || c === CR || (c === BOM && i === 0)) continue;
    return c === LBRACE || c === LBRACKET;
  }
  return false;
}

/**
 * Parses every JSON value of the text, in order. After a value with a syntax error the rest of the
 * text is not read: JSON offers no safe place to resume.
 */
export function parseJsonDocuments(text: string): DocumentResult[] {
  const start = text.charCodeAt(0) === BOM ? 1 : 0;
  const r = new JsonReader(text, start, text.length, 1, start);
  const out: DocumentResult[] = [];
  for (;;) {
    r.skipWhite();
    if (r.pos >= r.end) return out;
    const pos = r.markAt(r.pos);
    r.issues = [];
    try {
      const root = r.value(0);
      out.push({ pos, root, issues: r.issues });
    } catch (e) {
      const issue =
        e instanceof SyntaxFailure
          ? { code: e.code, message: e.message, pos: e.pos }
          : { code: "json.internal", message: `internal parser error: ${String(e)}`, pos: r.markAt(r.pos) };
      out.push({ pos, root: null, issues: [...r.issues, issue] });
      return out;
    }
  }
}

class JsonReader extends Cursor {
  issues: DocumentIssue[] = [];
  readonly entryStack = new Scratch<MapEntry>();
  readonly itemStack = new Scratch<SourceNode>();

  skipWhite(): void {
    for (;;) {
      const c = this.here();
      if (c === SPACE || c === TAB || c === CR) this.pos++;
      else if (c === LF) {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else return;
    }
  }

  value(depth: number): SourceNode {
    if (depth > MAX_DEPTH) this.fail("json.too-deep", `nesting is deeper than ${MAX_DEPTH} levels`);
    const c = this.here();
    const pos = this.mark();
    if (c === LBRACE) return this.object(pos, depth);
    if (c === LBRACKET) return this.array(pos, depth);
    if (c === DQUOTE) return { kind: "scalar", pos, value: this.string() };
    if (c === DASH || (c >= DIGIT_0 && c <= DIGIT_9)) return { kind: "scalar", pos, value: this.number() };
    for (const { word, value } of LITERALS) {
      if (this.text.startsWith(word, this.pos) && this.pos + word.length <= this.end) {
        this.pos += word.length;
        return { kind: "scalar", pos, value };
      }
    }
    return this.fail("json.syntax", `expected a JSON value but found ${describeChar(c)}`);
  }

  object(pos: Position, depth: number): MapNode {
    this.pos++;
    const b = new MappingBuilder(this.entryStack);
    this.skipWhite();
    if (this.here() === RBRACE) {
      this.pos++;
      return { kind: "map", pos, entries: b.finish() };
    }
    for (;;) {
      this.skipWhite();
      if (this.here() !== DQUOTE) this.fail("json.syntax", `expected a string key in double quotes but found ${describeChar(this.here())}`);
      const keyPos = this.mark();
      const key = this.string();
      this.skipWhite();
      if (this.here() !== COLON) this.fail("json.syntax", `expected ":" after the key but found ${describeChar(this.here())}`);
      this.pos++;
      this.skipWhite();
      const earlier = b.add(key, keyPos, this.value(depth + 1));
      if (earlier !== undefined) {
        const first = `line ${earlier.keyPos.line}, column ${earlier.keyPos.column}`;
        this.issues.push({
          code: "json.duplicate-key",
          message: `the key ${JSON.stringify(key)} appears twice in this object (first at ${first})`,
          pos: keyPos,
        });
      }
      if (this.endOfList(RBRACE)) return { kind: "map", pos, entries: b.finish() };
    }
  }

  array(pos: Position, depth: number): SeqNode {
    this.pos++;
    const base = this.itemStack.top;
    this.skipWhite();
    if (this.here() === RBRACKET) {
      this.pos++;
      return { kind: "seq", pos, items: this.itemStack.take(base) };
    }
    for (;;) {
      this.skipWhite();
      this.itemStack.push(this.value(depth + 1));
      if (this.endOfList(RBRACKET)) return { kind: "seq", pos, items: this.itemStack.take(base) };
    }
  }

  // After a member: consumes "," (false: more follow) or the closer (true).
  endOfList(closer: number): boolean {
    this.skipWhite();
    const c = this.here();
    this.pos++;
    if (c === COMMA) return false;
    if (c === closer) return true;
    this.pos--;
    return this.fail("json.syntax", `expected "," or "${String.fromCharCode(closer)}" but found ${describeChar(c)}`);
  }

  string(): string {
    const { pos: open, line, lineStart } = this;
    const text = this.text;
    let out = "";
    let i = this.pos + 1;
    let segment = i;
    for (;;) {
      if (i >= this.end) this.fail("json.syntax", "this string has no closing quote", this.positionOf(line, lineStart, open));
      const c = text.charCodeAt(i);
      if (c === DQUOTE) {
        this.pos = i + 1;
        return out + text.slice(segment, i);
      }
      if (c < SPACE) {
        this.pos = i;
        this.fail("json.syntax", "a control character (such as a line break or a tab) must be escaped inside a JSON string");
      }
      if (c === BACKSLASH) {
        out += text.slice(segment, i);
        this.pos = i;
        out += this.escape();
        i = segment = this.pos;
      } else i++;
    }
  }

  escape(): string {
    const code = this.at(this.pos + 1);
    const simple = ESCAPES.get(code);
    if (simple !== undefined) {
      this.pos += 2;
      return simple;
    }
    const hex = this.text.slice(this.pos + 2, this.pos + 6);
    if (code !== 0x75 || !HEX4.test(hex)) this.fail("json.syntax", "invalid escape sequence in a JSON string");
    this.pos += 6;
    return String.fromCharCode(parseInt(hex, 16));
  }

  number(): number {
    const start = this.pos;
    if (this.here() === DASH) this.pos++;
    if (this.here() === DIGIT_0) this.pos++;
    else if (!this.digits()) this.fail("json.syntax", "invalid number: expected a digit");
    if (this.here() === DOT) {
      this.pos++;
      if (!this.digits()) this.fail("json.syntax", 'invalid number: expected a digit after "."');
    }
    const e = this.here();
    if (e === 0x65 || e === 0x45) {
      this.pos++;
      if (this.here() === PLUS || this.here() === DASH) this.pos++;
      if (!this.digits()) this.fail("json.syntax", "invalid number: expected a digit in the exponent");
    }
    const n = Number(this.text.slice(start, this.pos));
    if (!Number.isFinite(n)) this.fail("json.syntax", "this number is too large", this.markAt(start));
    return n;
  }

  // Consumes a run of digits; false when there was none.
  digits(): boolean {
    const start = this.pos;
    for (let c = this.here(); c >= DIGIT_0 && c <= DIGIT_9; c = this.here()) this.pos++;
    return this.pos > start;
  }
}
