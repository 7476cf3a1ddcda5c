import type { Engine, EndpointInfo } from "../engine/engine.ts";
import type { IdentityInfo } from "../policy/peer-selector.ts";
import { formatLabel } from "../labels/label-set.ts";
import type { DerivedFrom } from "../policy/map-state.ts";
import type { CaseL7 } from "../scenario/connectivity-test.ts";
import type { L7Outcome } from "../scenario/decide-l7.ts";
import type { RuleOrigin } from "../translate/rule-form.ts";
import type { FlowVerdict, SideDecision } from "../verdict/decide.ts";
import type { FlowProtocol, Party } from "../verdict/flow.ts";
import { EVENT_TYPE, MATCH_TYPE_NUMBER, type Flow, type FlowEndpoint, type FlowL4, type FlowPolicy } from "./flow.ts";

/** What the simulator knows about one decided flow, to write it as Hubble would have seen it. */
export interface SimulatedFlow {
  readonly verdict: FlowVerdict;
  readonly protocol: FlowProtocol;
  readonly sourcePort: number;
  /** The request a proxy judged, its outcome and the Host the client sent. */
  readonly l7: { readonly request: CaseL7; readonly outcome: L7Outcome; readonly host: string } | null;
  /** ISO time of the first event; later events of the flow follow by a millisecond each. */
  readonly time: string;
}

/**
 * The flows Hubble would show for one decided connection: a policy-verdict event at each enforcing
 * side (allowed, redirected or dropped, naming the policies behind it — for a default-deny drop,
 * the policies that switched default deny on), a drop event when dropped, a trace event when
 * delivered, and an L7 record when a proxy judged a request.
 */
export function flowsOf(engine: Engine, sim: SimulatedFlow): Flow[] {
  const v = sim.verdict;
  const out: Flow[] = [];
  const t0 = Date.parse(sim.time);
  const at = (): string => new Date(t0 + out.length).toISOString();
  const base = (side: Party | null): Draft => ({
    IP:
      v.source.ip !== null && v.destination.ip !== null
        ? { source: v.source.ip, destination: v.destination.ip, ipVersion: v.source.ip.includes(":") ? "IPv6" : "IPv4" }
        : undefined,
    l4: l4Of(sim.protocol, sim.sourcePort, v.port),
    source: endpointOf(engine, v.source, v.destination.node),
    destination: endpointOf(engine, v.destination, v.source.node),
    Type: "L3_L4",
    node_name: side?.node ?? undefined,
    is_reply: false,
    Summary: summaryOf(sim.protocol),
  });
  for (const side of [v.egress, v.ingress]) {
    if (side === null || side.enforcement.kind === "not-enforced") continue;
    const party = side.direction === "egress" ? v.source : v.destination;
    const policies = policiesOf(side, engine.revision);
    const dropped = side.outcome === "deny" && !side.audited;
    const wouldDrop = side.outcome === "deny";
    const dir = side.direction === "egress" ? "egress" : "ingress";
    out.push(
      clean({
        ...base(party),
        time: at(),
        verdict: side.audited ? "AUDIT" : dropped ? "DROPPED" : side.outcome === "redirect" ? "REDIRECTED" : "FORWARDED",
        event_type: { type: EVENT_TYPE.policyVerdict },
        traffic_direction: side.direction === "egress" ? "EGRESS" : "INGRESS",
        policy_match_type: MATCH_TYPE_NUMBER[side.lookup.matchType],
        proxy_port: side.lookup.kind === "match" && side.lookup.entry.proxyPort !== 0 ? side.lookup.entry.proxyPort : undefined,
        drop_reason_desc: side.dropReason?.name,
        [wouldDrop ? `${dir}_denied_by` : `${dir}_allowed_by`]: policies.length > 0 ? policies : undefined,
        policy_log: logsOf(side),
      }),
    );
    if (dropped && side.dropReason !== null) {
      out.push(
        clean({
          ...base(party),
          time: at(),
          verdict: "DROPPED",
          event_type: { type: EVENT_TYPE.drop, sub_type: -side.dropReason.code },
          traffic_direction: side.direction === "egress" ? "EGRESS" : "INGRESS",
          drop_reason: -side.dropReason.code,
          drop_reason_desc: side.dropReason.name,
          [`${dir}_denied_by`]: policies.length > 0 ? policies : undefined,
        }),
      );
    }
  }
  if (v.verdict === "allow" && sim.l7 !== null) out.push(l7FlowOf(base(v.destination), at(), sim.l7.request, sim.l7.outcome, sim.l7.host));
  if (v.verdict === "allow" && (sim.l7 === null || sim.l7.outcome.kind === "allow")) {
    out.push(clean({ ...base(v.destination), time: at(), verdict: "FORWARDED", event_type: { type: EVENT_TYPE.trace, sub_type: 0 } }));
  }
  return out;
}

/** A flow being built: any field may still be undefined (dropped by `clean`). */
export type Draft = { [K in keyof Flow]?: Flow[K] | undefined } & Record<string, unknown>;

export function clean(f: Draft): Flow {
  return Object.fromEntries(Object.entries(f).filter(([, x]) => x !== undefined)) as Flow;
}

function l4Of(protocol: FlowProtocol, sport: number, dport: number): FlowL4 {
  switch (protocol) {
    case "TCP":
      return { TCP: { source_port: sport, destination_port: dport, flags: { SYN: true } } };
    case "UDP":
      return { UDP: { source_port: sport, destination_port: dport } };
    case "SCTP":
      return { SCTP: { source_port: sport, destination_port: dport } };
    case "ICMP":
      return { ICMPv4: { type: dport, code: 0 } };
    case "ICMPv6":
      return { ICMPv6: { type: dport, code: 0 } };
  }
}

function summaryOf(protocol: FlowProtocol): string {
  return protocol === "TCP"
    ? "TCP Flags: SYN"
    : protocol === "ICMP"
      ? "ICMPv4 EchoRequest"
      : protocol === "ICMPv6"
        ? "ICMPv6 EchoRequest"
        : protocol;
}

/** An endpoint as Hubble shows it; non-endpoints show their identity (world, host, remote-node). */
function endpointOf(engine: Engine, p: Party, viewer: string | null): FlowEndpoint {
  return flowEndpoint(engine, p.endpoint, p.identityFrom(viewer));
}

/** A pod endpoint (when there is one) or a bare identity, as Hubble shows a flow's side. */
export function flowEndpoint(engine: Engine, ep: EndpointInfo | null, identity: IdentityInfo): FlowEndpoint {
  const labels = identity.labels.labels.map(formatLabel);
  if (ep === null) return { identity: identity.id, labels };
  return {
    ID: endpointId(ep.key),
    identity: identity.id,
    cluster_name: engine.cluster.name,
    namespace: ep.pod.namespace,
    labels,
    pod_name: ep.pod.name,
  };
}

/** A stable endpoint ID (Cilium numbers endpoints per node; membrane derives one from the name). */
function endpointId(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return (h % 4000) + 1;
}

/** The policies behind a side's decision: its entry's rules, or for a default-deny drop the policies that enforce it. */
export function policiesOf(side: Pick<SideDecision, "lookup" | "enforcement">, revision: number): FlowPolicy[] {
  const origins: RuleOrigin[] =
    side.lookup.kind === "match"
      ? side.lookup.entry.derivedFrom.filter((d): d is Extract<DerivedFrom, { kind: "rule" }> => d.kind === "rule").map((d) => d.origin)
      : "by" in side.enforcement
        ? [...side.enforcement.by]
        : [];
  const seen = new Set<string>();
  return origins.flatMap((o) => {
    const key = `${o.policyKind}/${o.namespace}/${o.name}`;
    if (seen.has(key)) return [];
    seen.add(key);
    return [{ name: o.name, namespace: o.namespace ?? "", labels: o.labels, revision, kind: o.policyKind }];
  });
}

export function logsOf(side: Pick<SideDecision, "lookup">): string[] | undefined {
  if (side.lookup.kind !== "match") return undefined;
  const logs = side.lookup.entry.derivedFrom.flatMap((d) => (d.kind === "rule" && d.origin.log ? [d.origin.log] : []));
  return logs.length > 0 ? logs : undefined;
}

function l7FlowOf(base: Draft, time: string, req: CaseL7, outcome: L7Outcome, host: string): Flow {
  const verdict: Flow["verdict"] = outcome.kind === "deny" ? "DROPPED" : "FORWARDED";
  const common = {
    ...base,
    time,
    verdict,
    Type: "L7" as const,
    event_type: { type: EVENT_TYPE.l7 },
    traffic_direction: "INGRESS" as const,
  };
  switch (req.kind) {
    case "http":
    case "grpc": {
      const method = req.kind === "http" ? req.method : "POST";
      const path = req.kind === "http" ? req.path : `/${req.service}/${req.method}`;
      return clean({
        ...common,
        l7: {
          type: "REQUEST",
          http: {
            method,
            url: `http://${req.kind === "http" ? (req.host ?? host) : host}${path}`,
            protocol: req.kind === "http" ? "HTTP/1.1" : "HTTP/2",
          },
        },
        Summary: `${req.kind === "http" ? "HTTP/1.1" : "HTTP/2"} ${method} ${path}`,
      });
    }
    case "dns":
      return clean({
        ...common,
        traffic_direction: "EGRESS",
        l7: {
          type: "REQUEST",
          dns: { query: req.query.endsWith(".") ? req.query : `${req.query}.`, qtypes: ["A"], rcode: outcome.kind === "deny" ? 5 : 0 },
        },
        Summary: `DNS Query ${req.query} A`,
      });
    case "kafka":
      return clean({
        ...common,
        l7: {
          type: "REQUEST",
          kafka: {
            api_key: req.apiKey,
            topic: req.topic ?? "",
            error_code: outcome.kind === "deny" ? 29 : 0,
            api_version: req.apiVersion ?? 0,
          },
        },
        Summary: `Kafka ${req.apiKey} ${req.topic ?? ""}`,
      });
    case "tls":
      // Hubble has no TLS record: an L7 request flow whose summary names the server.
      return clean({ ...common, l7: { type: "REQUEST" }, Summary: `TLS ClientHello ${req.serverName ?? "(no server name)"}` });
  }
}
