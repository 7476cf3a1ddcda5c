import { parsePrefix, type IpPrefix } from "../net/ip.ts";
import { SOURCE, type LabelSource } from "./label.ts";

/** A label with its source: `k8s:app=web`, `reserved:host`, `cidr:10.0.0.0/8`. */
export interface Label {
  readonly source: LabelSource;
  readonly key: string;
  readonly value: string;
}

/**
 * An identity's labels: sorted by source then key, one label per (source, key), with a canonical
 * text that doubles as the identity's key (two sets are the same identity when their texts are
 * equal). Immutable.
 */
export class LabelSet {
  readonly labels: readonly Label[];
  readonly text: string;
  readonly #byKey = new Map<string, Label[]>();
  #cidrs: readonly IpPrefix[] | undefined;

  private constructor(labels: readonly Label[]) {
    this.labels = labels;
    this.text = labels.map(formatLabel).join(";");
    for (const l of labels) {
      const list = this.#byKey.get(l.key);
      if (list === undefined) this.#byKey.set(l.key, [l]);
      else list.push(l);
    }
  }

  /** Builds a set; a later label with the same (source, key) replaces an earlier one. */
  static of(labels: Iterable<Label>): LabelSet {
    const unique = new Map<string, Label>();
    for (const l of labels) unique.set(`${l.source}:${l.key}`, l);
    return new LabelSet([...unique.values()].sort(compareLabels));
  }

  /** The labels with `key`, of any source. */
  withKey(key: string): readonly Label[] {
    return this.#byKey.get(key) ?? NONE;
  }

  /** The value of `source:key`, or undefined. `any` matches the first label of any source. */
  get(source: LabelSource, key: string): string | undefined {
    for (const l of this.withKey(key)) if (source === SOURCE.any || l.source === source) return l.value;
    return undefined;
  }

  /** Whether the set holds `source:key` (any value). */
  has(source: LabelSource, key: string): boolean {
    return this.get(source, key) !== undefined;
  }

  /** The prefixes of the `cidr:` labels (IPv6 keys write `:` as `-`), parsed once. */
  cidrPrefixes(): readonly IpPrefix[] {
    if (this.#cidrs === undefined) {
      this.#cidrs = this.labels.flatMap((l) => {
        if (l.source !== SOURCE.cidr) return [];
        const p = parsePrefix(l.key.includes("-") ? l.key.replaceAll("-", ":") : l.key);
        return p === undefined ? [] : [p];
      });
    }
    return this.#cidrs;
  }

  /** Labels of one source. */
  ofSource(source: LabelSource): Label[] {
    return this.labels.filter((l) => l.source === source);
  }
}

const NONE: readonly Label[] = [];

function compareLabels(a: Label, b: Label): number {
  return a.source < b.source ? -1 : a.source > b.source ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** `source:key=value`, or `source:key` when the value is empty (Cilium's format). */
export function formatLabel(l: Label): string {
  return l.value === "" ? `${l.source}:${l.key}` : `${l.source}:${l.key}=${l.value}`;
}

/** Parses `source:key=value` (source defaults to `unspec`, value to empty). */
export function parseLabel(text: string): Label {
  const eq = text.indexOf("=");
  const kv = eq < 0 ? text : text.slice(0, eq);
  const value = eq < 0 ? "" : text.slice(eq + 1);
  const colon = kv.indexOf(":");
  return colon < 0 ? { source: SOURCE.unspec, key: kv, value } : { source: kv.slice(0, colon), key: kv.slice(colon + 1), value };
}
