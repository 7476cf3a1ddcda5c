import type { Engine } from "../engine/engine.ts";
import { RESERVED } from "../identity/numeric-identity.ts";
import { parseIp } from "../net/ip.ts";
import type { Lookup } from "../policy/map-state.ts";
import type { IdentityInfo } from "../policy/peer-selector.ts";
import { PROTO } from "../policy/protocol.ts";
import type { DirectionPolicy, Enforcement } from "../policy/resolve.ts";
import type { RuleOrigin } from "../translate/rule-form.ts";
import { err, ok, type Result } from "../result.ts";
import { formatPeerRef, type Flow, type FlowPeerRef, type Party } from "./flow.ts";

/** Why the datapath drops: no entry allows it, or a deny entry matched (bpf/lib/drop_reasons.h). */
export type DropReason =
  | { readonly code: -133; readonly name: "POLICY_DENIED"; readonly desc: "Policy denied" }
  | { readonly code: -181; readonly name: "POLICY_DENY"; readonly desc: "Policy denied by denylist" };

const POLICY_DENIED: DropReason = { code: -133, name: "POLICY_DENIED", desc: "Policy denied" };
const POLICY_DENY: DropReason = { code: -181, name: "POLICY_DENY", desc: "Policy denied by denylist" };

/** One side's decision: its enforcement, the lookup in its map, and the outcome. */
export interface SideDecision {
  readonly direction: "egress" | "ingress";
  /** The enforcing endpoint: `namespace/pod` or `node:<name>`. */
  readonly endpoint: string;
  /** The other side's identity as this endpoint sees it. */
  readonly peer: IdentityInfo;
  readonly enforcement: Enforcement;
  readonly lookup: Lookup;
  readonly outcome: "allow" | "redirect" | "deny";
  readonly dropReason: DropReason | null;
  /** A drop that audit mode turns into a pass (reported AUDIT). */
  readonly audited: boolean;
}

/** A flow's verdict, with both sides' reasoning. */
export interface FlowVerdict {
  readonly verdict: "allow" | "deny";
  /** Whether a would-be drop passed because of audit mode. */
  readonly audited: boolean;
  /** The side that dropped the flow, or else the last enforced side that allowed it (else the last side). */
  readonly decidedBy: SideDecision | null;
  readonly egress: SideDecision | null;
  readonly ingress: SideDecision | null;
  readonly source: Party;
  readonly destination: Party;
  /** The destination port policy sees (after service translation). */
  readonly port: number;
  /** Why no policy was consulted, when so (loopback, no such service port). */
  readonly note: string | null;
}

/** What keeps a flow from being decided: a side that does not exist, or a case membrane cannot decide yet. */
export type FlowError = { readonly kind: "unknown-peer" | "unsupported"; readonly message: string };

/**
 * Decides a flow as the datapath would (`policy-semantics.md` §7.1): services are translated to a
 * backend and its target port first; then egress at the source endpoint, then ingress at the
 * destination endpoint, each looking up its own map with the other side's identity. Sides that are
 * not endpoints (world, remote hosts, hosts without the host firewall) have no map.
 */
export function decide(engine: Engine, flow: Flow): Result<FlowVerdict, FlowError> {
  const source = resolveParty(engine, flow.from);
  if (!source.ok) return source;
  const target = resolveTarget(engine, flow.to, flow.port, flow.protocol);
  if (!target.ok) return target;
  const { party: destination, port, note } = target.value;
  // Decided before any policy: a target that cannot be reached, or a pod reaching itself.
  const withoutPolicy = (verdict: "allow" | "deny", why: string): Result<FlowVerdict, FlowError> =>
    ok({ verdict, audited: false, decidedBy: null, egress: null, ingress: null, source: source.value, destination, port, note: why });
  if (note !== null) return withoutPolicy("deny", note);
  if (source.value.endpoint !== null && source.value.endpoint === destination.endpoint)
    return withoutPolicy("allow", "a pod reaching itself never leaves its network namespace");
  const proto = PROTO[flow.protocol];
  const egress = sideDecision(engine, "egress", source.value, destination, proto, port);
  const ingress =
    egress?.outcome === "deny" && !egress.audited ? null : sideDecision(engine, "ingress", destination, source.value, proto, port);
  const denied = [egress, ingress].find((s) => s?.outcome === "deny" && !s.audited) ?? null;
  const audited = [egress, ingress].find((s) => s?.outcome === "deny" && s.audited) ?? null;
  // Hubble reports a verdict only for enforced directions: prefer the last enforced side that allowed.
  const enforced = [ingress, egress].find((s) => s !== null && s.enforcement.kind !== "not-enforced") ?? null;
  return ok({
    verdict: denied === null ? "allow" : "deny",
    audited: denied === null && audited !== null,
    decidedBy: denied ?? audited ?? enforced ?? ingress ?? egress,
    egress,
    ingress,
    source: source.value,
    destination,
    port,
    note: null,
  });
}

function sideDecision(
  engine: Engine,
  direction: "egress" | "ingress",
  self: Party,
  other: Party,
  proto: number,
  port: number,
): SideDecision | null {
  let policy: DirectionPolicy;
  let name: string;
  if (self.endpoint !== null) {
    policy = engine.policyOf(self.endpoint)[direction];
    name = self.endpoint.key;
  } else if (self.hostOf !== null) {
    policy = engine.hostPolicyOf(self.hostOf)[direction];
    if (policy.enforcement.kind === "not-enforced") return null;
    name = `node:${self.hostOf}`;
  } else return null;
  const peer = other.identityFrom(self.node);
  const lookup = policy.map.lookup(peer.id, proto, port);
  const outcome = lookup.kind === "none" || lookup.entry.deny ? "deny" : lookup.entry.proxyPort !== 0 ? "redirect" : "allow";
  const dropReason = lookup.kind === "none" ? POLICY_DENIED : lookup.entry.deny ? POLICY_DENY : null;
  const audited = outcome === "deny" && engine.isAudited(self.endpoint, droppingOrigins(lookup, policy.enforcement));
  return { direction, endpoint: name, peer, enforcement: policy.enforcement, lookup, outcome, dropReason, audited };
}

/** The rules behind a drop: the deny entry's, or those that switched default deny on. */
function droppingOrigins(lookup: Lookup, enforcement: Enforcement): RuleOrigin[] {
  if (lookup.kind === "match") return lookup.entry.derivedFrom.flatMap((d) => (d.kind === "rule" ? [d.origin] : []));
  return "by" in enforcement ? [...enforcement.by] : [];
}

function resolveParty(engine: Engine, ref: FlowPeerRef): Result<Party, FlowError> {
  switch (ref.kind) {
    case "pod": {
      const ep = engine.endpointIn(ref.namespace, ref.name);
      if (ep !== undefined)
        return ok({
          display: ep.key,
          ip: ep.pod.ips[0] ?? null,
          node: ep.pod.nodeName,
          endpoint: ep,
          hostOf: null,
          identityFrom: () => ep.identity,
        });
      const hostPod = engine.cluster.pods.find((p) => p.hostNetwork && p.namespace === ref.namespace && p.name === ref.name);
      if (hostPod?.nodeName) return ok(hostParty(engine, hostPod.nodeName, `${ref.namespace}/${ref.name}`));
      return err({ kind: "unknown-peer", message: `no pod ${ref.namespace}/${ref.name} in the cluster` });
    }
    case "node":
      if (!engine.cluster.nodes.some((n) => n.name === ref.name))
        return err({ kind: "unknown-peer", message: `no node ${ref.name} in the cluster` });
      return ok(hostParty(engine, ref.name, `node:${ref.name}`));
    case "ip":
      return ok(ipParty(engine, ref.ip));
    case "entity": {
      if (ref.entity === "kube-apiserver") {
        const api = engine.cluster.services.find((s) => s.namespace === "default" && s.name === "kubernetes");
        const ip = api?.endpointAddresses[0];
        if (ip !== undefined) return ok(ipParty(engine, ip));
      }
      if (ref.entity === "world") {
        const world = engine.reservedIdentity(RESERVED.world);
        return ok({ display: "world", ip: null, node: null, endpoint: null, hostOf: null, identityFrom: () => world });
      }
      return err({ kind: "unknown-peer", message: `entity ${ref.entity} has no address in this cluster` });
    }
    case "service":
      return err({ kind: "unknown-peer", message: `a service (${formatPeerRef(ref)}) can only be a destination` });
    case "fqdn":
      // The address a DNS answer gave: what it is now depends on what the DNS cache learned.
      return ok({ ...ipParty(engine, ref.ip), display: formatPeerRef(ref) });
  }
}

function hostParty(engine: Engine, node: string, display: string): Party {
  const ip = engine.cluster.nodes.find((n) => n.name === node)?.addresses[0] ?? null;
  return { display, ip, node, endpoint: null, hostOf: node, identityFrom: (viewer) => engine.nodeIdentityFrom(node, viewer) };
}

function ipParty(engine: Engine, ip: string): Party {
  const ep = engine.endpointByIp(ip);
  if (ep !== undefined) return { display: ep.key, ip, node: ep.pod.nodeName, endpoint: ep, hostOf: null, identityFrom: () => ep.identity };
  const node = engine.cluster.nodes.find((n) => n.addresses.includes(ip));
  if (node !== undefined) return hostParty(engine, node.name, ip);
  return { display: ip, ip, node: null, endpoint: null, hostOf: null, identityFrom: (viewer) => engine.identityOfIp(ip, viewer) };
}

/**
 * The destination after load balancing (§7.1: DNAT happens before policy): a service or its
 * cluster IP becomes its first backend (pods by name) and the service port becomes the target port.
 */
function resolveTarget(
  engine: Engine,
  ref: FlowPeerRef,
  port: number,
  protocol: string,
): Result<{ party: Party; port: number; note: string | null }, FlowError> {
  const svc =
    ref.kind === "service"
      ? engine.cluster.services.find((s) => s.namespace === ref.namespace && s.name === ref.name)
      : ref.kind === "ip"
        ? engine.cluster.services.find((s) => s.clusterIPs.includes(ref.ip))
        : undefined;
  if (ref.kind === "service" && svc === undefined)
    return err({ kind: "unknown-peer", message: `no service ${ref.namespace}/${ref.name} in the cluster` });
  if (svc === undefined) {
    const party = resolveParty(engine, ref);
    return party.ok ? ok({ party: party.value, port, note: null }) : party;
  }
  const sp = svc.ports.find((p) => p.port === port && p.protocol === protocol);
  const backends =
    svc.selector === null
      ? svc.endpointAddresses.map((ip) => ipParty(engine, ip))
      : engine
          .endpoints()
          .filter((e) => e.pod.namespace === svc.namespace && [...svc.selector!].every(([k, v]) => e.pod.labels.get(k) === v))
          .sort((a, b) => (a.key < b.key ? -1 : 1))
          .map((e) => ipParty(engine, e.pod.ips[0]!));
  const backend = backends[0];
  const display = `service:${svc.namespace}/${svc.name}`;
  const none = {
    display,
    ip: svc.clusterIPs[0] ?? null,
    node: null,
    endpoint: null,
    hostOf: null,
    identityFrom: () => engine.identityOfIp(svc.clusterIPs[0] ?? "0.0.0.0", null),
  };
  if (sp === undefined) return ok({ party: none, port, note: `${display} has no ${protocol} port ${port}` });
  if (backend === undefined) return ok({ party: none, port, note: `${display} has no backends` });
  let target = typeof sp.targetPort === "number" ? sp.targetPort : undefined;
  if (typeof sp.targetPort === "string") target = backend.endpoint?.pod.ports.find((p) => p.name === sp.targetPort)?.port;
  if (target === undefined)
    return ok({ party: backend, port, note: `the backend of ${display} has no port named ${String(sp.targetPort)}` });
  return ok({ party: backend, port: target, note: null });
}

/** Whether a text is an IP literal (the flow form for addresses). */
export function isIpLiteral(text: string): boolean {
  return parseIp(text) !== undefined;
}
