import { RESERVED, type NumericIdentity } from "../identity/numeric-identity.ts";
import { POD_NAMESPACE } from "../translate/well-known-keys.ts";
import type { IdentityInfo, PeerSelector } from "./peer-selector.ts";

/** What changed in one selector's selection: identities that now match, and those that no longer do. */
export interface SelectionChange {
  readonly selector: string;
  readonly added: readonly NumericIdentity[];
  readonly removed: readonly NumericIdentity[];
}

interface Cached {
  readonly selector: PeerSelector;
  readonly ids: Set<NumericIdentity>;
}

/**
 * Each distinct peer selector and the identities it selects (Cilium's SelectorCache). The host
 * identity (1) is never in a selection: its labels differ per node, so resolution matches it
 * against the subject's own node. Identities
 * coming and going update every selector and report `{added, removed}` per selector, so map
 * states can follow without recomputing policy.
 */
export class SelectorCache {
  readonly #selectors = new Map<string, Cached>();
  readonly #identities = new Map<NumericIdentity, IdentityInfo>();
  /** Pod identities by namespace, so namespace-pinned selectors look only there. */
  readonly #byNamespace = new Map<string, Set<NumericIdentity>>();

  /** Registers a selector (once per key) and returns the identities it selects now. */
  add(selector: PeerSelector): ReadonlySet<NumericIdentity> {
    let c = this.#selectors.get(selector.key);
    if (c === undefined) {
      const ids = new Set<NumericIdentity>();
      if (!selector.wildcard) for (const info of this.#candidates(selector)) if (selector.matches(info)) ids.add(info.id);
      this.#selectors.set(selector.key, (c = { selector, ids }));
    }
    return c.ids;
  }

  /** The identities a registered selector selects. */
  selections(key: string): ReadonlySet<NumericIdentity> {
    return this.#selectors.get(key)?.ids ?? new Set();
  }

  /** Every registered selector with its selections, for `membrane policy selectors`. */
  entries(): { readonly selector: PeerSelector; readonly ids: ReadonlySet<NumericIdentity> }[] {
    return [...this.#selectors.values()];
  }

  #candidates(selector: PeerSelector): Iterable<IdentityInfo> {
    if (selector.namespaces === null) return [...this.#identities.values()].filter((i) => i.id !== RESERVED.host);
    const out: IdentityInfo[] = [];
    for (const ns of selector.namespaces) for (const id of this.#byNamespace.get(ns) ?? []) out.push(this.#identities.get(id)!);
    return out;
  }

  #index(info: IdentityInfo, add: boolean): void {
    for (const l of info.labels.withKey(POD_NAMESPACE.key)) {
      if (l.source !== POD_NAMESPACE.source) continue;
      let set = this.#byNamespace.get(l.value);
      if (set === undefined) this.#byNamespace.set(l.value, (set = new Set()));
      if (add) set.add(info.id);
      else set.delete(info.id);
    }
  }

  /** A known identity's labels. */
  identity(id: NumericIdentity): IdentityInfo | undefined {
    return this.#identities.get(id);
  }

  /** How many identities are known. */
  get identityCount(): number {
    return this.#identities.size;
  }

  /** Every known identity. */
  identities(): IterableIterator<IdentityInfo> {
    return this.#identities.values();
  }

  /** Adds or replaces identities; returns the selectors whose selections changed. */
  upsertIdentities(infos: readonly IdentityInfo[]): SelectionChange[] {
    for (const info of infos) {
      const old = this.#identities.get(info.id);
      if (old !== undefined) this.#index(old, false);
      this.#identities.set(info.id, info);
      this.#index(info, true);
    }
    return this.#update(infos.map((i) => i.id));
  }

  /** Removes identities; returns the selectors whose selections changed. */
  removeIdentities(ids: readonly NumericIdentity[]): SelectionChange[] {
    for (const id of ids) {
      const old = this.#identities.get(id);
      if (old !== undefined) this.#index(old, false);
      this.#identities.delete(id);
    }
    return this.#update(ids);
  }

  #update(ids: readonly NumericIdentity[]): SelectionChange[] {
    const changes: SelectionChange[] = [];
    for (const [key, c] of this.#selectors) {
      if (c.selector.wildcard) continue;
      const added: NumericIdentity[] = [];
      const removed: NumericIdentity[] = [];
      for (const id of ids) {
        if (id === RESERVED.host) continue;
        const info = this.#identities.get(id);
        const now = info !== undefined && c.selector.matches(info);
        if (now && !c.ids.has(id)) {
          c.ids.add(id);
          added.push(id);
        } else if (!now && c.ids.delete(id)) removed.push(id);
      }
      if (added.length > 0 || removed.length > 0) changes.push({ selector: key, added, removed });
    }
    return changes;
  }
}
