/**
 * Plain (unquoted) scalars. A plain scalar ends at `: ` (a key's end), at ` #` (a comment), at the
 * end of its line, and in flow context at `, [ ] { }`. It may continue on following lines, which are
 * folded: one line break becomes a space, each empty line a `\n`.
 */
import {
  AMP,
  AT,
  BACKTICK,
  BANG,
  COLON,
  CR,
  DASH,
  DQUOTE,
  EOF,
  GT,
  HASH,
  LBRACE,
  LBRACKET,
  LF,
  PERCENT,
  PIPE,
  QUESTION,
  RBRACE,
  RBRACKET,
  SPACE,
  SQUOTE,
  STAR,
  TAB,
  COMMA,
  describeChar,
  isBlank,
  isFlowIndicator,
  isWhiteOrEnd,
} from "./chars.ts";
import type { YamlState } from "./yaml-state.ts";

/** Fails unless a plain scalar may start at the current position. */
export function checkPlainStart(s: YamlState, flow: boolean): void {
  const c = s.here();
  switch (c) {
    case DASH:
    case QUESTION:
    case COLON: {
      const next = s.at(s.pos + 1);
      if (!isWhiteOrEnd(next) && !(flow && isFlowIndicator(next))) return;
      if (c === COLON) s.fail("yaml.syntax", 'a mapping key is missing before ":"');
      break;
    }
    case COMMA:
    case LBRACKET:
    case RBRACKET:
    case LBRACE:
    case RBRACE:
    case HASH:
    case AMP:
    case STAR:
    case BANG:
    case PIPE:
    case GT:
    case SQUOTE:
    case DQUOTE:
    case PERCENT:
    case AT:
    case BACKTICK:
      break;
    default:
      return;
  }
  s.fail("yaml.syntax", `a plain value cannot start with ${describeChar(c)}; put the value in quotes`);
}

/**
 * Scans the part of a plain scalar on the current line and returns it without trailing blanks;
 * the position is left right after its last character.
 */
export function scanPlainLine(s: YamlState, flow: boolean): string {
  const text = s.text;
  const end = s.end;
  const start = s.pos;
  let i = start;
  let contentEnd = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === SPACE || c === TAB) {
      i++;
      continue;
    }
    if (c === LF || c === CR) break;
    if (c === COLON) {
      const next = i + 1 < end ? text.charCodeAt(i + 1) : EOF;
      if (isWhiteOrEnd(next) || (flow && isFlowIndicator(next))) break;
    } else if (c === HASH) {
      const before = text.charCodeAt(i - 1);
      if (before === SPACE || before === TAB) break;
    } else if (flow && isFlowIndicator(c)) break;
    i++;
    contentEnd = i;
  }
  s.pos = contentEnd;
  return text.slice(start, contentEnd);
}

/**
 * Extends a block-context plain scalar whose first line is `first` over the following lines
 * indented more than `parentIndent`, folding them. A comment or a less indented line ends it.
 */
export function continuePlainBlock(s: YamlState, parentIndent: number, first: string): string {
  if (endsAtThisLine(s, parentIndent)) return first;
  let value = first;
  for (;;) {
    // Kept so that a look at the next line that finds no continuation can be undone.
    const pos = s.pos;
    const line = s.line;
    const lineStart = s.lineStart;
    const empties = nextContentLine(s);
    const c = s.here();
    if (empties < 0 || c === HASH || c === EOF || lineIndent(s) <= parentIndent) {
      s.pos = pos;
      s.line = line;
      s.lineStart = lineStart;
      return value;
    }
    const text = scanPlainLine(s, false);
    let k = s.pos;
    while (isBlank(s.at(k))) k++;
    if (s.at(k) === COLON && isWhiteOrEnd(s.at(k + 1))) {
      s.fail(
        "yaml.syntax",
        'unexpected ":" in a value that spans lines: if this line is meant as a key, check its indentation; otherwise quote the value',
        s.markAt(k),
      );
    }
    value += empties === 0 ? " " + text : "\n".repeat(empties) + text;
  }
}

// The common case, checked without moving: the next line is not blank and indented too little to
// continue the scalar (or a comment or the end follows on this line).
function endsAtThisLine(s: YamlState, parentIndent: number): boolean {
  const text = s.text;
  let i = s.pos;
  let c = s.at(i);
  while (c === SPACE || c === TAB) c = s.at(++i);
  if (c !== LF && c !== CR) return true;
  i += c === CR && s.at(i + 1) === LF ? 2 : 1;
  const lineStart = i;
  while (i < s.end && text.charCodeAt(i) === SPACE) i++;
  c = s.at(i);
  return i - lineStart <= parentIndent && c !== TAB && c !== LF && c !== CR;
}

/** Like {@link continuePlainBlock} in flow context, where indentation does not matter. */
export function scanPlainFlow(s: YamlState): string {
  let value = scanPlainLine(s, true);
  for (;;) {
    const pos = s.pos;
    const line = s.line;
    const lineStart = s.lineStart;
    const empties = nextContentLine(s);
    const c = s.here();
    const ends = c === HASH || c === EOF || isFlowIndicator(c);
    if (empties < 0 || ends || (c === COLON && (isWhiteOrEnd(s.at(s.pos + 1)) || isFlowIndicator(s.at(s.pos + 1))))) {
      s.pos = pos;
      s.line = line;
      s.lineStart = lineStart;
      return value;
    }
    const text = scanPlainLine(s, true);
    value += empties === 0 ? " " + text : "\n".repeat(empties) + text;
  }
}

// From the end of a scalar's line, moves to the first non-blank character of the next line that
// is not empty and returns how many empty lines were passed; -1 (position unchanged) when the
// line holds more than blanks, that is a comment or the end of the text follows.
function nextContentLine(s: YamlState): number {
  let i = s.pos;
  while (isBlank(s.at(i))) i++;
  let c = s.at(i);
  if (c !== LF && c !== CR) return -1;
  let empties = -1;
  while (c === LF || c === CR) {
    s.pos = i;
    s.breakLine();
    empties++;
    i = s.pos;
    while (isBlank(s.at(i))) i++;
    c = s.at(i);
  }
  s.pos = i;
  return empties;
}

// The number of leading spaces of the current line (tabs after them are separation, not indent).
function lineIndent(s: YamlState): number {
  let i = s.lineStart;
  while (s.text.charCodeAt(i) === SPACE) i++;
  return i - s.lineStart;
}
