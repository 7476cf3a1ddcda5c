/** Node properties (`&anchor`, `!tag`) and aliases (`*anchor`). */
import type { SourceNode } from "@membrane/engine";
import { AMP, BANG, COLON, GT, LT, describeChar, isBreakOrEnd, isFlowIndicator, isWhiteOrEnd } from "./chars.ts";
import { TAG_PREFIX } from "./scalar-resolve.ts";
import type { NodeProps, YamlState } from "./yaml-state.ts";

/**
 * Reads the properties at the current position, in either order, and the blanks after them.
 * Returns null when there are none. Tags are returned in full form (`!!str` becomes
 * `tag:yaml.org,2002:str`); `%TAG` directives are ignored, so other handles stay as written.
 */
export function readProps(s: YamlState): NodeProps | null {
  let c = s.here();
  if (c !== AMP && c !== BANG) return null;
  let anchor: string | null = null;
  let tag: string | null = null;
  while (c === AMP || c === BANG) {
    const start = s.pos;
    const what = c === AMP ? "an anchor" : "a tag";
    if (c === AMP) {
      if (anchor !== null) s.fail("yaml.syntax", "a node can have only one anchor", s.markAt(start));
      s.pos++;
      anchor = readName(s, "anchor");
    } else {
      if (tag !== null) s.fail("yaml.syntax", "a node can have only one tag", s.markAt(start));
      tag = readTag(s);
    }
    c = s.here();
    if (!isWhiteOrEnd(c) && !isFlowIndicator(c)) {
      s.fail("yaml.syntax", `unexpected ${describeChar(c)} after ${what}`);
    }
    s.skipBlanks();
    c = s.here();
  }
  return { anchor, tag };
}

/** Reads the alias at the current position (`*name`) and returns the node its anchor named. */
export function readAlias(s: YamlState): SourceNode {
  const start = s.pos;
  s.pos++;
  const name = readName(s, "alias");
  const node = s.anchors?.get(name);
  if (node === undefined) {
    s.fail("yaml.unknown-alias", `the alias *${name} refers to no anchor defined before it`, s.markAt(start));
  }
  s.countAlias(node, s.markAt(start));
  return node;
}

// Anchor names end at white space or a flow indicator; a `:` followed by a space ends one too so
// that `*base: value` uses the alias as a key.
function readName(s: YamlState, what: "anchor" | "alias"): string {
  const start = s.pos;
  for (;;) {
    const c = s.here();
    if (isWhiteOrEnd(c) || isFlowIndicator(c) || (c === COLON && isWhiteOrEnd(s.at(s.pos + 1)))) break;
    s.pos++;
  }
  if (s.pos === start) s.fail("yaml.syntax", `an ${what} needs a name right after "${what === "anchor" ? "&" : "*"}"`);
  return s.text.slice(start, s.pos);
}

function readTag(s: YamlState): string {
  const start = s.pos;
  s.pos++;
  if (s.here() === LT) {
    // A verbatim tag: !<tag:yaml.org,2002:str>
    while (s.here() !== GT) {
      if (isBreakOrEnd(s.here())) s.fail("yaml.syntax", 'a verbatim tag "!<" is missing its closing ">"');
      s.pos++;
    }
    s.pos++;
    return s.text.slice(start + 2, s.pos - 1);
  }
  while (!isWhiteOrEnd(s.here()) && !isFlowIndicator(s.here())) s.pos++;
  const written = s.text.slice(start, s.pos);
  return written.startsWith("!!") ? TAG_PREFIX + written.slice(2) : written;
}
