import { toFqdn } from "@membrane/engine";
import { disposition } from "../common/disposition.ts";
import type { DnsPeer, DnsPolicySource, DnsRoute, DnsRouteResolver } from "./context.ts";
import { decideName } from "./dns-policy.ts";
import { describeExchangeError } from "./exchange.ts";
import type { AnswerListener, DnsFlowInfo, DnsFlowListener, DnsFlowRecord, DnsFlowVerdict, LearnedAnswer } from "./flow-record.ts";
import type { DnsProxyLimits } from "./limits.ts";
import { answerDetails, isLearnable, localReply } from "./replies.ts";
import type { Upstreams } from "./upstreams.ts";
import { decodeMessage } from "./wire.ts";
import { OPCODE, RCODE, typeName, type DnsMessage } from "./wire-types.ts";

/** What the proxy answers a denied query with (`tofqdns-dns-reject-response-code`). */
export type RejectCode = "refused" | "nameError";

/** What a query handler is built from. */
export interface QueryHandlerOptions {
  readonly routeOf: DnsRouteResolver;
  readonly policy: DnsPolicySource;
  readonly upstreams: Upstreams;
  readonly limits: DnsProxyLimits;
  readonly rejectCode: RejectCode;
  readonly onAnswer: AnswerListener | undefined;
  readonly onFlow: DnsFlowListener | undefined;
  /** Wall-clock time for flow records. */
  readonly now: () => Date;
  /** Reports internal errors (a listener that threw, a reply that could not be built). */
  readonly onError: (message: string) => void;
}

/**
 * Serves one DNS query, whatever transport it came on (cilium/cilium pkg/fqdn/dnsproxy `ServeDNS`,
 * `policy-semantics.md` §8.4): decide the first question's name under the connection's policy,
 * answer a denied name with the reject code, forward an allowed one to the original server, feed
 * what its answer teaches to `onAnswer` before relaying it, and record a flow for each step.
 */
export class QueryHandler {
  readonly #o: QueryHandlerOptions;
  #inFlight = 0;

  constructor(options: QueryHandlerOptions) {
    this.#o = options;
  }

  /** Queries being served now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * The reply to send for `bytes` from `peer`, or null to send nothing: a malformed query (drop it
   * over UDP, close the connection over TCP) or a proxy shutting down.
   */
  async handle(bytes: Uint8Array, peer: DnsPeer): Promise<Uint8Array | null> {
    const started = process.hrtime.bigint();
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) return null;
    const query = decoded.value;
    const first = query.questions[0];
    // A response, or a query without a question, is never forwarded.
    if (query.header.qr || first === undefined) return null;
    const info: DnsFlowInfo = { query: toFqdn(first.name), qtypes: query.questions.map((q) => typeName(q.type)) };
    const flow = new FlowScope(this.#o, peer, info, started);
    if (query.header.opcode !== OPCODE.QUERY && query.header.opcode !== OPCODE.NOTIFY) {
      flow.emit("REQUEST", "DROPPED", null);
      return this.#reply(query, RCODE.NOTIMP);
    }
    if (this.#inFlight >= this.#o.limits.maxInFlight) {
      flow.emit("REQUEST", "ERROR", null);
      return this.#reply(query, RCODE.SERVFAIL);
    }
    this.#inFlight++;
    try {
      return await this.#serve(query, bytes, peer, flow);
    } finally {
      this.#inFlight--;
    }
  }

  async #serve(query: DnsMessage, bytes: Uint8Array, peer: DnsPeer, flow: FlowScope): Promise<Uint8Array | null> {
    let route: DnsRoute | null;
    try {
      route = this.#o.routeOf(peer);
    } catch (e) {
      this.#o.onError(`route lookup failed: ${String(e)}`);
      route = null;
    }
    if (route === null) {
      flow.emit("REQUEST", "ERROR", null);
      return this.#reply(query, RCODE.SERVFAIL);
    }
    flow.route = route;
    let allowed: boolean;
    try {
      allowed = decideName(await this.#o.policy.policyFor(route.context), flow.info.query).kind === "allowed";
    } catch (e) {
      this.#o.onError(`policy lookup failed: ${String(e)}`);
      flow.emit("REQUEST", "ERROR", null);
      return this.#reply(query, RCODE.SERVFAIL);
    }
    // Audit mode forwards a query the rules deny (recorded AUDIT); its answer teaches nothing.
    const verdict = disposition(allowed, this.#o.policy, route.context);
    flow.emit("REQUEST", verdict, null);
    if (verdict === "DROPPED") return this.#reply(query, this.#o.rejectCode === "nameError" ? RCODE.NXDOMAIN : RCODE.REFUSED);
    const answer = await this.#o.upstreams.exchange(peer.protocol, route.upstream, bytes, query.questions[0]!);
    if (!answer.ok) {
      if (answer.error.kind === "closed") return null;
      this.#o.onError(`${flow.info.query}: ${describeExchangeError(answer.error)}`);
      flow.emit("RESPONSE", "ERROR", { rcode: RCODE.SERVFAIL });
      return this.#reply(query, RCODE.SERVFAIL);
    }
    const details = answerDetails(answer.value.message);
    if (allowed && isLearnable(details)) await this.#learn({ name: flow.info.query, ips: details.ips, ttlSeconds: details.ttl ?? 0 });
    flow.emit("RESPONSE", "FORWARDED", {
      rcode: details.rcode,
      ips: details.ips,
      ...(details.ttl === null ? {} : { ttl: details.ttl }),
      cnames: details.cnames,
      rrtypes: details.rrtypes,
    });
    return answer.value.bytes;
  }

  /** Hands an answer's lesson to `onAnswer`, waiting for it at most `responseMaxDelayMs`. */
  async #learn(answer: LearnedAnswer): Promise<void> {
    const listener = this.#o.onAnswer;
    if (listener === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      const pending = listener(answer);
      if (pending === undefined) return;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#o.limits.responseMaxDelayMs)));
      await Promise.race([pending.catch((e: unknown) => this.#o.onError(`onAnswer failed: ${String(e)}`)), deadline]);
    } catch (e) {
      this.#o.onError(`onAnswer failed: ${String(e)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  #reply(query: DnsMessage, rcode: number): Uint8Array | null {
    const reply = localReply(query, rcode);
    if (reply.ok) return reply.value;
    this.#o.onError(`cannot build a reply: ${reply.error}`);
    return null;
  }
}

/** Builds and emits the flow records of one query. */
class FlowScope {
  readonly info: DnsFlowInfo;
  route: DnsRoute | null = null;
  readonly #o: QueryHandlerOptions;
  readonly #peer: DnsPeer;
  readonly #started: bigint;

  constructor(o: QueryHandlerOptions, peer: DnsPeer, info: DnsFlowInfo, started: bigint) {
    this.#o = o;
    this.#peer = peer;
    this.info = info;
    this.#started = started;
  }

  emit(type: "REQUEST" | "RESPONSE", verdict: DnsFlowVerdict, response: Omit<DnsFlowInfo, "query" | "qtypes"> | null): void {
    const listener = this.#o.onFlow;
    if (listener === undefined) return;
    const ctx = this.route?.context;
    const up = this.route?.upstream;
    const record: DnsFlowRecord = {
      type,
      verdict,
      dns: { ...this.info, ...response },
      ...(type === "RESPONSE" ? { latencyNs: process.hrtime.bigint() - this.#started } : {}),
      sourceIdentity: ctx?.sourceIdentity ?? 0,
      destination: ctx?.destination ?? "",
      port: ctx?.port ?? 0,
      protocol: this.#peer.protocol,
      client: formatHostPort(this.#peer.remote.host, this.#peer.remote.port),
      server: up === undefined ? "" : formatHostPort(up.host, up.port),
      time: this.#o.now(),
    };
    try {
      listener(record);
    } catch (e) {
      this.#o.onError(`onFlow failed: ${String(e)}`);
    }
  }
}

/** `host:port`, IPv6 in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
