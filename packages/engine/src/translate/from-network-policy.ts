import { SOURCE } from "../labels/label.ts";
import type { NetworkPolicyPeer, NetworkPolicyRule, Policy } from "../policy-api/types.ts";
import { requirementsOf, type LabelSelector, type Requirement } from "../selector/label-selector.ts";
import { originOf } from "./origin.ts";
import { equals, exists, type Peer, type PortRuleForm, type RuleEntry, type Selector, type TranslationOptions } from "./rule-form.ts";
import { withLocalCluster } from "./scoping.ts";
import { NAMESPACE_LABELS_PREFIX, POD_NAMESPACE } from "./well-known-keys.ts";

type NetworkPolicy = Extract<Policy, { kind: "NetworkPolicy" }>;

/**
 * Translates a Kubernetes NetworkPolicy the way Cilium does (pkg/k8s/network_policy.go,
 * `policy-semantics.md` §3): every key means a `k8s` label, an item without peers admits every
 * identity, a port without protocol is TCP, and policyTypes only ever adds default deny.
 */
export function translateNetworkPolicy(policy: NetworkPolicy, options: TranslationOptions): RuleEntry[] {
  const ns = policy.meta.namespace ?? "default";
  const spec = policy.spec;
  const subject = {
    kind: "endpoints" as const,
    selector: { requirements: [...requirementsOf(spec.podSelector), equals(POD_NAMESPACE, ns)] },
  };
  const entry = (
    direction: "ingress" | "egress",
    peers: Peer[],
    ports: RuleEntry["ports"],
    at: Pick<NetworkPolicyRule, "path" | "pos">,
  ): RuleEntry => ({
    subject,
    direction,
    deny: false,
    defaultDeny: true,
    peers,
    requires: [],
    ports,
    authentication: null,
    origin: originOf(policy, 0, at.path, at.pos, [], null),
  });
  const items = (direction: "ingress" | "egress"): RuleEntry[] =>
    spec[direction].map((item) => entry(direction, peersOf(item, direction, ns, options), portsOf(item), item));
  const out = [...items("ingress"), ...items("egress")];
  const types = spec.policyTypes ?? [];
  const at = { path: ["spec"], pos: policy.source.pos };
  // §3.5: policyTypes never removes rules; it only adds a peerless entry that switches on default deny.
  if (spec.ingress.length === 0 && (types.includes("Ingress") || !types.includes("Egress"))) out.push(entry("ingress", [], "all", at));
  if (spec.egress.length === 0 && types.includes("Egress")) out.push(entry("egress", [], "all", at));
  return out;
}

function peersOf(item: NetworkPolicyRule, direction: "ingress" | "egress", ns: string, options: TranslationOptions): Peer[] {
  if (item.peers.length === 0) return [{ kind: "any" }];
  return item.peers.flatMap((p) => peerOf(p, direction, ns, options));
}

function peerOf(p: NetworkPolicyPeer, direction: "ingress" | "egress", ns: string, options: TranslationOptions): Peer[] {
  if (p.kind === "ipBlock") {
    const cidr: Peer = { kind: "cidr", cidr: p.cidr, except: p.except };
    // E51: Cilium main builds the pod part of an ingress peer even for a bare ipBlock, pinned to ns.
    if (direction === "ingress" && options.ipBlockIngressQuirk && options.policyDefaultLocalCluster) {
      return [cidr, { kind: "selector", selector: withLocalCluster([equals(POD_NAMESPACE, ns)], options) }];
    }
    return [cidr];
  }
  return [{ kind: "selector", selector: selectorPeer(p.podSelector, p.namespaceSelector, ns, options) }];
}

/**
 * podSelector alone: pods of the policy's namespace. With a namespaceSelector: its keys become
 * namespace-label keys (`{}` means "any pod namespace") and the podSelector is ANDed in unpinned.
 */
function selectorPeer(pod: LabelSelector | null, namespace: LabelSelector | null, ns: string, options: TranslationOptions): Selector {
  const podReqs = pod === null ? [] : requirementsOf(pod);
  if (namespace === null) return withLocalCluster([...podReqs, equals(POD_NAMESPACE, ns)], options);
  const nsReqs = requirementsOf(namespace);
  const nsPart: Requirement[] =
    nsReqs.length === 0
      ? [exists(POD_NAMESPACE)]
      : nsReqs.map((r) => ({ ...r, key: { source: SOURCE.k8s, key: `${NAMESPACE_LABELS_PREFIX}${r.key.key}` } }));
  return withLocalCluster([...podReqs, ...nsPart], options);
}

/** Each NP port is its own port rule; no ports at all is L3-only (every protocol). */
function portsOf(item: NetworkPolicyRule): PortRuleForm[] | "all" {
  if (item.ports.length === 0) return "all";
  return item.ports.map((p) => ({
    ports: [{ port: p.port ?? { kind: "number", port: 0 }, endPort: p.endPort, protocol: p.protocol }],
    l7: null,
    serverNames: [],
    terminatingTLS: null,
    originatingTLS: null,
    listener: null,
  }));
}
