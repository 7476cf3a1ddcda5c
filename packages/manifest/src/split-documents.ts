/**
 * Splits a YAML stream into its documents before any parsing. A line starting with `---` or `...`
 * followed by white space (or the end of the line) is always a document marker in YAML — even in
 * the middle of a quoted or block scalar — so the split is purely by lines, and an error in one
 * document cannot swallow the next.
 */
import { BOM, CR, DASH, DOT, HASH, LF, PERCENT, SPACE, TAB } from "./chars.ts";

/** One document's slice of the text: `[start, end)`, and the line where `start` lies. */
export interface DocumentChunk {
  readonly start: number;
  readonly end: number;
  readonly line: number;
  /** Offset of the start of the line holding `start` (to compute columns). */
  readonly lineStart: number;
}

/**
 * The documents of a YAML stream in order. Directive lines (`%YAML`, `%TAG`) before a document
 * and a leading BOM are skipped. A chunk starting at `---` begins right after the marker, so
 * content on the marker line (`--- |`) belongs to it. Chunks may hold only comments and blanks.
 */
export function splitDocuments(text: string): DocumentChunk[] {
  const chunks: DocumentChunk[] = [];
  const length = text.length;
  const hasCR = text.includes("\r");
  let lineStart = text.charCodeAt(0) === BOM ? 1 : 0;
  let line = 1;
  // Between documents (at the start, or after `...`) directives may appear and nothing is open.
  let between = true;
  let open: { start: number; line: number; lineStart: number } | null = null;
  const close = (end: number): void => {
    if (open !== null) chunks.push({ start: open.start, end, line: open.line, lineStart: open.lineStart });
    open = null;
  };
  while (lineStart < length) {
    const c = text.charCodeAt(lineStart);
    const marker = (c === DASH || c === DOT) && isMarker(text, lineStart, c);
    if (marker && c === DASH) {
      close(lineStart);
      open = { start: lineStart + 3, line, lineStart };
      between = false;
    } else if (marker) {
      close(lineStart);
      between = true;
      // Text after `...` on its line is not allowed; keep it as a document so the parser reports it.
      if (!isBlankOrComment(text, lineStart + 3)) {
        open = { start: lineStart + 3, line, lineStart };
        between = false;
      }
    } else if (between && c !== PERCENT && !isBlankOrComment(text, lineStart)) {
      open = { start: lineStart, line, lineStart };
      between = false;
    }
    let eol = hasCR ? lineEndSlow(text, lineStart) : text.indexOf("\n", lineStart);
    if (eol === -1) eol = length;
    lineStart = eol + (text.charCodeAt(eol) === CR && text.charCodeAt(eol + 1) === LF ? 2 : 1);
    line++;
  }
  close(length);
  return chunks;
}

function isMarker(text: string, i: number, c: number): boolean {
  if (text.charCodeAt(i + 1) !== c || text.charCodeAt(i + 2) !== c) return false;
  const next = text.charCodeAt(i + 3);
  return Number.isNaN(next) || next === SPACE || next === TAB || next === LF || next === CR;
}

// Whether the rest of the line from `i` holds only blanks and perhaps a comment.
function isBlankOrComment(text: string, i: number): boolean {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === SPACE || c === TAB) i++;
    else return c === HASH || c === LF || c === CR || Number.isNaN(c);
  }
}

// The offset of the line break ending the line at `i` when lone CRs may be breaks too.
function lineEndSlow(text: string, i: number): number {
  const length = text.length;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || c === CR) return i;
  }
  return -1;
}
