/**
 * Labels with a source, as Cilium keeps them (`pkg/labels`): `k8s:app=web`, `reserved:host`,
 * `cidr:10.0.0.0/8`. A selector key without a source means "any source".
 */

/** Where a label comes from. `any` only appears in selectors. */
export type LabelSource = string;

/** The sources Cilium names (`pkg/labels/labels.go`). Others are accepted as written. */
export const SOURCE = {
  any: "any",
  k8s: "k8s",
  reserved: "reserved",
  cidr: "cidr",
  fqdn: "fqdn",
  cidrGroup: "cidrgroup",
  node: "node",
  unspec: "unspec",
} as const;

/** A label key split into its source and key. */
export interface SourcedKey {
  readonly source: LabelSource;
  readonly key: string;
}

/**
 * Splits a selector key written `source:key` (or `$key` for `reserved:key`); no source means
 * `any`. Mirrors Cilium's parseSource, which splits at the first `:`.
 */
export function parseSourcedKey(text: string): SourcedKey {
  if (text.startsWith("$")) return { source: SOURCE.reserved, key: text.slice(1) };
  const i = text.indexOf(":");
  if (i < 0) return { source: SOURCE.any, key: text };
  return { source: text.slice(0, i), key: text.slice(i + 1) };
}

/** Writes a sourced key back as `source:key`. */
export function formatSourcedKey(k: SourcedKey): string {
  return `${k.source}:${k.key}`;
}
