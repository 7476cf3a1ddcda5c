/**
 * The YAML document parser: block structure (indentation-based mappings and sequences) in one
 * pass over the text, handing scalars and flow collections to their own readers. A block node's
 * indentation is the column where it starts; it ends at the first line indented less (or, for a
 * mapping, at a line indented the same that is not one of its keys).
 */
import type { MapNode, Position, SeqNode, SourceNode } from "@membrane/engine";
import {
  COLON,
  CR,
  DASH,
  DOT,
  DQUOTE,
  GT,
  HASH,
  LBRACE,
  LBRACKET,
  LF,
  PIPE,
  QUESTION,
  SQUOTE,
  STAR,
  describeChar,
  isWhiteOrEnd,
} from "./chars.ts";
import { SyntaxFailure, type DocumentIssue } from "./cursor.ts";
import { keyFromText, keyFromValue } from "./key-string.ts";
import { MappingBuilder } from "./mapping-builder.ts";
import type { DocumentChunk } from "./split-documents.ts";
import { scanBlockScalar } from "./yaml-block-scalar.ts";
import { parseFlowCollection } from "./yaml-flow.ts";
import { checkPlainStart, continuePlainBlock, scanPlainLine } from "./yaml-plain.ts";
import { readAlias, readProps } from "./yaml-props.ts";
import { scanDoubleQuoted, scanSingleQuoted } from "./yaml-quoted.ts";
import { YamlState, type NodeProps } from "./yaml-state.ts";

/** What parsing one document gives: where its content starts, its root, and its issues. */
export interface DocumentResult {
  readonly pos: Position;
  /** The root node; null when the document failed (then `issues` is not empty). */
  readonly root: SourceNode | null;
  readonly issues: DocumentIssue[];
}

/**
 * Parses one document of a YAML stream. Returns null for a document holding only comments and
 * blanks. Never throws: a syntax error, or any internal failure, becomes an issue.
 */
export function parseYamlDocument(text: string, chunk: DocumentChunk): DocumentResult | null {
  const s = new YamlState(text, chunk.start, chunk.end, chunk.line, chunk.lineStart);
  let pos = s.positionOf(chunk.line, chunk.lineStart, chunk.start);
  try {
    s.skipToContent();
    if (s.pos >= s.end) return null;
    pos = s.markAt(s.pos);
    if (chunk.start === chunk.lineStart + 3 && text.charCodeAt(chunk.lineStart) === DOT) {
      s.fail("yaml.syntax", 'nothing but a comment may follow the document end marker "..." on its line');
    }
    // Content on the `---` line itself cannot start a block mapping or sequence.
    const root = parseNode(s, -1, s.line !== chunk.line || chunk.start === chunk.lineStart, false);
    s.skipToContent();
    if (s.pos < s.end) {
      s.fail("yaml.syntax", "unexpected content after the end of the document's top-level node; check the indentation");
    }
    return { pos, root, issues: s.issues };
  } catch (e) {
    const issue =
      e instanceof SyntaxFailure
        ? { code: e.code, message: e.message, pos: e.pos }
        : { code: "yaml.internal", message: `internal parser error: ${String(e)}`, pos: s.markAt(s.pos) };
    return { pos, root: null, issues: [...s.issues, issue] };
  }
}

/**
 * Parses the node at the current position (its first character, perhaps a property). Its parent
 * has indentation `parentIndent`. `blockOk`: a block collection may start here (not after a key on
 * the same line). `seqAtParent`: on a later line, a sequence at the parent's indentation belongs
 * to this node (a mapping value).
 */
function parseNode(s: YamlState, parentIndent: number, blockOk: boolean, seqAtParent: boolean): SourceNode {
  s.enter();
  const props = readProps(s);
  let node: SourceNode;
  const c = s.here();
  if (props !== null && (c === HASH || c === LF || c === CR || c === -1)) {
    // Properties alone on their line apply to the node on the next lines, if there is one.
    const { pos: offset, line, lineStart } = s;
    s.skipToContent();
    const col = s.column();
    if (s.pos < s.end && (col > parentIndent || (seqAtParent && col === parentIndent && isSeqEntry(s)))) {
      node = parseContent(s, parentIndent, true, props, true);
    } else node = s.finish(s.scalar(s.positionOf(line, lineStart, offset), "", true, props.tag), props);
  } else node = parseContent(s, parentIndent, blockOk, props, false);
  s.leave();
  return node;
}

// Parses a node's content. Properties written on an earlier line (`ownLine`) belong to the node;
// written on the same line, they belong to its first scalar, which may turn out to be a key.
function parseContent(s: YamlState, parentIndent: number, blockOk: boolean, props: NodeProps | null, ownLine: boolean): SourceNode {
  const c = s.here();
  const indent = s.column();
  const tag = props === null ? null : props.tag;
  switch (c) {
    case DASH:
      if (!isWhiteOrEnd(s.at(s.pos + 1))) break;
      if (!blockOk) s.fail("yaml.syntax", 'a sequence cannot start on the same line as its key; put "- " on the next line');
      if (props !== null && !ownLine) s.fail("yaml.syntax", 'an anchor or tag before "- " must be followed by a line break');
      return s.finish(parseBlockSeq(s, indent), props);
    case QUESTION:
      if (isWhiteOrEnd(s.at(s.pos + 1))) explicitKey(s);
      break;
    case PIPE:
    case GT: {
      const pos = s.mark();
      return s.finish(s.scalar(pos, scanBlockScalar(s, parentIndent), false, tag), props);
    }
    case LBRACKET:
    case LBRACE: {
      const node = parseFlowCollection(s);
      s.skipBlanks();
      if (isKeyColon(s)) s.fail("yaml.unsupported", "a mapping or a sequence used as a mapping key is not supported", node.pos);
      s.expectLineEnd("a flow collection");
      return s.finish(node, props);
    }
    case STAR: {
      if (props !== null) s.fail("yaml.syntax", "an alias cannot have an anchor or a tag");
      const { pos: offset, line, lineStart } = s;
      const node = readAlias(s);
      s.skipBlanks();
      if (!isKeyColon(s)) {
        s.expectLineEnd("an alias");
        return node;
      }
      if (!blockOk) nestedMappingHere(s);
      return parseBlockMap(s, indent, aliasKey(s, node), s.positionOf(line, lineStart, offset), false);
    }
  }
  // Made only here, where it always ends up in the tree (see Cursor.mark).
  const pos = s.mark();
  let raw: string;
  let plain = false;
  if (c === DQUOTE) raw = scanDoubleQuoted(s);
  else if (c === SQUOTE) raw = scanSingleQuoted(s);
  else {
    checkPlainStart(s, false);
    raw = scanPlainLine(s, false);
    plain = true;
  }
  const oneLine = s.line === pos.line;
  s.skipBlanks();
  if (isKeyColon(s)) {
    if (!blockOk) nestedMappingHere(s);
    if (!oneLine) s.fail("yaml.syntax", "a mapping key must fit on one line", pos);
    const keyProps = ownLine ? null : props;
    const keyTag = keyProps === null ? null : keyProps.tag;
    if (keyProps !== null) s.finish(s.scalar(pos, raw, plain, keyTag), keyProps);
    const map = parseBlockMap(s, indent, keyFromText(raw, plain, keyTag), pos, plain && keyTag === null && raw === "<<");
    return ownLine ? s.finish(map, props) : map;
  }
  if (plain) raw = continuePlainBlock(s, parentIndent, raw);
  s.expectLineEnd(plain ? "a value" : "a quoted string");
  return s.finish(s.scalar(pos, raw, plain, tag), props);
}

// Parses a block mapping whose first key has been read; the position is at that key's `:`.
function parseBlockMap(s: YamlState, indent: number, key: string, keyPos: Position, merge: boolean): MapNode {
  const pos = keyPos;
  const b = new MappingBuilder(s.entryStack);
  for (;;) {
    s.pos++;
    s.addEntry(b, key, keyPos, parseMapValue(s, indent), merge);
    s.skipToContent();
    if (s.pos >= s.end) break;
    const col = s.column();
    if (col < indent) break;
    if (col > indent) {
      s.fail("yaml.syntax", `this line is indented more than the keys of its mapping (column ${indent + 1}); check the indentation`);
    }
    keyPos = s.mark();
    key = readBlockKey(s, keyPos);
    merge = s.lastIsMergeKey();
  }
  return { kind: "map", pos, entries: b.finish() };
}

// Reads a key of a block mapping after its first, up to its `:`; records its text in the state.
function readBlockKey(s: YamlState, keyPos: Position): string {
  const props = readProps(s);
  const tag = props === null ? null : props.tag;
  const c = s.here();
  const line = s.line;
  let raw: string;
  let plain = false;
  if (c === DQUOTE || c === SQUOTE) {
    raw = c === DQUOTE ? scanDoubleQuoted(s) : scanSingleQuoted(s);
    if (s.line !== line) s.fail("yaml.syntax", "a mapping key must fit on one line", keyPos);
  } else if (c === STAR && props === null) {
    const node = readAlias(s);
    s.skipBlanks();
    if (!isKeyColon(s)) missingColon(s, "alias");
    s.lastPlain = false;
    return aliasKey(s, node);
  } else {
    if (c === DASH && isWhiteOrEnd(s.at(s.pos + 1))) {
      s.fail("yaml.syntax", 'expected a "key: value" line but found a sequence entry "- "; check the indentation');
    }
    if (c === QUESTION && isWhiteOrEnd(s.at(s.pos + 1))) explicitKey(s);
    if (c === LBRACKET || c === LBRACE || c === PIPE || c === GT) {
      s.fail("yaml.syntax", `expected a "key: value" line but found ${describeChar(c)}`);
    }
    checkPlainStart(s, false);
    raw = scanPlainLine(s, false);
    plain = true;
  }
  s.skipBlanks();
  if (!isKeyColon(s)) missingColon(s, JSON.stringify(raw));
  if (props !== null) s.finish(s.scalar(keyPos, raw, plain, tag), props);
  s.lastRaw = raw;
  s.lastPlain = plain;
  s.lastTag = tag;
  return keyFromText(raw, plain, tag);
}

// The value after a block mapping key's `:`: on the same line, on the lines below (indented more,
// or a sequence at the key's own indentation), or absent (null).
function parseMapValue(s: YamlState, indent: number): SourceNode {
  s.skipBlanks();
  const c = s.here();
  if (c !== HASH && c !== LF && c !== CR && c !== -1) return parseNode(s, indent, false, true);
  const { pos: offset, line, lineStart } = s;
  s.skipToContent();
  if (s.pos < s.end) {
    const col = s.column();
    if (col > indent || (col === indent && isSeqEntry(s))) return parseNode(s, indent, true, true);
  }
  return s.scalar(s.positionOf(line, lineStart, offset), "", true, null);
}

// Parses a block sequence whose first "-" is at the current position, in column `indent`.
function parseBlockSeq(s: YamlState, indent: number): SeqNode {
  const pos = s.mark();
  const base = s.itemStack.top;
  for (;;) {
    s.pos++;
    s.itemStack.push(parseSeqItem(s, indent));
    s.skipToContent();
    if (s.pos >= s.end) break;
    const col = s.column();
    if (col < indent) break;
    if (col > indent) {
      s.fail(
        "yaml.syntax",
        `this line is indented more than the "- " entries of its sequence (column ${indent + 1}); check the indentation`,
      );
    }
    if (!isSeqEntry(s)) break;
  }
  return { kind: "seq", pos, items: s.itemStack.take(base) };
}

// The item after a "-": on the same line (a compact mapping or sequence may start there), on the
// lines below when indented more than the "-", or absent (null).
function parseSeqItem(s: YamlState, indent: number): SourceNode {
  s.skipBlanks();
  const c = s.here();
  if (c !== HASH && c !== LF && c !== CR && c !== -1) return parseNode(s, indent, true, false);
  const { pos: offset, line, lineStart } = s;
  s.skipToContent();
  if (s.pos < s.end && s.column() > indent) return parseNode(s, indent, true, false);
  return s.scalar(s.positionOf(line, lineStart, offset), "", true, null);
}

function isSeqEntry(s: YamlState): boolean {
  return s.here() === DASH && isWhiteOrEnd(s.at(s.pos + 1));
}

function isKeyColon(s: YamlState): boolean {
  return s.here() === COLON && isWhiteOrEnd(s.at(s.pos + 1));
}

function aliasKey(s: YamlState, node: SourceNode): string {
  if (node.kind !== "scalar") {
    s.fail("yaml.unsupported", "a mapping or a sequence used as a mapping key is not supported", node.pos);
  }
  return keyFromValue(node.value);
}

function missingColon(s: YamlState, what: string): never {
  return s.fail("yaml.syntax", `expected ":" after the key ${what}; each line of a mapping must be "key: value"`);
}

function nestedMappingHere(s: YamlState): never {
  return s.fail(
    "yaml.syntax",
    'unexpected ": " in a value: a nested mapping must start on its own line below its key, and a value containing ": " must be quoted',
  );
}

function explicitKey(s: YamlState): never {
  return s.fail("yaml.unsupported", 'explicit keys ("? ") are not supported; write "key: value"');
}
