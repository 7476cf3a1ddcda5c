import type { MapEntry, Position, ScalarNode, ScalarValue, SourceNode } from "@membrane/engine";
import { CR, HASH, LF, SPACE, TAB, describeChar } from "./chars.ts";
import { Cursor, type DocumentIssue } from "./cursor.ts";
import type { MappingBuilder } from "./mapping-builder.ts";
import { Scratch } from "./scratch.ts";
import { TAG_MAP, TAG_SEQ, isScalarTag, resolvePlain, resolveTagged, shortTag } from "./scalar-resolve.ts";

// Deep enough for any real manifest, shallow enough never to overflow the call stack.
const MAX_DEPTH = 500;
// Aliases repeat nodes without copying them, so a few lines can stand for a tree of billions of
// nodes ("billion laughs") that would hang whoever walks it; like go-yaml, refuse such documents.
const MAX_ALIASED_NODES = 100_000;

/** The anchor and tag written before a node (`&a !!str`); either may be absent. */
export interface NodeProps {
  readonly anchor: string | null;
  readonly tag: string | null;
}

/**
 * The reading state of one YAML document: the cursor, the anchors defined so far, the issues that
 * do not stop parsing (duplicate keys, tag mismatches), and the text of the last scalar made, which
 * a mapping reads back when that scalar turns out to be a key.
 */
export class YamlState extends Cursor {
  /** The anchors defined so far; made on the first one, as most documents have none. */
  anchors: Map<string, SourceNode> | null = null;
  /** Issues found so far that did not stop parsing. */
  readonly issues: DocumentIssue[] = [];
  /** Where mappings and sequences collect their elements (see {@link Scratch}). */
  readonly entryStack = new Scratch<MapEntry>();
  /** See {@link entryStack}. */
  readonly itemStack = new Scratch<SourceNode>();
  /** The current nesting depth. */
  depth = 0;
  /** How many nodes the aliases read so far repeat. */
  aliasedNodes = 0;
  /** The sizes of aliased collections, counting repeated subtrees each time. */
  sizes: Map<SourceNode, number> | null = null;
  /** The last scalar node made, and the text, style and tag of the last scalar (or key) read. */
  lastScalar: ScalarNode | null = null;
  lastRaw = "";
  lastPlain = false;
  lastTag: string | null = null;

  /** Records an issue that does not stop parsing (the document still fails). */
  report(code: string, message: string, pos: Position): void {
    this.issues.push({ code, message, pos });
  }

  /** Enters one level of nesting; fails past the depth limit. */
  enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail("yaml.too-deep", `nesting is deeper than ${MAX_DEPTH} levels`);
  }

  /** Leaves a level entered with {@link enter}. */
  leave(): void {
    this.depth--;
  }

  /** Counts the nodes an alias at `pos` repeats; fails past the limit. */
  countAlias(node: SourceNode, pos: Position): void {
    this.aliasedNodes += this.sizeOf(node);
    if (this.aliasedNodes > MAX_ALIASED_NODES) {
      this.fail("yaml.alias-limit", `the aliases of this document repeat more than ${MAX_ALIASED_NODES} nodes`, pos);
    }
  }

  /** The number of nodes in a tree, counting repeated subtrees each time (memoized per collection). */
  sizeOf(node: SourceNode): number {
    if (node.kind === "scalar") return 1;
    const sizes = (this.sizes ??= new Map());
    let size = sizes.get(node);
    if (size === undefined) {
      size = 1;
      if (node.kind === "map") for (const e of node.entries) size += this.sizeOf(e.value);
      else for (const item of node.items) size += this.sizeOf(item);
      sizes.set(node, size);
    }
    return size;
  }

  /** Skips spaces and tabs on the current line. */
  skipBlanks(): void {
    const text = this.text;
    const end = this.end;
    let i = this.pos;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c !== SPACE && c !== TAB) break;
      i++;
    }
    this.pos = i;
  }

  /**
   * Skips white space, comments and line breaks up to the next content in block context, and
   * rejects a tab in the indentation of a line that holds content.
   */
  skipToContent(): void {
    const text = this.text;
    const end = this.end;
    let i = this.pos;
    let leading = i === this.lineStart;
    let tab = -1;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === SPACE) i++;
      else if (c === TAB) {
        if (leading && tab < 0) tab = i;
        i++;
      } else if (c === LF || c === CR) {
        this.pos = i;
        this.breakLine();
        i = this.pos;
        leading = true;
        tab = -1;
      } else if (c === HASH) {
        while (i < end && text.charCodeAt(i) !== LF && text.charCodeAt(i) !== CR) i++;
      } else break;
    }
    this.pos = i;
    if (tab >= 0 && i < end) {
      this.fail("yaml.tab-indent", "a tab is used for indentation; YAML allows only spaces there", this.markAt(tab));
    }
  }

  /** Skips white space, line breaks and comments inside a flow collection (tabs are fine there). */
  skipFlowSpace(): void {
    for (;;) {
      const c = this.here();
      if (c === SPACE || c === TAB) this.pos++;
      else if (c === LF || c === CR) this.breakLine();
      else if (c === HASH) {
        while (this.pos < this.end && this.here() !== LF && this.here() !== CR) this.pos++;
      } else return;
    }
  }

  /** Fails unless only blanks and perhaps a comment remain on the line. */
  expectLineEnd(after: string): void {
    this.skipBlanks();
    const c = this.here();
    if (c === HASH || c === LF || c === CR || c === -1) return;
    this.fail("yaml.syntax", `unexpected ${describeChar(c)} after ${after}; expected the end of the line`);
  }

  /** Makes a scalar node, typing it by its tag or, when plain and untagged, by its text. */
  scalar(pos: Position, raw: string, plain: boolean, tag: string | null): ScalarNode {
    let value: ScalarValue;
    if (tag === null) value = plain ? resolvePlain(raw) : raw;
    else {
      const typed = tag === TAG_MAP || tag === TAG_SEQ ? undefined : resolveTagged(tag, raw);
      if (typed === undefined) this.report("yaml.tag", `${JSON.stringify(raw)} cannot be read as ${shortTag(tag)}`, pos);
      value = typed === undefined ? raw : typed;
    }
    const node: ScalarNode = { kind: "scalar", pos, value };
    this.lastScalar = node;
    this.lastRaw = raw;
    this.lastPlain = plain;
    this.lastTag = tag;
    return node;
  }

  /** Whether the last scalar text read (see {@link lastRaw}) is a merge key: a plain, untagged `<<`. */
  lastIsMergeKey(): boolean {
    return this.lastPlain && this.lastTag === null && this.lastRaw === "<<";
  }

  /** Adds a mapping entry, or a merge when `merge`; reports duplicate keys and bad merge values. */
  addEntry(b: MappingBuilder, key: string, keyPos: Position, value: SourceNode, merge: boolean): void {
    if (merge) {
      if (!b.addMerge(value)) {
        this.report("yaml.merge", 'the merge key "<<" needs a mapping, or a list of mappings, as its value', value.pos);
      }
      return;
    }
    const earlier = b.add(key, keyPos, value);
    if (earlier !== undefined) {
      const first = `line ${earlier.keyPos.line}, column ${earlier.keyPos.column}`;
      this.report("yaml.duplicate-key", `the key ${JSON.stringify(key)} appears twice in this mapping (first at ${first})`, keyPos);
    }
  }

  /** Applies node properties to a finished node: checks a collection's tag, defines the anchor. */
  finish<N extends SourceNode>(node: N, props: NodeProps | null): N {
    if (props === null) return node;
    const tag = props.tag;
    if (tag !== null && node.kind !== "scalar") {
      const wrong = isScalarTag(tag) || (tag === TAG_MAP && node.kind === "seq") || (tag === TAG_SEQ && node.kind === "map");
      if (wrong) this.report("yaml.tag", `a ${node.kind === "map" ? "mapping" : "sequence"} cannot be ${shortTag(tag)}`, node.pos);
    }
    if (props.anchor !== null) (this.anchors ??= new Map()).set(props.anchor, node);
    return node;
  }
}
