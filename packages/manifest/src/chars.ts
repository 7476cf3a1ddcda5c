/**
 * Character codes and classes shared by the YAML and JSON readers. Both readers compare UTF-16
 * code units (`charCodeAt`), and use -1 for "past the end of the text".
 */

/** Past the end of the text (what `Cursor.at` returns there). */
export const EOF = -1;
/** `\t` */
export const TAB = 0x09;
/** `\n` */
export const LF = 0x0a;
/** `\r` */
export const CR = 0x0d;
/** ` ` */
export const SPACE = 0x20;
/** `!` */
export const BANG = 0x21;
/** `"` */
export const DQUOTE = 0x22;
/** `#` */
export const HASH = 0x23;
/** `%` */
export const PERCENT = 0x25;
/** `&` */
export const AMP = 0x26;
/** `'` */
export const SQUOTE = 0x27;
/** `*` */
export const STAR = 0x2a;
/** `+` */
export const PLUS = 0x2b;
/** `,` */
export const COMMA = 0x2c;
/** `-` */
export const DASH = 0x2d;
/** `.` */
export const DOT = 0x2e;
/** `0` */
export const DIGIT_0 = 0x30;
/** `9` */
export const DIGIT_9 = 0x39;
/** `:` */
export const COLON = 0x3a;
/** `<` */
export const LT = 0x3c;
/** `>` */
export const GT = 0x3e;
/** `?` */
export const QUESTION = 0x3f;
/** `@` */
export const AT = 0x40;
/** `[` */
export const LBRACKET = 0x5b;
/** `\` */
export const BACKSLASH = 0x5c;
/** `]` */
export const RBRACKET = 0x5d;
/** `` ` `` */
export const BACKTICK = 0x60;
/** `{` */
export const LBRACE = 0x7b;
/** `|` */
export const PIPE = 0x7c;
/** `}` */
export const RBRACE = 0x7d;
/** The byte order mark U+FEFF. */
export const BOM = 0xfeff;

/** A space or a tab: YAML's in-line white space. */
export function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** A line break character or the end of the text. */
export function isBreakOrEnd(c: number): boolean {
  return c === LF || c === CR || c === EOF;
}

/** White space, a line break or the end of the text: what must follow most YAML indicators. */
export function isWhiteOrEnd(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR || c === EOF;
}

/** One of `, [ ] { }`, the characters that structure YAML flow collections. */
export function isFlowIndicator(c: number): boolean {
  return c === COMMA || c === LBRACKET || c === RBRACKET || c === LBRACE || c === RBRACE;
}

/** Shows a character code in a message, e.g. `"%"` or `a tab`. */
export function describeChar(c: number): string {
  if (c === EOF) return "the end of the document";
  if (c === TAB) return "a tab";
  if (c === LF || c === CR) return "the end of the line";
  return JSON.stringify(String.fromCharCode(c));
}
