import type { LabelSet } from "../labels/label-set.ts";
import { asIdentity, LOCAL_SCOPE_BIT, MIN_CLUSTER_IDENTITY, type NumericIdentity } from "./numeric-identity.ts";

/**
 * Gives each distinct label set a number. Cluster identities are shared by every node (an etcd
 * allocator will implement this later); local ones (CIDR, FQDN) are per node.
 */
export interface IdentityAllocator {
  /** The identity of `labels`, allocating one when the set is new. */
  allocate(labels: LabelSet): NumericIdentity;
  /** Releases one reference; the number is freed when none remain. Returns whether it was freed. */
  release(labels: LabelSet): boolean;
  /** The identity of `labels` when it exists. */
  lookup(labels: LabelSet): NumericIdentity | undefined;
}

/**
 * An in-memory allocator counting upward from `first`, reusing freed numbers lowest first. The
 * same calls in the same order give the same numbers.
 */
export class InMemoryAllocator implements IdentityAllocator {
  readonly #byText = new Map<string, { id: NumericIdentity; refs: number }>();
  readonly #free: number[] = [];
  #next: number;

  constructor(first: number = MIN_CLUSTER_IDENTITY) {
    this.#next = first;
  }

  /** An allocator for local-scope identities (bit 24 set). */
  static local(): InMemoryAllocator {
    return new InMemoryAllocator(LOCAL_SCOPE_BIT | 1);
  }

  allocate(labels: LabelSet): NumericIdentity {
    const hit = this.#byText.get(labels.text);
    if (hit !== undefined) {
      hit.refs++;
      return hit.id;
    }
    const n = this.#free.length > 0 ? this.#takeLowestFree() : this.#next++;
    const id = asIdentity(n);
    this.#byText.set(labels.text, { id, refs: 1 });
    return id;
  }

  release(labels: LabelSet): boolean {
    const hit = this.#byText.get(labels.text);
    if (hit === undefined) return false;
    if (--hit.refs > 0) return false;
    this.#byText.delete(labels.text);
    this.#free.push(hit.id);
    return true;
  }

  lookup(labels: LabelSet): NumericIdentity | undefined {
    return this.#byText.get(labels.text)?.id;
  }

  #takeLowestFree(): number {
    let best = 0;
    for (let i = 1; i < this.#free.length; i++) if (this.#free[i]! < this.#free[best]!) best = i;
    return this.#free.splice(best, 1)[0]!;
  }
}
