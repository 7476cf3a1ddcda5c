/**
 * The agent's flow buffer (Hubble's observer ring): the newest `capacity` flows (Hubble's default
 * 4,095), how many were seen and how many the ring overwrote, and listeners for followers. It also
 * keeps the counters the metrics endpoint reports, so metrics count every flow, not only those
 * still in the ring.
 */
import type { FlowRecord } from "@membrane/engine";

/** Hubble's default ring size (its `hubble-event-buffer-capacity`). */
export const DEFAULT_RING_CAPACITY = 4095;

/** Counters keyed by their label values (joined), for Prometheus. */
export type Counter = Map<string, number>;

export class FlowRing {
  readonly capacity: number;
  readonly #ring: (FlowRecord | undefined)[];
  #next = 0;
  #seen = 0;
  readonly #listeners = new Set<(r: FlowRecord) => void>();
  /** hubble_flows_processed_total by type, subtype, verdict. */
  readonly processed: Counter = new Map();
  /** hubble_drop_total by reason, protocol. */
  readonly drops: Counter = new Map();
  /** hubble_policy_verdicts_total by direction, match, action. */
  readonly policyVerdicts: Counter = new Map();

  constructor(capacity = DEFAULT_RING_CAPACITY) {
    if (!(capacity >= 1 && capacity <= 16_777_215)) throw new RangeError(`ring capacity ${capacity} is out of 1..16777215`);
    this.capacity = capacity;
    this.#ring = new Array(capacity);
  }

  /** Flows seen since start. */
  get seen(): number {
    return this.#seen;
  }

  /** Flows held now. */
  get size(): number {
    return Math.min(this.#seen, this.capacity);
  }

  push(r: FlowRecord): void {
    this.#ring[this.#next] = r;
    this.#next = (this.#next + 1) % this.capacity;
    this.#seen++;
    this.#count(r);
    for (const l of this.#listeners) l(r);
  }

  /** The flows held, oldest first. */
  snapshot(): FlowRecord[] {
    const n = this.size;
    const start = (this.#next - n + this.capacity) % this.capacity;
    return Array.from({ length: n }, (_, i) => this.#ring[(start + i) % this.capacity]!);
  }

  /** Hears every flow pushed from now on; returns a function that stops it. */
  follow(listener: (r: FlowRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #count(r: FlowRecord): void {
    const f = r.flow;
    const protocol = f.l4 === undefined ? "" : Object.keys(f.l4)[0]!;
    const type = f.event_type?.type === 1 ? "Drop" : f.event_type?.type === 5 ? "PolicyVerdict" : f.Type === "L7" ? "L7" : "Trace";
    add(this.processed, [type, f.event_type?.sub_type === undefined ? "" : String(f.event_type.sub_type), f.verdict ?? "", protocol]);
    if (f.verdict === "DROPPED" && f.event_type?.type === 1) add(this.drops, [f.drop_reason_desc ?? "", protocol]);
    if (f.event_type?.type === 5) {
      const match = ["none", "l3-only", "l3-l4", "l4-only", "all", "l3-proto", "proto-only"][f.policy_match_type ?? 0] ?? "none";
      const action =
        f.verdict === "DROPPED" ? "dropped" : f.verdict === "REDIRECTED" ? "redirected" : f.verdict === "AUDIT" ? "audit" : "forwarded";
      add(this.policyVerdicts, [f.traffic_direction === "INGRESS" ? "ingress" : "egress", match, action]);
    }
  }
}

function add(c: Counter, labels: readonly string[]): void {
  const key = labels.join("\u0000");
  c.set(key, (c.get(key) ?? 0) + 1);
}
