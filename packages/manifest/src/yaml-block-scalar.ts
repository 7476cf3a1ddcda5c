/**
 * Block scalars: literal `|` keeps line breaks, folded `>` joins lines with spaces except around
 * empty and more-indented lines. The header may give an indentation indicator (1-9) and a chomping
 * indicator (`-` strips the final line breaks, `+` keeps them all, none keeps exactly one).
 */
import { CR, DASH, DIGIT_0, DIGIT_9, EOF, GT, LF, PLUS, SPACE, TAB } from "./chars.ts";
import type { YamlState } from "./yaml-state.ts";

const CLIP = 0;
const STRIP = 1;
const KEEP = 2;

/**
 * Reads the block scalar whose indicator (`|` or `>`) is at the current position; its content
 * lines are those indented more than `parentIndent`. Leaves the position at the start of the first
 * line after it.
 */
export function scanBlockScalar(s: YamlState, parentIndent: number): string {
  const folded = s.here() === GT;
  s.pos++;
  let chomp = CLIP;
  let explicit = 0;
  for (;;) {
    const c = s.here();
    if ((c === DASH || c === PLUS) && chomp === CLIP) chomp = c === DASH ? STRIP : KEEP;
    else if (c > DIGIT_0 && c <= DIGIT_9 && explicit === 0) explicit = c - DIGIT_0;
    else if (c === DIGIT_0) s.fail("yaml.syntax", "a block scalar's indentation indicator must be 1 to 9");
    else break;
    s.pos++;
  }
  s.expectLineEnd("the block scalar indicator");
  while (s.here() !== LF && s.here() !== CR && s.here() !== EOF) s.pos++;
  if (s.here() === EOF) return "";
  s.breakLine();

  const text = s.text;
  const end = s.end;
  let indent = explicit > 0 ? Math.max(parentIndent, 0) + explicit : -1;
  let out = "";
  let empties = 0;
  let leadingEmptyIndent = 0;
  let hasContent = false;
  let previousSpaced = false;
  let endsWithBreak = false;
  while (s.pos < end) {
    const lineStart = s.pos;
    let i = lineStart;
    while (i < end && text.charCodeAt(i) === SPACE) i++;
    const spaces = i - lineStart;
    const c = i < end ? text.charCodeAt(i) : EOF;
    if ((c === LF || c === CR || c === EOF) && (indent < 0 || spaces <= indent)) {
      // An empty line: its line break is content, but only once a later line says where.
      if (spaces > leadingEmptyIndent) leadingEmptyIndent = spaces;
      s.pos = i;
      if (c === EOF) break;
      s.breakLine();
      empties++;
      continue;
    }
    if (indent < 0) {
      if (spaces <= parentIndent) break;
      if (leadingEmptyIndent > spaces) {
        s.fail("yaml.syntax", "a leading empty line of this block scalar has more spaces than its first line");
      }
      indent = spaces;
    } else if (spaces < indent) break;

    const from = lineStart + indent;
    let eol = from;
    while (eol < end && text.charCodeAt(eol) !== LF && text.charCodeAt(eol) !== CR) eol++;
    const line = text.slice(from, eol);
    const spaced = spaces > indent || text.charCodeAt(from) === TAB;
    if (!hasContent) out = "\n".repeat(empties) + line;
    else if (!folded || spaced || previousSpaced) out += "\n".repeat(empties + 1) + line;
    else out += empties === 0 ? " " + line : "\n".repeat(empties) + line;
    hasContent = true;
    previousSpaced = spaced;
    empties = 0;
    s.pos = eol;
    endsWithBreak = eol < end;
    if (!endsWithBreak) break;
    s.breakLine();
  }
  if (chomp === STRIP) return out;
  if (chomp === CLIP) return hasContent && endsWithBreak ? out + "\n" : out;
  return out + (hasContent && endsWithBreak ? "\n" : "") + "\n".repeat(empties);
}
