import { namespacesOf } from "../policy/peer-selector.ts";
import type { RuleEntry } from "../translate/rule-form.ts";

/**
 * The repository's rule entries, per policy, indexed by the namespace their subject is pinned to
 * (CNP/NP subjects always are; CCNPs when they select namespaces by name), so resolving a pod looks
 * at its namespace's entries and the unpinned ones only. Order is repository order: each entry gets
 * a sequence number when its policy is (re)translated.
 */
export class EntryIndex {
  readonly #byPolicy = new Map<string, readonly RuleEntry[]>();
  readonly #order = new Map<RuleEntry, number>();
  readonly #byNamespace = new Map<string, RuleEntry[]>();
  #global: RuleEntry[] = [];
  #nextOrder = 0;
  #all: RuleEntry[] | undefined = [];

  /** One policy's entries. */
  of(policyKey: string): readonly RuleEntry[] {
    return this.#byPolicy.get(policyKey) ?? [];
  }

  /** Replaces one policy's entries (undefined removes them); returns the old ones. */
  set(policyKey: string, entries: readonly RuleEntry[] | undefined): readonly RuleEntry[] {
    const old = this.of(policyKey);
    if (old.length > 0) {
      const gone = new Set(old);
      this.#global = this.#global.filter((e) => !gone.has(e));
      for (const e of old) {
        for (const ns of pinnedNamespaces(e) ?? []) {
          const list = this.#byNamespace.get(ns)?.filter((x) => !gone.has(x)) ?? [];
          if (list.length > 0) this.#byNamespace.set(ns, list);
          else this.#byNamespace.delete(ns);
        }
        this.#order.delete(e);
      }
    }
    if (entries === undefined) this.#byPolicy.delete(policyKey);
    else {
      this.#byPolicy.set(policyKey, entries);
      for (const e of entries) {
        // New entries get the highest order numbers, so pushing keeps every list in order.
        this.#order.set(e, this.#nextOrder++);
        const namespaces = pinnedNamespaces(e);
        if (namespaces === null) this.#global.push(e);
        for (const ns of namespaces ?? []) {
          let list = this.#byNamespace.get(ns);
          if (list === undefined) this.#byNamespace.set(ns, (list = []));
          list.push(e);
        }
      }
    }
    this.#all = undefined;
    return old;
  }

  /** Every entry, in repository order. */
  all(): readonly RuleEntry[] {
    this.#all ??= [...this.#byPolicy.values()].flat().sort((a, b) => this.order(a) - this.order(b));
    return this.#all;
  }

  /** An entry's place in repository order. */
  order(e: RuleEntry): number {
    return this.#order.get(e)!;
  }

  /** The entries that may select a pod of `namespace`, in repository order. */
  candidates(namespace: string): readonly RuleEntry[] {
    const pinned = this.#byNamespace.get(namespace) ?? [];
    if (pinned.length === 0) return this.#global;
    if (this.#global.length === 0) return pinned;
    return [...pinned, ...this.#global].sort((a, b) => this.order(a) - this.order(b));
  }
}

/** The namespaces an entry's subject is pinned to, or null when it may select anywhere (or the host). */
export function pinnedNamespaces(e: RuleEntry): readonly string[] | null {
  return e.subject.kind === "endpoints" ? namespacesOf(e.subject.selector.requirements) : null;
}
