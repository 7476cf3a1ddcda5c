import type { MapState, PolicyEntry, PolicyKey } from "../policy/map-state.ts";

/** What changed in one direction of one endpoint's policy map. */
export interface MapChange {
  readonly endpoint: string;
  readonly direction: "ingress" | "egress";
  /** Keys that are new, or whose entry changed (the new entry). */
  readonly upserted: readonly { readonly key: PolicyKey; readonly entry: PolicyEntry }[];
  readonly removed: readonly PolicyKey[];
}

const keyText = (k: PolicyKey): string => `${k.identity}/${k.proto}/${k.port}/${k.prefixLen}`;

function sameEntry(a: PolicyEntry, b: PolicyEntry): boolean {
  return (
    a === b ||
    (a.deny === b.deny &&
      a.precedence === b.precedence &&
      a.proxyPort === b.proxyPort &&
      a.derivedFrom.length === b.derivedFrom.length &&
      a.derivedFrom.every((d, i) => d === b.derivedFrom[i]))
  );
}

/** The change set turning `before` into `after` (undefined `before` means an empty map). */
export function diffMaps(
  endpoint: string,
  direction: "ingress" | "egress",
  before: MapState | undefined,
  after: MapState | undefined,
): MapChange | undefined {
  const old = new Map((before?.entries() ?? []).map((e) => [keyText(e.key), e]));
  const upserted: { key: PolicyKey; entry: PolicyEntry }[] = [];
  for (const e of after?.entries() ?? []) {
    const k = keyText(e.key);
    const prev = old.get(k);
    if (prev === undefined || !sameEntry(prev.entry, e.entry)) upserted.push(e);
    old.delete(k);
  }
  const removed = [...old.values()].map((e) => e.key);
  return upserted.length === 0 && removed.length === 0 ? undefined : { endpoint, direction, upserted, removed };
}
