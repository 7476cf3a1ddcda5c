import type { Disposition } from "../common/disposition.ts";
/**
 * The DNS proxy's L7 flow records (Hubble's `l7.dns`, cilium/cilium pkg/proxy/accesslog): one per
 * query when it is decided, one per answer the proxy relays or makes after forwarding.
 *
 * - An allowed query gives a FORWARDED request, then a FORWARDED response with the upstream's
 *   answer — or an ERROR response (rcode SERVFAIL) when the upstream failed.
 * - A denied query gives one DROPPED request (Cilium logs no response for it; the client gets the
 *   reject code).
 * - An internal error before forwarding (unknown client, policy lookup failure, too many queries
 *   in flight) gives one ERROR request; the client gets SERVFAIL.
 */

/** Hubble's verdicts, as far as the DNS proxy gives them. */
export type DnsFlowVerdict = Disposition | "ERROR";

/** The DNS part of a record (Hubble's `DNS` message). */
export interface DnsFlowInfo {
  /** The first question's name, lowercased, fully qualified. */
  readonly query: string;
  /** Every question's type (`A`, `AAAA`, …). */
  readonly qtypes: readonly string[];
  /** Response records: the rcode sent to the client. */
  readonly rcode?: number;
  /** Response records: A/AAAA addresses along the answer's chain. */
  readonly ips?: readonly string[];
  /** Response records: the smallest TTL of the A, AAAA and CNAME records. */
  readonly ttl?: number;
  /** Response records: CNAME targets. */
  readonly cnames?: readonly string[];
  /** Response records: every answer record's type. */
  readonly rrtypes?: readonly string[];
}

/** One L7 DNS flow. */
export interface DnsFlowRecord {
  readonly type: "REQUEST" | "RESPONSE";
  readonly verdict: DnsFlowVerdict;
  readonly dns: DnsFlowInfo;
  /** Responses: from receiving the query to sending the answer, in nanoseconds. */
  readonly latencyNs?: bigint;
  /** The client's identity (0, unknown, when the proxy could not find it). */
  readonly sourceIdentity: number;
  /** The policy context's destination ("" when the proxy could not find it). */
  readonly destination: string;
  /** The policy context's port. */
  readonly port: number;
  readonly protocol: "udp" | "tcp";
  /** The client's address. */
  readonly client: string;
  /** The upstream server, `host:port` ("" when none was found). */
  readonly server: string;
  readonly time: Date;
}

/** Receives flow records. It must not throw; the proxy ignores what it throws. */
export type DnsFlowListener = (record: DnsFlowRecord) => void;

/** What an allowed answer taught (§8.5): the question name, its addresses, and the smallest TTL. */
export interface LearnedAnswer {
  /** The question name, lowercased, fully qualified (E34: not the CNAME targets). */
  readonly name: string;
  readonly ips: readonly string[];
  readonly ttlSeconds: number;
}

/**
 * Receives what an allowed answer taught, before the answer goes to the client. The proxy waits
 * for a returned promise up to `responseMaxDelayMs`, then answers anyway (Cilium's
 * `tofqdns-proxy-response-max-delay`); a rejection is ignored.
 */
export type AnswerListener = (answer: LearnedAnswer) => void | Promise<void>;
