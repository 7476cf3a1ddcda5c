/**
 * A small YAML writer for the differential tests: writes a JSON-like value in a chosen mix of
 * styles (block or flow collections, sequences indented or at their key's column, compact nested
 * collections, plain, single-, double-quoted or block scalars, comments) so the parser meets the
 * shapes people write. Test support only.
 */

/** How to write a document. */
export interface RenderStyle {
  /** Spaces per nesting level (2 to 4). */
  readonly indent: number;
  /** Write `key:\n- item` instead of indenting the sequence under its key. */
  readonly seqAtKeyColumn: boolean;
  /** Start a mapping or sequence inside a sequence on the dash's line (`- key: v`, `- - x`). */
  readonly compact: boolean;
  /** Collections at this depth or deeper are written in flow style (`{}` / `[]`). */
  readonly flowFrom: number;
  /** Add comment lines and end-of-line comments. */
  readonly comments: boolean;
  /** The preferred quoting for strings that may be written plain. */
  readonly quoting: "plain" | "single" | "double";
  /** Write multi-line strings as literal block scalars (`|`) where possible. */
  readonly blockScalars: boolean;
  /** How to write null in block context (`""` leaves the value empty). */
  readonly nullWord: "null" | "~" | "";
  /** How to write true and false. */
  readonly booleans: readonly [string, string];
}

/** A JSON-like value: what the writer accepts and the parser gives back. */
export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

const INDICATORS = new Set("-?:,[]{}#&*!|>'\"%@`");
const FLOW_INDICATORS = /[,[\]{}]/;

/**
 * Writes `value` as one YAML document (without a `---` line). `plainText(s)` must tell whether
 * the plain scalar `s` reads back as the string `s` (a question of typing, not of syntax, which the
 * writer checks itself).
 */
export function renderYaml(value: Plain, style: RenderStyle, plainText: (s: string) => boolean): string {
  const w = new Writer(style, plainText);
  if (isBlockCollection(value, 0, style)) return w.block(value as Plain[] | Record<string, Plain>, 0, 0).join("\n") + "\n";
  if (typeof value === "string" && w.literalOk(value)) return w.literal(value, -1).join("\n") + "\n";
  return (value === null ? "null" : w.inline(value, 0, false)) + "\n";
}

function isBlockCollection(value: Plain, depth: number, style: RenderStyle): boolean {
  if (value === null || typeof value !== "object" || depth >= style.flowFrom) return false;
  return Array.isArray(value) ? value.length > 0 : Object.keys(value).length > 0;
}

class Writer {
  readonly style: RenderStyle;
  readonly plainText: (s: string) => boolean;
  count = 0;

  constructor(style: RenderStyle, plainText: (s: string) => boolean) {
    this.style = style;
    this.plainText = plainText;
  }

  // Lines of a block collection whose entries start at column `col`.
  block(value: Plain[] | Record<string, Plain>, col: number, depth: number): string[] {
    const lines: string[] = [];
    const pad = " ".repeat(col);
    const entries: [string | null, Plain][] = Array.isArray(value) ? value.map((v) => [null, v]) : Object.entries(value);
    for (const [key, v] of entries) {
      if (this.style.comments && this.count++ % 3 === 0) lines.push(`${this.count % 2 === 0 ? pad : ""}# note ${this.count}`);
      const head = key === null ? `${pad}-` : `${pad}${this.scalar(key, false)}:`;
      if (isBlockCollection(v, depth + 1, this.style)) {
        const child = v as Plain[] | Record<string, Plain>;
        if (key === null && this.style.compact) {
          const inner = this.block(child, col + 2, depth + 1);
          // Only spaces go: trimStart would also eat a key made of Unicode white space.
          lines.push(`${head} ${(inner[0] ?? "").replace(/^ +/, "")}`, ...inner.slice(1));
        } else {
          const atKey = key !== null && Array.isArray(child) && this.style.seqAtKeyColumn;
          lines.push(head, ...this.block(child, atKey ? col : col + this.style.indent, depth + 1));
        }
      } else if (typeof v === "string" && this.literalOk(v)) {
        const [header, ...body] = this.literal(v, col);
        lines.push(`${head} ${header ?? ""}`, ...body);
      } else if (v === null && this.style.nullWord === "") {
        lines.push(head);
      } else {
        const comment = this.style.comments && this.count++ % 2 === 0 ? " # why" : "";
        lines.push(`${head} ${this.inline(v, depth + 1, false)}${comment}`);
      }
    }
    return lines;
  }

  // A scalar or a flow collection on one line.
  inline(value: Plain, depth: number, flow: boolean): string {
    if (value === null) return this.style.nullWord === "~" ? "~" : "null";
    if (typeof value === "boolean") return value ? this.style.booleans[0] : this.style.booleans[1];
    if (typeof value === "number") return String(value);
    if (typeof value === "string") return this.scalar(value, flow);
    if (Array.isArray(value)) return `[${value.map((v) => this.inline(v, depth + 1, true)).join(", ")}]`;
    const entries = Object.entries(value).map(([k, v]) => `${this.scalar(k, true)}: ${this.inline(v, depth + 1, true)}`);
    return `{${entries.join(", ")}}`;
  }

  scalar(s: string, flow: boolean): string {
    const plainOk = this.plainOk(s, flow);
    if (this.style.quoting === "plain" && plainOk) return s;
    if (this.style.quoting !== "double" && printable(s) && !/[\n\r]/.test(s)) return `'${s.replaceAll("'", "''")}'`;
    return doubleQuoted(s);
  }

  plainOk(s: string, flow: boolean): boolean {
    if (s.length === 0 || !printable(s) || /[\n\r\u0085\u2028\u2029]/.test(s)) return false;
    if (/^[ \t]|[ \t]$/.test(s) || INDICATORS.has(s[0] ?? "") || s.startsWith("...") || s === "<<") return false;
    if (/:[ \t]|:$| #|\t#/.test(s)) return false;
    if (flow && (FLOW_INDICATORS.test(s) || s.includes(":") || s.includes("#"))) return false;
    return this.plainText(s);
  }

  // Lines of only blanks are left out: the yaml library reads them as empty lines, which is not
  // what the YAML spec (nor go-yaml, nor this parser) does when they hold more than the indentation.
  literalOk(s: string): boolean {
    if (!this.style.blockScalars || !s.includes("\n") || s.includes("\r") || !printable(s)) return false;
    return !/[\u0085\u2028\u2029]/.test(s) && !/^[ \t]+$/m.test(s);
  }

  // A literal block scalar: its header (indicators) and its lines, for a parent at column `parent`.
  literal(s: string, parent: number): string[] {
    const trailing = /\n*$/.exec(s)?.[0].length ?? 0;
    const firstContent = s.split("\n").find((l) => l.length > 0) ?? "";
    // Without a content line only "keep" chomping gives the line breaks back.
    const chomp = trailing === 0 ? "-" : trailing === 1 && firstContent !== "" ? "" : "+";
    const needsIndicator = firstContent.startsWith(" ") || firstContent.startsWith("\t");
    const col = Math.max(parent, 0) + this.style.indent;
    const lines = (trailing > 0 ? s.slice(0, -1) : s).split("\n");
    const body = lines.map((l) => (l.length === 0 ? "" : " ".repeat(col) + l));
    return [`|${needsIndicator ? this.style.indent : ""}${chomp}`, ...body];
  }
}

// Whether every character may appear unescaped in YAML (c-printable, without the BOM).
function printable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
      continue;
    }
    const ok =
      c === 0x09 || c === 0x0a || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff);
    if (!ok) return false;
  }
  return true;
}

// JSON's escapes are valid YAML; YAML also wants DEL, C1 controls, the line separators and the BOM escaped.
function doubleQuoted(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
