import type { LabelSelector } from "../selector/label-selector.ts";
import type { Position } from "../source/node.ts";
import type { PathSegment } from "../source/problem.ts";

/**
 * The typed policy API: NetworkPolicy (networking.k8s.io/v1), CiliumNetworkPolicy and
 * CiliumClusterwideNetworkPolicy (cilium.io/v2), as they read after validation. Field names follow
 * the YAML; where the YAML allows only one of several fields, the type is a union keyed on `kind`.
 * `null` always means "the field was left out", which Cilium distinguishes from an empty list.
 */

/** The three policy kinds. */
export type PolicyKind = "NetworkPolicy" | "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy";

/** Where a piece of a policy was written. */
export interface SourceRef {
  readonly file: string;
  readonly document: number;
  readonly path: readonly PathSegment[];
  readonly pos: Position;
}

/** Object metadata membrane reads. `namespace` is null for cluster-scoped objects. */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace: string | null;
  readonly uid: string | null;
  readonly labels: ReadonlyMap<string, string>;
  readonly annotations: ReadonlyMap<string, string>;
}

// ---------------------------------------------------------------- ports and protocols

/** An L4 protocol of a Cilium port rule (`ANY` covers TCP, UDP and SCTP). */
export type PortProtocolName = "TCP" | "UDP" | "SCTP" | "VRRP" | "IGMP" | "ANY";

/** A port as written: a number (0 = all ports) or an IANA service name (lowercased). */
export type PortRef = { readonly kind: "number"; readonly port: number } | { readonly kind: "named"; readonly name: string };

/** One `{port, endPort, protocol}` of a Cilium port rule. `port` is null when left empty. */
export interface PortProtocol {
  readonly port: PortRef | null;
  readonly endPort: number | null;
  readonly protocol: PortProtocolName;
  readonly pos: Position;
}

/** An HTTP header match with its mismatch action (`null` = the request fails to match). */
export interface HeaderMatch {
  readonly name: string;
  readonly value: string | null;
  readonly secret: SecretRef | null;
  readonly mismatch: "LOG" | "ADD" | "DELETE" | "REPLACE" | null;
}

/** A reference to a Kubernetes secret. */
export interface SecretRef {
  readonly namespace: string | null;
  readonly name: string;
}

/** One HTTP rule: every set field must match (regexes are RE2 full matches). */
export interface HttpRule {
  readonly method: string | null;
  readonly path: string | null;
  readonly host: string | null;
  readonly headers: readonly string[];
  readonly headerMatches: readonly HeaderMatch[];
  readonly pos: Position;
}

/** One Kafka rule. `apiKeys` is the expansion of `role` or `apiKey` (empty = every key). */
export interface KafkaRule {
  readonly role: "produce" | "consume" | null;
  readonly apiKey: string | null;
  readonly apiKeys: readonly number[];
  readonly apiVersion: number | null;
  readonly clientID: string | null;
  readonly topic: string | null;
  readonly pos: Position;
}

/** A DNS name matcher: exact name or a pattern with `*` (toFQDNs and DNS rules alike). */
export type FqdnSelector =
  | { readonly kind: "matchName"; readonly matchName: string; readonly pos: Position }
  | { readonly kind: "matchPattern"; readonly matchPattern: string; readonly pos: Position };

/** The L7 rules of a port rule: exactly one protocol. */
export type L7Rules =
  | { readonly kind: "http"; readonly rules: readonly HttpRule[] }
  | { readonly kind: "kafka"; readonly rules: readonly KafkaRule[] }
  | { readonly kind: "dns"; readonly rules: readonly FqdnSelector[] }
  | { readonly kind: "l7proto"; readonly l7proto: string; readonly rules: readonly ReadonlyMap<string, string>[] };

/** A TLS context for TLS interception. */
export interface TlsContext {
  readonly secret: SecretRef;
  readonly trustedCA: string | null;
  readonly certificate: string | null;
  readonly privateKey: string | null;
}

/** A custom Envoy listener reference. */
export interface ListenerRef {
  readonly envoyConfig: { readonly kind: "CiliumEnvoyConfig" | "CiliumClusterwideEnvoyConfig"; readonly name: string };
  readonly name: string;
  readonly priority: number | null;
}

/** A port rule of an allow section: ports plus optional L7, SNI, TLS and listener. */
export interface PortRule {
  readonly ports: readonly PortProtocol[];
  readonly rules: L7Rules | null;
  readonly serverNames: readonly string[];
  readonly terminatingTLS: TlsContext | null;
  readonly originatingTLS: TlsContext | null;
  readonly listener: ListenerRef | null;
  readonly pos: Position;
}

/** A port rule of a deny section: ports only. */
export interface PortDenyRule {
  readonly ports: readonly PortProtocol[];
  readonly pos: Position;
}

/** One ICMP field: the type is matched like a port. */
export interface IcmpField {
  readonly family: "IPv4" | "IPv6";
  readonly type: number;
  readonly pos: Position;
}

/** An `icmps` item. */
export interface IcmpRule {
  readonly fields: readonly IcmpField[];
  readonly pos: Position;
}

// ---------------------------------------------------------------- peers

/** Cilium's entity names (`pkg/policy/api/entity.go`). */
export type Entity =
  | "all"
  | "world"
  | "world-ipv4"
  | "world-ipv6"
  | "cluster"
  | "host"
  | "init"
  | "ingress"
  | "unmanaged"
  | "remote-node"
  | "health"
  | "none"
  | "kube-apiserver";

/** A prefix in canonical form (address masked to its length), e.g. `10.0.0.0/8`, `2001:db8::/32`. */
export type Cidr = string & { readonly __brand: "Cidr" };

/** One `fromCIDRSet`/`toCIDRSet` item: exactly one way of naming the prefixes, plus excepts. */
export type CidrRule =
  | { readonly kind: "cidr"; readonly cidr: Cidr; readonly except: readonly Cidr[]; readonly pos: Position }
  | { readonly kind: "cidrGroupRef"; readonly cidrGroupRef: string; readonly except: readonly Cidr[]; readonly pos: Position }
  | {
      readonly kind: "cidrGroupSelector";
      readonly cidrGroupSelector: LabelSelector;
      readonly except: readonly Cidr[];
      readonly pos: Position;
    };

/** A `toServices` item. `namespace` null means any namespace (Cilium does not default it). */
export type ServiceSelector =
  | { readonly kind: "k8sService"; readonly serviceName: string; readonly namespace: string | null; readonly pos: Position }
  | {
      readonly kind: "k8sServiceSelector";
      readonly selector: LabelSelector;
      readonly namespace: string | null;
      readonly pos: Position;
    };

/** A cloud provider group (AWS security groups); membrane validates it but cannot resolve it. */
export interface Group {
  readonly aws: {
    readonly labels: ReadonlyMap<string, string>;
    readonly securityGroupsIds: readonly string[];
    readonly securityGroupsNames: readonly string[];
    readonly region: string | null;
  };
  readonly pos: Position;
}

/** The single peer kind of an ingress item (Cilium rejects combining two kinds in one item). */
export type IngressPeer =
  | { readonly kind: "endpoints"; readonly selectors: readonly LabelSelector[] }
  | { readonly kind: "cidr"; readonly cidrs: readonly Cidr[] }
  | { readonly kind: "cidrSet"; readonly rules: readonly CidrRule[] }
  | { readonly kind: "entities"; readonly entities: readonly Entity[] }
  | { readonly kind: "nodes"; readonly selectors: readonly LabelSelector[] }
  | { readonly kind: "groups"; readonly groups: readonly Group[] };

/** The single peer kind of an egress item. */
export type EgressPeer =
  | IngressPeer
  | { readonly kind: "services"; readonly services: readonly ServiceSelector[] }
  | { readonly kind: "fqdns"; readonly fqdns: readonly FqdnSelector[] };

/** Mutual authentication mode of an allow item. */
export type AuthenticationMode = "disabled" | "required" | "test-always-fail";

/** The direction-independent shape of one item of `ingress`, `ingressDeny`, `egress` or `egressDeny`. */
interface SectionItem<P> {
  /** The peer kind, or null when no peer field was written (then any peer). */
  readonly peer: P | null;
  /** `fromRequires`/`toRequires` (Cilium ≤ 1.18), null when left out. */
  readonly requires: readonly LabelSelector[] | null;
  readonly icmps: readonly IcmpRule[] | null;
  readonly pos: Position;
  readonly path: readonly PathSegment[];
}

/** An `ingress` item. */
export interface IngressRule extends SectionItem<IngressPeer> {
  readonly toPorts: readonly PortRule[] | null;
  readonly authentication: AuthenticationMode | null;
}

/** An `ingressDeny` item. */
export interface IngressDenyRule extends SectionItem<IngressPeer> {
  readonly toPorts: readonly PortDenyRule[] | null;
}

/** An `egress` item. */
export interface EgressRule extends SectionItem<EgressPeer> {
  readonly toPorts: readonly PortRule[] | null;
  readonly authentication: AuthenticationMode | null;
}

/** An `egressDeny` item. */
export interface EgressDenyRule extends SectionItem<
  IngressPeer | { readonly kind: "services"; readonly services: readonly ServiceSelector[] }
> {
  readonly toPorts: readonly PortDenyRule[] | null;
}

/** A user label on a rule (metadata only). */
export interface RuleLabel {
  readonly key: string;
  readonly value: string;
  readonly source: string;
}

/** Which workloads a Cilium rule applies to. */
export type Subject =
  { readonly kind: "endpoints"; readonly selector: LabelSelector } | { readonly kind: "nodes"; readonly selector: LabelSelector };

/** One Cilium rule (`spec` or an item of `specs`). */
export interface CiliumRule {
  readonly subject: Subject;
  readonly ingress: readonly IngressRule[];
  readonly ingressDeny: readonly IngressDenyRule[];
  readonly egress: readonly EgressRule[];
  readonly egressDeny: readonly EgressDenyRule[];
  readonly enableDefaultDeny: { readonly ingress: boolean | null; readonly egress: boolean | null };
  readonly labels: readonly RuleLabel[];
  readonly description: string | null;
  readonly log: string | null;
  readonly source: SourceRef;
}

// ---------------------------------------------------------------- Kubernetes NetworkPolicy

/** An L4 protocol of a Kubernetes NetworkPolicy port (default TCP). */
export type NetworkPolicyProtocol = "TCP" | "UDP" | "SCTP";

/** A NetworkPolicy port: `port` null means every port of the protocol. */
export interface NetworkPolicyPort {
  readonly protocol: NetworkPolicyProtocol;
  readonly port: PortRef | null;
  readonly endPort: number | null;
  readonly pos: Position;
}

/** A NetworkPolicy peer: selectors (either or both) or an ipBlock. */
export type NetworkPolicyPeer =
  | {
      readonly kind: "selectors";
      readonly podSelector: LabelSelector | null;
      readonly namespaceSelector: LabelSelector | null;
      readonly pos: Position;
    }
  | { readonly kind: "ipBlock"; readonly cidr: Cidr; readonly except: readonly Cidr[]; readonly pos: Position };

/** A NetworkPolicy ingress or egress item; `peers` null when `from`/`to` was left out or empty. */
export interface NetworkPolicyRule {
  readonly peers: readonly NetworkPolicyPeer[];
  readonly ports: readonly NetworkPolicyPort[];
  readonly pos: Position;
  readonly path: readonly PathSegment[];
}

/** The spec of a Kubernetes NetworkPolicy. */
export interface NetworkPolicySpec {
  readonly podSelector: LabelSelector;
  readonly policyTypes: readonly ("Ingress" | "Egress")[] | null;
  readonly ingress: readonly NetworkPolicyRule[];
  readonly egress: readonly NetworkPolicyRule[];
}

// ---------------------------------------------------------------- policies

/** A validated policy object of any of the three kinds. */
export type Policy =
  | { readonly kind: "NetworkPolicy"; readonly meta: ObjectMeta; readonly spec: NetworkPolicySpec; readonly source: SourceRef }
  | { readonly kind: "CiliumNetworkPolicy"; readonly meta: ObjectMeta; readonly rules: readonly CiliumRule[]; readonly source: SourceRef }
  | {
      readonly kind: "CiliumClusterwideNetworkPolicy";
      readonly meta: ObjectMeta;
      readonly rules: readonly CiliumRule[];
      readonly source: SourceRef;
    };
