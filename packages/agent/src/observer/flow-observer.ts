/**
 * The agent's observer (Hubble's): the engine's flow ring of the newest flows (Hubble's default
 * 4,095), listeners for followers, and the counters the metrics endpoint reports — they count every
 * flow, not only those still in the ring.
 */
import { FlowRing, selectFlows, type FlowQuery, type FlowRecord, type HubbleFlow as Flow } from "@membrane/engine";

/** Hubble's default ring size (its `hubble-event-buffer-capacity`). */
export const DEFAULT_RING_CAPACITY = 4095;
/** The largest ring the agent accepts. */
const MAX_RING_CAPACITY = 16_777_215;

/** Counters keyed by their label values (joined), for Prometheus. */
export type Counter = Map<string, number>;

export class FlowObserver {
  readonly #ring: FlowRing;
  readonly #listeners = new Set<(r: FlowRecord) => void>();
  /** hubble_flows_processed_total by type, subtype, verdict. */
  readonly processed: Counter = new Map();
  /** hubble_drop_total by reason, protocol. */
  readonly drops: Counter = new Map();
  /** hubble_policy_verdicts_total by direction, match, action. */
  readonly policyVerdicts: Counter = new Map();
  /** hubble_http_requests_total by method, protocol, reporter. */
  readonly httpRequests: Counter = new Map();
  /** hubble_http_responses_total by method, protocol, status, reporter. */
  readonly httpResponses: Counter = new Map();
  /** hubble_dns_queries_total and hubble_dns_responses_total by rcode, qtypes, ips_returned. */
  readonly dnsQueries: Counter = new Map();
  readonly dnsResponses: Counter = new Map();
  /** hubble_kafka_requests_total by topic, api_key, error_code, reporter. */
  readonly kafkaRequests: Counter = new Map();

  constructor(capacity = DEFAULT_RING_CAPACITY) {
    if (capacity > MAX_RING_CAPACITY) throw new RangeError(`ring capacity ${capacity} is over ${MAX_RING_CAPACITY}`);
    this.#ring = new FlowRing(capacity);
  }

  get capacity(): number {
    return this.#ring.capacity;
  }

  /** Flows seen since start. */
  get seen(): number {
    return this.#ring.seen;
  }

  /** Flows held now. */
  get size(): number {
    return this.#ring.size;
  }

  push(r: FlowRecord): void {
    this.#ring.push(withNodeName(r));
    this.#count(r);
    for (const l of this.#listeners) l(r);
  }

  /** The flows held, oldest first, as Hubble's `{flow, node_name, time}` records. */
  snapshot(): FlowRecord[] {
    return [...this.#ring.oldestFirst()].map(recordOf);
  }

  /** The held flows a query selects (reading the ring only as far as its window needs), as records. */
  select(q: FlowQuery, matches: (flow: Flow) => boolean): FlowRecord[] {
    return selectFlows(this.#ring, q, matches).map(recordOf);
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
    // Hubble's reporter: the proxy on the client's side (egress) or the server's (ingress).
    const reporter = f.traffic_direction === "INGRESS" ? "server" : "client";
    const http = f.l7?.http;
    if (http !== undefined && f.l7?.type === "REQUEST") add(this.httpRequests, [http.method ?? "", http.protocol ?? "", reporter]);
    if (http !== undefined && f.l7?.type === "RESPONSE")
      add(this.httpResponses, [http.method ?? "", http.protocol ?? "", String(http.code ?? 0), reporter]);
    const dns = f.l7?.dns;
    if (dns !== undefined) {
      const labels = [String(dns.rcode ?? ""), (dns.qtypes ?? []).join(","), String(dns.ips?.length ?? 0)];
      add(f.l7?.type === "RESPONSE" ? this.dnsResponses : this.dnsQueries, labels);
    }
    const kafka = f.l7?.kafka;
    if (kafka !== undefined && f.l7?.type === "REQUEST")
      add(this.kafkaRequests, [kafka.topic ?? "", kafka.api_key ?? "", String(kafka.error_code ?? 0), reporter]);
  }
}

function add(c: Counter, labels: readonly string[]): void {
  const key = labels.join("\u0000");
  c.set(key, (c.get(key) ?? 0) + 1);
}

/** A record's flow carrying the record's node name (the agent's flows carry it already: no copy then). */
export function withNodeName(r: FlowRecord): FlowRecord["flow"] {
  return r.node_name === undefined || r.flow.node_name !== undefined ? r.flow : { ...r.flow, node_name: r.node_name };
}

function recordOf(flow: Flow): FlowRecord {
  return { flow, node_name: flow.node_name ?? "", ...(flow.time === undefined ? {} : { time: flow.time }) };
}
