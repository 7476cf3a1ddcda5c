/**
 * Flow collections: `[a, b]` and `{k: v}`, possibly nested and spanning lines. Inside them
 * indentation does not matter and tabs are ordinary white space.
 */
import type { MapNode, Position, SeqNode, SourceNode } from "@membrane/engine";
import {
  AMP,
  BANG,
  COLON,
  COMMA,
  DASH,
  DQUOTE,
  EOF,
  LBRACE,
  LBRACKET,
  QUESTION,
  RBRACE,
  RBRACKET,
  SQUOTE,
  STAR,
  describeChar,
  isWhiteOrEnd,
} from "./chars.ts";
import { keyFromText, keyFromValue } from "./key-string.ts";
import { MappingBuilder } from "./mapping-builder.ts";
import { checkPlainStart, scanPlainFlow } from "./yaml-plain.ts";
import { readAlias, readProps } from "./yaml-props.ts";
import { scanDoubleQuoted, scanSingleQuoted } from "./yaml-quoted.ts";
import type { YamlState } from "./yaml-state.ts";

/** Parses the flow collection whose `[` or `{` is at the current position. */
export function parseFlowCollection(s: YamlState): SeqNode | MapNode {
  s.enter();
  const pos = s.mark();
  const node = s.here() === LBRACKET ? flowSeq(s, pos) : flowMap(s, pos);
  s.leave();
  return node;
}

function flowSeq(s: YamlState, pos: Position): SeqNode {
  s.pos++;
  const base = s.itemStack.top;
  for (;;) {
    s.skipFlowSpace();
    const c = s.here();
    if (c === RBRACKET) {
      s.pos++;
      return { kind: "seq", pos, items: s.itemStack.take(base) };
    }
    if (c === EOF) unclosed(s, RBRACKET, pos);
    if (c === COMMA) s.fail("yaml.syntax", 'a value is missing before ","');
    const item = flowNode(s);
    s.skipFlowSpace();
    // `[key: value]` is a sequence holding a one-entry mapping.
    s.itemStack.push(s.here() === COLON ? singlePair(s, item) : item);
    nextEntry(s, RBRACKET, pos);
  }
}

function flowMap(s: YamlState, pos: Position): MapNode {
  s.pos++;
  const b = new MappingBuilder(s.entryStack);
  for (;;) {
    s.skipFlowSpace();
    const c = s.here();
    if (c === RBRACE) {
      s.pos++;
      return { kind: "map", pos, entries: b.finish() };
    }
    if (c === EOF) unclosed(s, RBRACE, pos);
    if (c === COMMA) s.fail("yaml.syntax", 'a key is missing before ","');
    const keyPos = s.mark();
    let key: string;
    let merge: boolean;
    if (c === AMP || c === BANG || c === STAR || c === LBRACKET || c === LBRACE) {
      const keyNode = flowNode(s);
      key = flowKey(s, keyNode);
      merge = isMergeKey(s, keyNode);
    } else {
      // A plain or quoted key, read without making a node.
      const raw = scalarText(s, c);
      key = keyFromText(raw, s.lastPlain, null);
      merge = s.lastPlain && raw === "<<";
    }
    s.skipFlowSpace();
    let value: SourceNode;
    if (s.here() === COLON) {
      s.pos++;
      s.skipFlowSpace();
      value = flowValue(s, RBRACE);
    } else value = s.scalar(s.mark(), "", true, null);
    s.addEntry(b, key, keyPos, value, merge);
    nextEntry(s, RBRACE, pos);
  }
}

function singlePair(s: YamlState, keyNode: SourceNode): MapNode {
  const key = flowKey(s, keyNode);
  const merge = isMergeKey(s, keyNode);
  s.pos++;
  s.skipFlowSpace();
  const value = flowValue(s, RBRACKET);
  const b = new MappingBuilder(s.entryStack);
  s.addEntry(b, key, keyNode.pos, value, merge);
  return { kind: "map", pos: keyNode.pos, entries: b.finish() };
}

// A value after `:`; an absent one (`{a: }`, `[a: ]`) is null.
function flowValue(s: YamlState, closer: number): SourceNode {
  const c = s.here();
  return c === COMMA || c === closer ? s.scalar(s.mark(), "", true, null) : flowNode(s);
}

/** Parses one node inside a flow collection: a scalar, an alias or a nested collection. */
function flowNode(s: YamlState): SourceNode {
  const props = readProps(s);
  if (props !== null) s.skipFlowSpace();
  const tag = props === null ? null : props.tag;
  const c = s.here();
  switch (c) {
    case LBRACKET:
    case LBRACE:
      return s.finish(parseFlowCollection(s), props);
    case STAR:
      if (props !== null) s.fail("yaml.syntax", "an alias cannot have an anchor or a tag");
      return readAlias(s);
    case COMMA:
    case RBRACKET:
    case RBRACE:
      // Only properties and no content (`[!!str , x]`): an empty scalar.
      if (props === null) s.fail("yaml.syntax", `expected a value but found ${describeChar(c)}`);
      return s.finish(s.scalar(s.mark(), "", true, tag), props);
    case EOF:
      return s.fail("yaml.syntax", "the document ends inside a flow collection");
    default: {
      const pos = s.mark();
      const raw = scalarText(s, c);
      return s.finish(s.scalar(pos, raw, s.lastPlain, tag), props);
    }
  }
}

// Reads the quoted or plain scalar starting with `c` and returns its text; records its style in
// `s.lastPlain`.
function scalarText(s: YamlState, c: number): string {
  if (c === DQUOTE || c === SQUOTE) {
    s.lastPlain = false;
    return c === DQUOTE ? scanDoubleQuoted(s) : scanSingleQuoted(s);
  }
  if ((c === DASH || c === QUESTION) && isWhiteOrEnd(s.at(s.pos + 1))) {
    s.fail(
      "yaml.unsupported",
      c === DASH
        ? 'a block sequence entry "- " cannot appear inside [ ] or { }'
        : 'explicit keys ("? ") are not supported; write "key: value"',
    );
  }
  checkPlainStart(s, true);
  s.lastPlain = true;
  return scanPlainFlow(s);
}

// The key string of a node just parsed as a key; scalars only.
function flowKey(s: YamlState, node: SourceNode): string {
  if (node.kind !== "scalar") {
    s.fail("yaml.unsupported", "a mapping or a sequence used as a mapping key is not supported", node.pos);
  }
  return node === s.lastScalar ? keyFromText(s.lastRaw, s.lastPlain, s.lastTag) : keyFromValue(node.value);
}

// Only a plain, untagged `<<` is a merge key; a quoted "<<" is an ordinary key.
function isMergeKey(s: YamlState, node: SourceNode): boolean {
  return node === s.lastScalar && s.lastIsMergeKey();
}

function nextEntry(s: YamlState, closer: number, open: Position): void {
  s.skipFlowSpace();
  const c = s.here();
  if (c === COMMA) s.pos++;
  else if (c === EOF) unclosed(s, closer, open);
  else if (c !== closer) {
    const what = closer === RBRACKET ? "sequence" : "mapping";
    const closing = String.fromCharCode(closer);
    s.fail(
      "yaml.syntax",
      `expected "," or "${closing}" but found ${describeChar(c)} (is the flow ${what} opened at line ${open.line}, column ${open.column} missing its "${closing}"?)`,
    );
  }
}

function unclosed(s: YamlState, closer: number, open: Position): never {
  const what = closer === RBRACKET ? "sequence" : "mapping";
  return s.fail("yaml.syntax", `this flow ${what} has no closing "${String.fromCharCode(closer)}"`, open);
}
