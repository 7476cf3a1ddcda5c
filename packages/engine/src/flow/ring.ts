import type { Flow } from "./flow.ts";

/**
 * A fixed-capacity ring of the most recent flows, as Hubble's observer keeps (default 4,095; the
 * agent may configure millions). Writing never blocks: when full, the oldest flow is overwritten.
 */
export class FlowRing {
  readonly capacity: number;
  readonly #slots: (Flow | undefined)[];
  #next = 0;
  #seen = 0;

  constructor(capacity = 4095) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, not ${capacity}`);
    this.capacity = capacity;
    this.#slots = new Array<Flow | undefined>(capacity);
  }

  /** Adds a flow, overwriting the oldest when full. */
  push(flow: Flow): void {
    this.#slots[this.#next] = flow;
    this.#next = (this.#next + 1) % this.capacity;
    this.#seen++;
  }

  /** Flows written since start (Hubble's `seen_flows`). */
  get seen(): number {
    return this.#seen;
  }

  /** Flows currently held (Hubble's `num_flows`). */
  get size(): number {
    return Math.min(this.#seen, this.capacity);
  }

  /** Flows overwritten before anyone could read them (counted as lost when a reader falls behind). */
  get overwritten(): number {
    return Math.max(0, this.#seen - this.capacity);
  }

  /** The held flows, oldest first. */
  *oldestFirst(): IterableIterator<Flow> {
    const n = this.size;
    const start = this.#seen > this.capacity ? this.#next : 0;
    for (let i = 0; i < n; i++) yield this.#slots[(start + i) % this.capacity]!;
  }

  /** The held flows, newest first. */
  *newestFirst(): IterableIterator<Flow> {
    const n = this.size;
    for (let i = 1; i <= n; i++) yield this.#slots[(this.#next - i + this.capacity) % this.capacity]!;
  }
}
