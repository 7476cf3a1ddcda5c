import type { Service } from "../cluster/types.ts";
import type { NumericIdentity } from "../identity/numeric-identity.ts";
import { SOURCE } from "../labels/label.ts";
import { LabelSet } from "../labels/label-set.ts";
import { parsePrefix } from "../net/ip.ts";
import type { Entity } from "../policy-api/types.ts";
import { assertNever } from "../result.ts";
import { requirementsOf, type Requirement } from "../selector/label-selector.ts";
import { isInside, matchesAll } from "../selector/match.ts";
import { equals } from "../translate/rule-form.ts";
import type { Peer, Selector } from "../translate/rule-form.ts";
import { POD_NAMESPACE, POLICY_CLUSTER } from "../translate/well-known-keys.ts";

/** An identity as policy sees it: its number and labels. */
export interface IdentityInfo {
  readonly id: NumericIdentity;
  readonly labels: LabelSet;
}

/**
 * A compiled peer: a canonical key (equal keys select the same identities, so the selector cache
 * shares them) and a predicate over identities. `wildcard` selectors match every identity and
 * become identity-0 entries in the map state.
 */
export interface PeerSelector {
  readonly key: string;
  readonly wildcard: boolean;
  /** Why this peer cannot be decided by membrane yet, when so (e.g. cloud groups). */
  readonly unsupported: string | null;
  /** When every selected identity must be a pod of one of these namespaces: an index hint for the selector cache. */
  readonly namespaces: readonly string[] | null;
  matches(identity: IdentityInfo): boolean;
}

/** What compiling peers needs from the cluster and the agent settings. */
export interface PeerContext {
  readonly clusterName: string;
  readonly dualStack: boolean;
  readonly services: readonly Service[];
  /** Under "kubernetes", pod and node identities carry `cidr:` labels and `/0` matches them too. */
  readonly semantics: "cilium" | "kubernetes";
}

const reservedReq = (key: string): Requirement => ({ key: { source: SOURCE.reserved, key }, operator: "Exists", values: [] });

/** The selectors of each entity (cilium/cilium pkg/policy/api/entity.go, `policy-semantics.md` §5.5). */
function entitySelectors(entity: Entity, clusterName: string): Requirement[][] {
  switch (entity) {
    case "all":
      return [[]];
    case "world":
      return [[reservedReq("world")], [reservedReq("world-ipv4")], [reservedReq("world-ipv6")]];
    case "cluster":
      return [
        ...["host", "remote-node", "init", "ingress", "health", "unmanaged", "kube-apiserver"].map((k) => [reservedReq(k)]),
        [equals(POLICY_CLUSTER, clusterName)],
      ];
    default:
      return [[reservedReq(entity)]];
  }
}

function showReqs(reqs: readonly Requirement[]): string {
  return reqs
    .map((r) => `${r.key.source}:${r.key.key} ${r.operator} ${r.values.join(",")}`)
    .sort()
    .join("&");
}

function fromRequirements(key: string, reqs: readonly Requirement[]): PeerSelector {
  return {
    key,
    wildcard: reqs.length === 0,
    unsupported: null,
    namespaces: namespacesOf(reqs),
    matches: (i) => matchesAll(reqs, i.labels),
  };
}

/** The namespaces an `In` requirement on the pod namespace limits a selector to, if any. */
export function namespacesOf(reqs: readonly Requirement[]): readonly string[] | null {
  const r = reqs.find(
    (x) => x.operator === "In" && x.key.key === POD_NAMESPACE.key && (x.key.source === SOURCE.k8s || x.key.source === SOURCE.any),
  );
  return r === undefined ? null : r.values;
}

function union(key: string, parts: readonly PeerSelector[]): PeerSelector {
  if (parts.length === 1) return { ...parts[0]!, key };
  return {
    key,
    wildcard: parts.some((p) => p.wildcard),
    unsupported: parts.find((p) => p.unsupported !== null)?.unsupported ?? null,
    namespaces: parts.every((p) => p.namespaces !== null) ? parts.flatMap((p) => p.namespaces!) : null,
    matches: (i) => parts.some((p) => p.matches(i)),
  };
}

const NOTHING = (key: string, unsupported: string | null): PeerSelector => ({
  key,
  wildcard: false,
  unsupported,
  namespaces: [],
  matches: () => false,
});

/** Compiles a CIDR peer: identities with a `cidr:` label inside `cidr` and none inside an except. */
function cidrSelector(cidr: string, except: readonly string[], ctx: PeerContext): PeerSelector {
  const key = `cidr:${cidr}${except.length ? `!${[...except].sort().join(",")}` : ""}`;
  const outer = parsePrefix(cidr)!;
  if (outer.bits === 0 && ctx.semantics === "cilium") {
    // A zero-length prefix becomes the world label of its family (pkg/labels/cidr.go).
    const world = ctx.dualStack ? (outer.addr.family === 4 ? "world-ipv4" : "world-ipv6") : "world";
    return fromRequirements(key, [reservedReq(world)]);
  }
  const excepts = except.map((e) => parsePrefix(e)!);
  const worldOfFamily = outer.addr.family === 4 ? "world-ipv4" : "world-ipv6";
  return {
    key,
    wildcard: false,
    unsupported: null,
    namespaces: null,
    matches: (i) => {
      if (outer.bits === 0 && (i.labels.has("reserved", "world") || i.labels.has("reserved", worldOfFamily))) return true;
      const prefixes = i.labels.cidrPrefixes();
      return prefixes.some((p) => isInside(p, outer)) && !prefixes.some((p) => excepts.some((e) => isInside(p, e)));
    },
  };
}

/** Compiles one peer of the internal rule form. */
export function compilePeer(peer: Peer, ctx: PeerContext, requires: readonly Selector[] = []): PeerSelector {
  switch (peer.kind) {
    case "any":
      return fromRequirements("*", []);
    case "selector": {
      const reqs = [...peer.selector.requirements, ...requires.flatMap((s) => s.requirements)];
      return fromRequirements(`sel:${showReqs(reqs)}`, reqs);
    }
    case "nodes":
      return fromRequirements(`nodes:${showReqs(peer.selector.requirements)}`, peer.selector.requirements);
    case "cidr":
      return cidrSelector(peer.cidr, peer.except, ctx);
    case "entity": {
      const parts = entitySelectors(peer.entity, ctx.clusterName).map((reqs) => fromRequirements(`sel:${showReqs(reqs)}`, reqs));
      return union(`entity:${peer.entity}`, parts);
    }
    case "fqdn": {
      const text = peer.fqdn.kind === "matchName" ? peer.fqdn.matchName : peer.fqdn.matchPattern;
      return fromRequirements(`fqdn:${text}`, [{ key: { source: SOURCE.fqdn, key: text }, operator: "Exists", values: [] }]);
    }
    case "service":
      return serviceSelector(peer.service, ctx);
    case "cidrGroup":
      return NOTHING(`cidrgroup:${JSON.stringify(peer.rule)}`, "CiliumCIDRGroup objects are not read by membrane yet");
    case "group":
      return NOTHING(`group:${JSON.stringify(peer.group.aws)}`, "cloud provider groups (toGroups/fromGroups) cannot be resolved offline");
    default:
      return assertNever(peer);
  }
}

/**
 * toServices (cilium/cilium pkg/policy/k8s/service.go, `policy-semantics.md` §4.3): a service with a
 * selector selects its pods (selector keys of any source, in the service's namespace, local
 * cluster); one without selects its backend addresses as /32 or /128 CIDRs. An empty namespace
 * matches services of that name in every namespace.
 */
function serviceSelector(svc: Extract<Peer, { kind: "service" }>["service"], ctx: PeerContext): PeerSelector {
  const wanted = ctx.services.filter((s) => {
    if (svc.namespace !== null && s.namespace !== svc.namespace) return false;
    if (svc.kind === "k8sService") return s.name === svc.serviceName;
    return matchesAll(requirementsOf(svc.selector), LabelSet.of([...s.labels].map(([key, value]) => ({ source: SOURCE.k8s, key, value }))));
  });
  const parts = wanted.map((s) => {
    if (s.selector !== null) {
      const reqs = [
        ...[...s.selector].map(([key, value]) => equals({ source: SOURCE.any, key }, value)),
        equals(POD_NAMESPACE, s.namespace),
        equals(POLICY_CLUSTER, ctx.clusterName),
      ];
      return fromRequirements(`sel:${showReqs(reqs)}`, reqs);
    }
    return union(
      `svc-backends:${s.namespace}/${s.name}`,
      s.endpointAddresses.map((ip) => cidrSelector(`${ip}/${ip.includes(":") ? 128 : 32}`, [], ctx)),
    );
  });
  const key = `svc:${svc.kind === "k8sService" ? svc.serviceName : showReqs(requirementsOf(svc.selector))}@${svc.namespace ?? "*"}=>${parts.map((p) => p.key).join("|")}`;
  return parts.length === 0 ? NOTHING(key, null) : union(key, parts);
}
