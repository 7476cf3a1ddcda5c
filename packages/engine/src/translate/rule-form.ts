import type { SourcedKey } from "../labels/label.ts";
import type { Requirement } from "../selector/label-selector.ts";
import type { Position } from "../source/node.ts";
import type { PathSegment } from "../source/problem.ts";
import type {
  AuthenticationMode,
  Cidr,
  CidrRule,
  Entity,
  FqdnSelector,
  Group,
  L7Rules,
  ListenerRef,
  PolicyKind,
  PortRef,
  ServiceSelector,
  TlsContext,
} from "../policy-api/types.ts";

/**
 * The one internal rule form every policy kind is translated into (Cilium's PolicyEntry): a
 * subject, a direction, allow or deny, the peers and the port rules, and where it came from.
 * NetworkPolicy translation follows `policy-semantics.md` §3, CNP/CCNP scoping §4.
 */

/** An ANDed list of requirements on sourced labels; the empty list selects every identity. */
export interface Selector {
  readonly requirements: readonly Requirement[];
}

/** A requirement helper: `source:key In (value)`. */
export function equals(key: SourcedKey, value: string): Requirement {
  return { key, operator: "In", values: [value] };
}

/** A requirement helper: `source:key Exists`. */
export function exists(key: SourcedKey): Requirement {
  return { key, operator: "Exists", values: [] };
}

/** The workloads an entry applies to: endpoints by identity labels, or nodes (host policy). */
export type SubjectSelector =
  { readonly kind: "endpoints"; readonly selector: Selector } | { readonly kind: "nodes"; readonly selector: Selector };

/** One peer of an entry, after namespace and cluster scoping. */
export type Peer =
  | { readonly kind: "any" }
  | { readonly kind: "selector"; readonly selector: Selector }
  | { readonly kind: "cidr"; readonly cidr: Cidr; readonly except: readonly Cidr[] }
  | { readonly kind: "cidrGroup"; readonly rule: Exclude<CidrRule, { kind: "cidr" }> }
  | { readonly kind: "entity"; readonly entity: Entity }
  | { readonly kind: "nodes"; readonly selector: Selector }
  | { readonly kind: "fqdn"; readonly fqdn: FqdnSelector }
  | { readonly kind: "service"; readonly service: ServiceSelector }
  | { readonly kind: "group"; readonly group: Group };

/** L4 protocols of the internal form; ICMP types travel as the port (Cilium does the same). */
export type L4Protocol = "TCP" | "UDP" | "SCTP" | "ANY" | "ICMP" | "ICMPv6" | "VRRP" | "IGMP";

/** One port or range. `port` 0 means every port; `endPort` null or ≤ port means a single port. */
export interface PortSpec {
  readonly port: PortRef;
  readonly endPort: number | null;
  readonly protocol: L4Protocol;
}

/** A port rule of the internal form, with the L7 and TLS settings of an allow. */
export interface PortRuleForm {
  readonly ports: readonly PortSpec[];
  readonly l7: L7Rules | null;
  readonly serverNames: readonly string[];
  readonly terminatingTLS: TlsContext | null;
  readonly originatingTLS: TlsContext | null;
  readonly listener: ListenerRef | null;
}

/** Where an entry came from, for "derived from" in maps, verdicts and flows. */
export interface RuleOrigin {
  readonly policyKind: PolicyKind;
  readonly namespace: string | null;
  readonly name: string;
  /** Index of the rule in the policy: `spec` first, then each `specs` item. NPs have one rule. */
  readonly ruleIndex: number;
  readonly file: string;
  readonly document: number;
  readonly path: readonly PathSegment[];
  readonly pos: Position;
  /** Cilium's derived-from labels (`k8s:io.cilium.k8s.policy.name=…`, …) then the user's labels. */
  readonly labels: readonly string[];
  readonly log: string | null;
}

/**
 * One entry: an item of ingress/ingressDeny/egress/egressDeny (or an NP rule item). `ports` is
 * `"all"` for an L3-only entry (every protocol, ICMP included); an empty `peers` selects nothing.
 */
export interface RuleEntry {
  readonly subject: SubjectSelector;
  readonly direction: "ingress" | "egress";
  readonly deny: boolean;
  readonly defaultDeny: boolean;
  readonly peers: readonly Peer[];
  /** `fromRequires`/`toRequires` after scoping (Cilium ≤ 1.18), ANDed into endpoint peers by the engine. */
  readonly requires: readonly Selector[];
  readonly ports: readonly PortRuleForm[] | "all";
  readonly authentication: AuthenticationMode | null;
  readonly origin: RuleOrigin;
}

/** Settings that shape translation (`policy-semantics.md` §0). */
export interface TranslationOptions {
  /** The local cluster's name (`cluster-name`, default `default`). */
  readonly clusterName: string;
  /** `policy-default-local-cluster` (main: true): peer selectors are limited to the local cluster. */
  readonly policyDefaultLocalCluster: boolean;
  /**
   * Reproduce Cilium main's NetworkPolicy ingress ipBlock quirk (E51): an ipBlock-only ingress peer
   * also admits every pod of the policy's namespace. Off by default (upstream intent; 1.18).
   */
  readonly ipBlockIngressQuirk: boolean;
}

/** Cilium main's defaults, with the E51 quirk off. */
export const DEFAULT_TRANSLATION_OPTIONS: TranslationOptions = {
  clusterName: "default",
  policyDefaultLocalCluster: true,
  ipBlockIngressQuirk: false,
};
