import type { Position } from "@membrane/engine";
import { CR, EOF, LF } from "./chars.ts";

/** A problem found while reading one document, before it is placed in its file. */
export interface DocumentIssue {
  readonly code: string;
  readonly message: string;
  readonly pos: Position;
}

/**
 * Thrown inside a reader to abandon the current document; the document's driver catches it and
 * turns it into a {@link DocumentIssue}. It never leaves the package.
 */
export class SyntaxFailure extends Error {
  /** The issue code, e.g. `yaml.syntax`. */
  readonly code: string;
  /** Where the problem is. */
  readonly pos: Position;

  /** A failure with the issue's code, message and position. */
  constructor(code: string, message: string, pos: Position) {
    super(message);
    this.code = code;
    this.pos = pos;
  }
}

/**
 * A reading position in a text, confined to `[pos, end)`, that keeps the line number and the
 * offset where the current line starts so positions can be made without rescanning.
 */
export class Cursor {
  /** The whole text (positions are offsets into it). */
  readonly text: string;
  /** Where reading stops: the end of the document's slice. */
  readonly end: number;
  /** The current offset. */
  pos: number;
  /** The line of `pos`, from 1. */
  line: number;
  /** The offset where the line of `pos` starts. */
  lineStart: number;

  /** A cursor at `pos` in `text`, on line `line` (which starts at `lineStart`), reading up to `end`. */
  constructor(text: string, pos: number, end: number, line: number, lineStart: number) {
    this.text = text;
    this.pos = pos;
    this.end = end;
    this.line = line;
    this.lineStart = lineStart;
  }

  /** The character code at `i`, or {@link EOF} at or past the end. */
  at(i: number): number {
    return i < this.end ? this.text.charCodeAt(i) : EOF;
  }

  /** The character code at the current position, or {@link EOF}. */
  here(): number {
    return this.pos < this.end ? this.text.charCodeAt(this.pos) : EOF;
  }

  /** The current column counted from 0: the indentation of the content at this position. */
  column(): number {
    return this.pos - this.lineStart;
  }

  /**
   * The current position as a {@link Position}, for positions that end up in the tree. (V8 then
   * sees that nearly every object made here lives on and allocates them straight in the old
   * generation, which saves copying them in young-generation collections; positions that may be
   * thrown away are made by {@link positionOf}.)
   */
  mark(): Position {
    return { line: this.line, column: this.pos - this.lineStart + 1, offset: this.pos };
  }

  /** The position of `offset` on line `line`, which starts at `lineStart`: a point saved earlier. */
  positionOf(line: number, lineStart: number, offset: number): Position {
    return { line, column: offset - lineStart + 1, offset };
  }

  /** The position of `offset`, which must lie on the current line. */
  markAt(offset: number): Position {
    return this.positionOf(this.line, this.lineStart, offset);
  }

  /** Consumes the line break (LF, CRLF or a lone CR) at the current position. */
  breakLine(): void {
    if (this.here() === CR && this.at(this.pos + 1) === LF) this.pos += 2;
    else this.pos += 1;
    this.line++;
    this.lineStart = this.pos;
  }

  /** Abandons the document with an issue at `pos` (default: here). */
  fail(code: string, message: string, pos: Position = this.markAt(this.pos)): never {
    throw new SyntaxFailure(code, message, pos);
  }
}
