/**
 * Accept/reject cases for every validation rule: V1–V37 of `../shared/spec/policy-semantics.md`
 * §2, the CRD schema, and the API server's NetworkPolicy validation. Kept as data so the property
 * test can mutate them too. `reject` names the problem code and the kubectl-style path expected.
 */

export interface ValidationCase {
  readonly name: string;
  readonly doc: unknown;
  readonly expect: "valid" | { readonly code: string; readonly path: string; readonly severity?: "warning" };
  readonly options?: Readonly<Record<string, boolean>>;
}

export const cnp = (spec: unknown, extra: Record<string, unknown> = {}): unknown => ({
  apiVersion: "cilium.io/v2",
  kind: "CiliumNetworkPolicy",
  metadata: { name: "p", namespace: "ns" },
  spec,
  ...extra,
});
export const ccnp = (spec: unknown): unknown => ({
  apiVersion: "cilium.io/v2",
  kind: "CiliumClusterwideNetworkPolicy",
  metadata: { name: "c" },
  spec,
});
export const np = (spec: unknown): unknown => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "n", namespace: "ns" },
  spec,
});
const sel = { matchLabels: { app: "a" } };
const ing = (item: unknown): unknown => cnp({ endpointSelector: sel, ingress: [item] });
const egr = (item: unknown): unknown => cnp({ endpointSelector: sel, egress: [item] });
const port = (p: Record<string, unknown>, rules?: unknown): unknown => ({ ports: [p], ...(rules === undefined ? {} : { rules }) });
const http = { http: [{ method: "GET", path: "/public" }] };

export const VALIDATION_CASES: readonly ValidationCase[] = [
  // ---- accepted shapes
  { name: "minimal CNP", doc: ing({ fromEndpoints: [sel] }), expect: "valid" },
  {
    name: "CNP with specs only",
    doc: cnp(undefined, { spec: undefined, specs: [{ endpointSelector: {}, egress: [{}] }] }),
    expect: "valid",
  },
  { name: "CCNP with nodeSelector", doc: ccnp({ nodeSelector: {}, ingress: [{ fromEntities: ["cluster"] }] }), expect: "valid" },
  { name: "HTTP on TCP", doc: ing({ toPorts: [port({ port: "80", protocol: "TCP" }, http)] }), expect: "valid" },
  {
    name: "DNS on ANY egress",
    doc: egr({ toPorts: [port({ port: "53", protocol: "ANY" }, { dns: [{ matchPattern: "*.example.com" }] })] }),
    expect: "valid",
  },
  {
    name: "V17 DNS on UDP",
    doc: egr({ toPorts: [port({ port: "53", protocol: "UDP" }, { dns: [{ matchName: "example.com" }] })] }),
    expect: "valid",
  },
  {
    name: "V19 DNS on port 5353",
    doc: egr({ toPorts: [port({ port: "5353", protocol: "UDP" }, { dns: [{ matchName: "x.io" }] })] }),
    expect: "valid",
  },
  {
    name: "V7 peer with toPorts",
    doc: egr({ toCIDR: ["10.0.0.0/8"], toPorts: [port({ port: "443", protocol: "TCP" })] }),
    expect: "valid",
  },
  { name: "port range", doc: ing({ toPorts: [port({ port: "8000", endPort: 9000, protocol: "TCP" })] }), expect: "valid" },
  { name: "endPort below port is a single port", doc: ing({ toPorts: [port({ port: "80", endPort: 10 })] }), expect: "valid" },
  { name: "E49 octal port", doc: ing({ toPorts: [port({ port: "010" })] }), expect: "valid" },
  { name: "E49 0x50 is a named port", doc: ing({ toPorts: [port({ port: "0x50" })] }), expect: "valid" },
  { name: "named port", doc: ing({ toPorts: [port({ port: "http-alt", protocol: "TCP" })] }), expect: "valid" },
  {
    name: "kafka role",
    doc: ing({ toPorts: [port({ port: "9092", protocol: "TCP" }, { kafka: [{ role: "produce", topic: "payments" }] })] }),
    expect: "valid",
  },
  {
    name: "l7proto with l7",
    doc: ing({ toPorts: [port({ port: "80", protocol: "TCP" }, { l7proto: "r2d2", l7: [{ cmd: "READ" }] })] }),
    expect: "valid",
  },
  { name: "icmps by name", doc: ing({ icmps: [{ fields: [{ type: "EchoRequest" }, { family: "IPv6", type: 128 }] }] }), expect: "valid" },
  { name: "fromCIDRSet with except", doc: ing({ fromCIDRSet: [{ cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] }] }), expect: "valid" },
  { name: "V34 except checks address only", doc: ing({ fromCIDRSet: [{ cidr: "10.0.0.0/16", except: ["10.0.0.0/8"] }] }), expect: "valid" },
  { name: "V34 non-canonical prefix is masked", doc: ing({ fromCIDRSet: [{ cidr: "10.0.0.1/8" }] }), expect: "valid" },
  { name: "toServices", doc: egr({ toServices: [{ k8sService: { serviceName: "db", namespace: "x" } }] }), expect: "valid" },
  {
    name: "toFQDNs with ports",
    doc: egr({ toFQDNs: [{ matchName: "api.example.com" }], toPorts: [port({ port: "443", protocol: "TCP" })] }),
    expect: "valid",
  },
  {
    name: "deny sections",
    doc: cnp({
      endpointSelector: {},
      ingressDeny: [{ fromEntities: ["world"] }],
      egressDeny: [{ toPorts: [{ ports: [{ port: "25" }] }] }],
    }),
    expect: "valid",
  },
  {
    name: "serverNames",
    doc: egr({ toPorts: [{ ports: [{ port: "443", protocol: "TCP" }], serverNames: ["*.example.com", "**.cilium.io"] }] }),
    expect: "valid",
  },
  {
    name: "selector key with source",
    doc: ing({ fromEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "kube-system", "k8s-app": "kube-dns" } }] }),
    expect: "valid",
  },
  { name: "reserved selector", doc: ing({ fromEndpoints: [{ matchLabels: { "reserved:host": "" } }] }), expect: "valid" },
  { name: "fromNodes with the option", doc: ing({ fromNodes: [sel] }), options: { enableNodeSelectorLabels: true }, expect: "valid" },
  { name: "empty peer list is valid (selects nothing)", doc: ing({ fromEndpoints: [], toPorts: [port({ port: "80" })] }), expect: "valid" },
  { name: "NP minimal", doc: np({ podSelector: {}, policyTypes: ["Ingress", "Egress"] }), expect: "valid" },
  {
    name: "NP full",
    doc: np({
      podSelector: sel,
      ingress: [
        {
          from: [{ namespaceSelector: {}, podSelector: sel }, { ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }],
          ports: [{ port: 5432 }, { port: "http", protocol: "UDP" }, { port: 8000, endPort: 9000 }],
        },
      ],
    }),
    expect: "valid",
  },
  // ---- V1–V37
  { name: "V1 no sections", doc: cnp({ endpointSelector: sel }), expect: { code: "cilium.rule-empty", path: "spec" } },
  { name: "V1 only empty sections", doc: cnp({ endpointSelector: sel, ingress: [] }), expect: { code: "cilium.rule-empty", path: "spec" } },
  { name: "V2 no selector", doc: cnp({ ingress: [{}] }), expect: { code: "cilium.selector-missing", path: "spec" } },
  {
    name: "V2 both selectors",
    doc: ccnp({ endpointSelector: {}, nodeSelector: {}, ingress: [{}] }),
    expect: { code: "cilium.selector-both", path: "spec.nodeSelector" },
  },
  {
    name: "V3 nodeSelector in CNP",
    doc: cnp({ nodeSelector: {}, ingress: [{}] }),
    expect: { code: "cilium.node-selector-namespaced", path: "spec.nodeSelector" },
  },
  {
    name: "V4 bad operator",
    doc: ing({ fromEndpoints: [{ matchExpressions: [{ key: "a", operator: "Has" }] }] }),
    expect: { code: "schema.enum", path: "spec.ingress[0].fromEndpoints[0].matchExpressions[0].operator" },
  },
  {
    name: "V4 In without values",
    doc: ing({ fromEndpoints: [{ matchExpressions: [{ key: "a", operator: "In" }] }] }),
    expect: { code: "selector.values", path: "spec.ingress[0].fromEndpoints[0].matchExpressions[0].values" },
  },
  {
    name: "V4 Exists with values",
    doc: ing({ fromEndpoints: [{ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }] }),
    expect: { code: "selector.values", path: "spec.ingress[0].fromEndpoints[0].matchExpressions[0].values" },
  },
  {
    name: "V4 bad label value",
    doc: ing({ fromEndpoints: [{ matchLabels: { app: "-bad" } }] }),
    expect: { code: "selector.value", path: "spec.ingress[0].fromEndpoints[0].matchLabels.app" },
  },
  {
    name: "V4 bad label key",
    doc: ing({ fromEndpoints: [{ matchLabels: { "a b": "x" } }] }),
    expect: { code: "selector.key", path: 'spec.ingress[0].fromEndpoints[0].matchLabels["a b"]' },
  },
  {
    name: "V5 two ingress peer kinds",
    doc: ing({ fromEndpoints: [sel], fromCIDR: ["10.0.0.0/8"] }),
    expect: { code: "cilium.peer-combination", path: "spec.ingress[0]" },
  },
  {
    name: "V5 in deny rules too",
    doc: cnp({ endpointSelector: sel, ingressDeny: [{ fromEntities: ["world"], fromCIDR: ["10.0.0.0/8"] }] }),
    expect: { code: "cilium.peer-combination", path: "spec.ingressDeny[0]" },
  },
  {
    name: "V6 toFQDNs with toEndpoints (E30)",
    doc: egr({ toFQDNs: [{ matchName: "a.io" }], toEndpoints: [sel] }),
    expect: { code: "cilium.peer-combination", path: "spec.egress[0]" },
  },
  {
    name: "V8 icmps with toPorts",
    doc: ing({ toPorts: [port({ port: "80" })], icmps: [{ fields: [{ type: 8 }] }] }),
    expect: { code: "cilium.icmps-with-ports", path: "spec.ingress[0].icmps" },
  },
  {
    name: "V9 icmps disabled",
    doc: ing({ icmps: [{ fields: [{ type: 8 }] }] }),
    options: { enableIcmpRules: false },
    expect: { code: "cilium.icmp-disabled", path: "spec.ingress[0].icmps" },
  },
  {
    name: "V10 too many ports",
    doc: ing({ toPorts: [{ ports: Array.from({ length: 41 }, (_, i) => ({ port: String(i + 1) })) }] }),
    expect: { code: "cilium.too-many-ports", path: "spec.ingress[0].toPorts[0].ports" },
  },
  {
    name: "V10 too many ICMP fields",
    doc: ing({ icmps: [{ fields: Array.from({ length: 41 }, () => ({ type: 8 })) }] }),
    expect: { code: "cilium.too-many-icmp", path: "spec.ingress[0].icmps[0].fields" },
  },
  {
    name: "V11 bad ICMP family",
    doc: ing({ icmps: [{ fields: [{ family: "IPv5", type: 8 }] }] }),
    expect: { code: "schema.enum", path: "spec.ingress[0].icmps[0].fields[0].family" },
  },
  {
    name: "V11 unknown ICMP type name for family",
    doc: ing({ icmps: [{ fields: [{ family: "IPv6", type: "Echo" }] }] }),
    expect: { code: "cilium.icmp-type", path: "spec.ingress[0].icmps[0].fields[0].type" },
  },
  {
    name: "V12 port missing",
    doc: ing({ toPorts: [port({ protocol: "TCP" })] }),
    expect: { code: "cilium.port-required", path: "spec.ingress[0].toPorts[0].ports[0].port" },
  },
  {
    name: "V13 unparsable port",
    doc: ing({ toPorts: [port({ port: "99999" })] }),
    expect: { code: "cilium.port", path: "spec.ingress[0].toPorts[0].ports[0].port" },
  },
  {
    name: "V13 bad octal port",
    doc: ing({ toPorts: [port({ port: "08" })] }),
    expect: { code: "cilium.port", path: "spec.ingress[0].toPorts[0].ports[0].port" },
  },
  {
    name: "CRD port must be a string",
    doc: ing({ toPorts: [port({ port: 80 })] }),
    expect: { code: "schema.type", path: "spec.ingress[0].toPorts[0].ports[0].port" },
  },
  {
    name: "V14 invalid protocol",
    doc: ing({ toPorts: [port({ port: "80", protocol: "ICMP" })] }),
    expect: { code: "schema.enum", path: "spec.ingress[0].toPorts[0].ports[0].protocol" },
  },
  {
    name: "V14 lowercase protocol (CRD enum)",
    doc: ing({ toPorts: [port({ port: "80", protocol: "tcp" })] }),
    expect: { code: "schema.enum", path: "spec.ingress[0].toPorts[0].ports[0].protocol" },
  },
  {
    name: "V15 VRRP with a port",
    doc: ing({ toPorts: [port({ port: "80", protocol: "VRRP" })] }),
    options: { enableExtendedIpProtocols: true },
    expect: { code: "cilium.port", path: "spec.ingress[0].toPorts[0].ports[0].port" },
  },
  {
    name: "V16 L7 on ANY (E14)",
    doc: ing({ toPorts: [port({ port: "80" }, http)] }),
    expect: { code: "cilium.l7-protocol", path: "spec.ingress[0].toPorts[0].ports[0].protocol" },
  },
  {
    name: "V16 L7 on UDP",
    doc: ing({ toPorts: [port({ port: "80", protocol: "UDP" }, http)] }),
    expect: { code: "cilium.l7-protocol", path: "spec.ingress[0].toPorts[0].ports[0].protocol" },
  },
  {
    name: "V18 L7 on port 0",
    doc: ing({ toPorts: [port({ port: "0", protocol: "TCP" }, http)] }),
    expect: { code: "cilium.l7-port-zero", path: "spec.ingress[0].toPorts[0].ports[0].port" },
  },
  {
    name: "V19 DNS rules without ports",
    doc: egr({ toPorts: [{ rules: { dns: [{ matchName: "a.io" }] } }] }),
    expect: { code: "cilium.dns-port", path: "spec.egress[0].toPorts[0].ports" },
  },
  {
    name: "V20 DNS port range",
    doc: egr({ toPorts: [port({ port: "53", endPort: 54, protocol: "UDP" }, { dns: [{ matchName: "a.io" }] })] }),
    expect: { code: "cilium.dns-port-range", path: "spec.egress[0].toPorts[0].ports[0].endPort" },
  },
  {
    name: "V21 DNS on ingress",
    doc: ing({ toPorts: [port({ port: "53", protocol: "UDP" }, { dns: [{ matchName: "a.io" }] })] }),
    expect: { code: "cilium.dns-ingress", path: "spec.ingress[0].toPorts[0].rules.dns" },
  },
  {
    name: "V22 two L7 kinds",
    doc: ing({ toPorts: [port({ port: "80", protocol: "TCP" }, { http: [{}], kafka: [{}] })] }),
    expect: { code: "cilium.l7-multiple", path: "spec.ingress[0].toPorts[0].rules" },
  },
  {
    name: "V22 empty rules",
    doc: ing({ toPorts: [port({ port: "80", protocol: "TCP" }, {})] }),
    expect: { code: "cilium.l7-empty", path: "spec.ingress[0].toPorts[0].rules" },
  },
  {
    name: "V23 l7 without l7proto",
    doc: ing({ toPorts: [port({ port: "80", protocol: "TCP" }, { http: [{}], l7: [{ a: "b" }] })] }),
    expect: { code: "cilium.l7-without-proto", path: "spec.ingress[0].toPorts[0].rules.l7" },
  },
  {
    name: "V23 empty l7 key",
    doc: ing({ toPorts: [port({ port: "80", protocol: "TCP" }, { l7proto: "x", l7: [{ "": "b" }] })] }),
    expect: { code: "cilium.l7-empty-key", path: "spec.ingress[0].toPorts[0].rules.l7[0]" },
  },
  {
    name: "V24 bad path regex",
    doc: ing({ toPorts: [port({ port: "80", protocol: "TCP" }, { http: [{ path: "/a(" }] })] }),
    expect: { code: "cilium.http-regex", path: "spec.ingress[0].toPorts[0].rules.http[0].path" },
  },
  {
    name: "V24 lookahead is not RE2",
    doc: ing({ toPorts: [port({ port: "80", protocol: "TCP" }, { http: [{ method: "(?=GET)" }] })] }),
    expect: { code: "cilium.http-regex", path: "spec.ingress[0].toPorts[0].rules.http[0].method" },
  },
  {
    name: "V24 host regex (Envoy)",
    doc: ing({ toPorts: [port({ port: "80", protocol: "TCP" }, { http: [{ host: "a\\1" }] })] }),
    expect: { code: "cilium.http-regex", path: "spec.ingress[0].toPorts[0].rules.http[0].host" },
  },
  {
    name: "V25 headerMatch without name",
    doc: ing({ toPorts: [port({ port: "80", protocol: "TCP" }, { http: [{ headerMatches: [{ value: "x" }] }] })] }),
    expect: { code: "cilium.header-name", path: "spec.ingress[0].toPorts[0].rules.http[0].headerMatches[0].name" },
  },
  {
    name: "V25 unknown mismatch",
    doc: ing({ toPorts: [port({ port: "80", protocol: "TCP" }, { http: [{ headerMatches: [{ name: "x", mismatch: "DROP" }] }] })] }),
    expect: { code: "schema.enum", path: "spec.ingress[0].toPorts[0].rules.http[0].headerMatches[0].mismatch" },
  },
  {
    name: "V25 secret without name",
    doc: ing({
      toPorts: [port({ port: "80", protocol: "TCP" }, { http: [{ headerMatches: [{ name: "x", secret: { namespace: "a" } }] }] })],
    }),
    expect: { code: "cilium.secret-name", path: "spec.ingress[0].toPorts[0].rules.http[0].headerMatches[0].secret.name" },
  },
  {
    name: "V26 role and apiKey",
    doc: ing({ toPorts: [port({ port: "9092", protocol: "TCP" }, { kafka: [{ role: "produce", apiKey: "fetch" }] })] }),
    expect: { code: "cilium.kafka", path: "spec.ingress[0].toPorts[0].rules.kafka[0].role" },
  },
  {
    name: "V26 unknown apiKey",
    doc: ing({ toPorts: [port({ port: "9092", protocol: "TCP" }, { kafka: [{ apiKey: "nope" }] })] }),
    expect: { code: "cilium.kafka", path: "spec.ingress[0].toPorts[0].rules.kafka[0].apiKey" },
  },
  {
    name: "V26 bad role",
    doc: ing({ toPorts: [port({ port: "9092", protocol: "TCP" }, { kafka: [{ role: "admin" }] })] }),
    expect: { code: "cilium.kafka", path: "spec.ingress[0].toPorts[0].rules.kafka[0].role" },
  },
  {
    name: "V26 bad apiVersion",
    doc: ing({ toPorts: [port({ port: "9092", protocol: "TCP" }, { kafka: [{ apiVersion: "-1" }] })] }),
    expect: { code: "cilium.kafka", path: "spec.ingress[0].toPorts[0].rules.kafka[0].apiVersion" },
  },
  {
    name: "V26 bad topic",
    doc: ing({ toPorts: [port({ port: "9092", protocol: "TCP" }, { kafka: [{ topic: "a/b" }] })] }),
    expect: { code: "cilium.kafka", path: "spec.ingress[0].toPorts[0].rules.kafka[0].topic" },
  },
  {
    name: "V27 serverNames with L7 without TLS termination",
    doc: egr({ toPorts: [{ ports: [{ port: "443", protocol: "TCP" }], serverNames: ["a.io"], rules: http }] }),
    expect: { code: "cilium.sni-with-l7", path: "spec.egress[0].toPorts[0].serverNames" },
  },
  {
    name: "V27 empty server name",
    doc: egr({ toPorts: [{ ports: [{ port: "443", protocol: "TCP" }], serverNames: [""] }] }),
    expect: { code: "cilium.sni-empty", path: "spec.egress[0].toPorts[0].serverNames[0]" },
  },
  {
    name: "V28 listener on ingress",
    doc: ing({ toPorts: [{ ports: [{ port: "80", protocol: "TCP" }], listener: { envoyConfig: { name: "e" }, name: "l" } }] }),
    expect: { code: "cilium.listener-ingress", path: "spec.ingress[0].toPorts[0].listener" },
  },
  {
    name: "V28 listener with L7",
    doc: egr({ toPorts: [{ ports: [{ port: "80", protocol: "TCP" }], listener: { envoyConfig: { name: "e" }, name: "l" }, rules: http }] }),
    expect: { code: "cilium.listener-with-l7", path: "spec.egress[0].toPorts[0].listener" },
  },
  {
    name: "V29 L7 with the proxy disabled",
    doc: ing({ toPorts: [port({ port: "80", protocol: "TCP" }, http)] }),
    options: { enableL7Proxy: false },
    expect: { code: "cilium.l7-disabled", path: "spec.ingress[0].toPorts[0].rules" },
  },
  {
    name: "V30 host policy with HTTP on ingress",
    doc: ccnp({ nodeSelector: {}, ingress: [{ toPorts: [port({ port: "80", protocol: "TCP" }, http)] }] }),
    expect: { code: "cilium.host-l7", path: "spec.ingress[0].toPorts[0].rules" },
  },
  {
    name: "V30 host policy with DNS on egress is fine",
    doc: ccnp({ nodeSelector: {}, egress: [{ toPorts: [port({ port: "53", protocol: "UDP" }, { dns: [{ matchPattern: "*" }] })] }] }),
    expect: "valid",
  },
  {
    name: "V31 fromNodes without the option",
    doc: ing({ fromNodes: [sel] }),
    expect: { code: "cilium.nodes-disabled", path: "spec.ingress[0].fromNodes" },
  },
  {
    name: "V32 unknown entity",
    doc: ing({ fromEntities: ["everyone"] }),
    expect: { code: "cilium.entity", path: "spec.ingress[0].fromEntities[0]" },
  },
  {
    name: "V32 world-ipv4 is API-only",
    doc: ing({ fromEntities: ["world-ipv4"] }),
    expect: { code: "cilium.entity", path: "spec.ingress[0].fromEntities[0]" },
  },
  { name: "V33 bad CIDR", doc: ing({ fromCIDR: ["10.0.0.0/33"] }), expect: { code: "schema.cidr", path: "spec.ingress[0].fromCIDR[0]" } },
  {
    name: "V33 bare IP fails the CRD format",
    doc: ing({ fromCIDR: ["10.0.0.1"] }),
    expect: { code: "schema.cidr", path: "spec.ingress[0].fromCIDR[0]" },
  },
  {
    name: "V34 two kinds in a CIDR rule",
    doc: ing({ fromCIDRSet: [{ cidr: "10.0.0.0/8", cidrGroupRef: "g" }] }),
    expect: { code: "cilium.cidr-rule", path: "spec.ingress[0].fromCIDRSet[0]" },
  },
  {
    name: "V34 bare IP in cidrSet",
    doc: ing({ fromCIDRSet: [{ cidr: "10.0.0.1" }] }),
    expect: { code: "schema.cidr", path: "spec.ingress[0].fromCIDRSet[0].cidr" },
  },
  {
    name: "V34 except outside",
    doc: ing({ fromCIDRSet: [{ cidr: "10.0.0.0/8", except: ["11.0.0.0/16"] }] }),
    expect: { code: "cilium.cidr-except", path: "spec.ingress[0].fromCIDRSet[0].except[0]" },
  },
  {
    name: "V34 except of another family",
    doc: ing({ fromCIDRSet: [{ cidr: "10.0.0.0/8", except: ["::/64"] }] }),
    expect: { code: "cilium.cidr-except", path: "spec.ingress[0].fromCIDRSet[0].except[0]" },
  },
  {
    name: "V35 matchName and matchPattern",
    doc: egr({ toFQDNs: [{ matchName: "a.io", matchPattern: "*.io" }] }),
    expect: { code: "cilium.fqdn-both", path: "spec.egress[0].toFQDNs[0]" },
  },
  {
    name: "V35 bad matchName characters",
    doc: egr({ toFQDNs: [{ matchName: "a*.io" }] }),
    expect: { code: "cilium.fqdn-chars", path: "spec.egress[0].toFQDNs[0].matchName" },
  },
  {
    name: "V35 too long",
    doc: egr({ toFQDNs: [{ matchName: `${"a".repeat(256)}` }] }),
    expect: { code: "cilium.fqdn-length", path: "spec.egress[0].toFQDNs[0].matchName" },
  },
  {
    name: "V36 brackets in matchPattern",
    doc: egr({ toFQDNs: [{ matchPattern: "[a].io" }] }),
    expect: { code: "cilium.fqdn-chars", path: "spec.egress[0].toFQDNs[0].matchPattern" },
  },
  {
    name: "CRD empty DNS label",
    doc: egr({ toFQDNs: [{ matchName: "a..io" }] }),
    expect: { code: "schema.pattern", path: "spec.egress[0].toFQDNs[0].matchName" },
  },
  {
    name: "V37 NP invalid protocol",
    doc: np({ podSelector: {}, ingress: [{ ports: [{ protocol: "ICMP", port: 1 }] }] }),
    expect: { code: "schema.enum", path: "spec.ingress[0].ports[0].protocol" },
  },
  // ---- envelope and schema
  {
    name: "empty CNP",
    doc: { apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy", metadata: { name: "p" } },
    expect: { code: "cilium.empty-policy", path: "" },
  },
  {
    name: "missing name",
    doc: { apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy", metadata: {}, spec: { endpointSelector: {}, ingress: [{}] } },
    expect: { code: "schema.required", path: "metadata.name" },
  },
  {
    name: "bad name",
    doc: {
      apiVersion: "cilium.io/v2",
      kind: "CiliumNetworkPolicy",
      metadata: { name: "Bad_Name" },
      spec: { endpointSelector: {}, ingress: [{}] },
    },
    expect: { code: "k8s.name", path: "metadata.name" },
  },
  {
    name: "wrong apiVersion",
    doc: {
      apiVersion: "cilium.io/v1",
      kind: "CiliumNetworkPolicy",
      metadata: { name: "p" },
      spec: { endpointSelector: {}, ingress: [{}] },
    },
    expect: { code: "schema.api-version", path: "apiVersion" },
  },
  {
    name: "unknown top-level field",
    doc: cnp({ endpointSelector: {}, ingress: [{}] }, { extra: 1 }),
    expect: { code: "schema.unknown-field", path: "extra" },
  },
  {
    name: "unknown rule field (typo)",
    doc: cnp({ endpointSelector: {}, ingres: [{}], egress: [{}] }),
    expect: { code: "schema.unknown-field", path: "spec.ingres" },
  },
  {
    name: "unknown peer field",
    doc: ing({ fromEndpoint: [sel] }),
    expect: { code: "schema.unknown-field", path: "spec.ingress[0].fromEndpoint" },
  },
  {
    name: "toFQDNs not allowed in egressDeny",
    doc: cnp({ endpointSelector: {}, egressDeny: [{ toFQDNs: [{ matchName: "a.io" }] }] }),
    expect: { code: "schema.unknown-field", path: "spec.egressDeny[0].toFQDNs" },
  },
  {
    name: "L7 not allowed in deny ports",
    doc: cnp({ endpointSelector: {}, ingressDeny: [{ toPorts: [{ ports: [{ port: "80", protocol: "TCP" }], rules: http }] }] }),
    expect: { code: "schema.unknown-field", path: "spec.ingressDeny[0].toPorts[0].rules" },
  },
  { name: "wrong type", doc: cnp({ endpointSelector: {}, ingress: {} }), expect: { code: "schema.type", path: "spec.ingress" } },
  {
    name: "specs item problem path",
    doc: cnp(undefined, {
      spec: undefined,
      specs: [
        { endpointSelector: {}, ingress: [{}] },
        { endpointSelector: {}, ingress: [{ fromEntities: ["x"] }] },
      ],
    }),
    expect: { code: "cilium.entity", path: "specs[1].ingress[0].fromEntities[0]" },
  },
  {
    name: "fromRequires is deprecated",
    doc: ing({ fromRequires: [sel] }),
    expect: { code: "cilium.requires-deprecated", path: "spec.ingress[0].fromRequires", severity: "warning" },
  },
  {
    name: "log too long",
    doc: cnp({ endpointSelector: {}, ingress: [{}], log: { value: "x".repeat(33) } }),
    expect: { code: "schema.pattern", path: "spec.log.value" },
  },
  {
    name: "duplicate server names",
    doc: egr({ toPorts: [{ ports: [{ port: "443", protocol: "TCP" }], serverNames: ["a.io", "a.io"] }] }),
    expect: { code: "schema.duplicate", path: "spec.egress[0].toPorts[0].serverNames[1]" },
  },
  {
    name: "authentication mode",
    doc: ing({ fromEndpoints: [sel], authentication: { mode: "sometimes" } }),
    expect: { code: "schema.enum", path: "spec.ingress[0].authentication.mode" },
  },
  // ---- Kubernetes NetworkPolicy (API server)
  {
    name: "NP port 0",
    doc: np({ podSelector: {}, ingress: [{ ports: [{ port: 0 }] }] }),
    expect: { code: "k8s.port", path: "spec.ingress[0].ports[0].port" },
  },
  {
    name: "NP port 65536",
    doc: np({ podSelector: {}, ingress: [{ ports: [{ port: 65536 }] }] }),
    expect: { code: "k8s.port", path: "spec.ingress[0].ports[0].port" },
  },
  {
    name: "NP quoted number is a bad name",
    doc: np({ podSelector: {}, ingress: [{ ports: [{ port: "80" }] }] }),
    expect: { code: "k8s.port", path: "spec.ingress[0].ports[0].port" },
  },
  {
    name: "NP endPort with named port",
    doc: np({ podSelector: {}, ingress: [{ ports: [{ port: "http", endPort: 90 }] }] }),
    expect: { code: "k8s.end-port", path: "spec.ingress[0].ports[0].endPort" },
  },
  {
    name: "NP endPort below port",
    doc: np({ podSelector: {}, ingress: [{ ports: [{ port: 90, endPort: 80 }] }] }),
    expect: { code: "k8s.end-port", path: "spec.ingress[0].ports[0].endPort" },
  },
  {
    name: "NP endPort without port",
    doc: np({ podSelector: {}, egress: [{ ports: [{ endPort: 80 }] }] }),
    expect: { code: "k8s.end-port", path: "spec.egress[0].ports[0].endPort" },
  },
  {
    name: "NP ipBlock with selector",
    doc: np({ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} }] }] }),
    expect: { code: "k8s.peer-ipblock", path: "spec.ingress[0].from[0]" },
  },
  {
    name: "NP empty peer",
    doc: np({ podSelector: {}, egress: [{ to: [{}] }] }),
    expect: { code: "k8s.peer-required", path: "spec.egress[0].to[0]" },
  },
  {
    name: "NP except not a strict subset",
    doc: np({ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.0.0.0/8"] } }] }] }),
    expect: { code: "k8s.ipblock-except", path: "spec.ingress[0].from[0].ipBlock.except[0]" },
  },
  {
    name: "NP bad cidr",
    doc: np({ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0" } }] }] }),
    expect: { code: "k8s.cidr", path: "spec.ingress[0].from[0].ipBlock.cidr" },
  },
  {
    name: "NP bad policyType",
    doc: np({ podSelector: {}, policyTypes: ["Inbound"] }),
    expect: { code: "schema.enum", path: "spec.policyTypes[0]" },
  },
  {
    name: "NP three policyTypes",
    doc: np({ podSelector: {}, policyTypes: ["Ingress", "Egress", "Ingress"] }),
    expect: { code: "k8s.policy-types", path: "spec.policyTypes" },
  },
  {
    name: "NP source prefix is not a label key",
    doc: np({ podSelector: { matchLabels: { "k8s:app": "a" } } }),
    expect: { code: "selector.key", path: 'spec.podSelector.matchLabels["k8s:app"]' },
  },
  {
    name: "NP bad namespace",
    doc: {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "n", namespace: "Prod" },
      spec: { podSelector: {} },
    },
    expect: { code: "k8s.namespace", path: "metadata.namespace" },
  },
  {
    name: "NP unknown field",
    doc: np({ podSelector: {}, ingress: [{ fromm: [] }] }),
    expect: { code: "schema.unknown-field", path: "spec.ingress[0].fromm" },
  },
];
