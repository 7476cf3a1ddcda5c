/**
 * A deterministic large cluster for engine benchmarks: namespaces of deployments (pods share labels
 * per deployment, as ReplicaSets make them), and a policy mix of NetworkPolicy, CiliumNetworkPolicy
 * with entities, CIDRs and deny rules, and CiliumClusterwideNetworkPolicy.
 */

export interface ClusterSize {
  readonly namespaces: number;
  readonly podsPerNamespace: number;
  readonly policies: number;
}

function pod(ns: number, i: number): string {
  const app = `app-${i % 10}`;
  const ip = `10.${(ns >> 8) & 255}.${ns & 255}.${i + 2}`;
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${app}-${i}
  namespace: ns-${ns}
  labels: {app: ${app}, tier: ${["web", "api", "db"][(i % 10) % 3]}, team: team-${ns % 25}}
spec:
  nodeName: node-${ns % 10}
  containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
status: {podIP: ${ip}}
`;
}

function namespace(ns: number): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ns-${ns}, labels: {env: ${ns % 2 ? "prod" : "dev"}, team: team-${ns % 25}}}
`;
}

function node(n: number): string {
  return `apiVersion: v1
kind: Node
metadata: {name: node-${n}}
status: {addresses: [{type: InternalIP, address: 172.18.${n >> 8}.${(n & 255) + 1}}]}
`;
}

function policy(i: number, size: ClusterSize): string {
  const ns = i % size.namespaces;
  const app = `app-${i % 10}`;
  switch (i % 10) {
    case 0:
    case 1:
    case 2:
    case 3:
      return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np-${i}, namespace: ns-${ns}}
spec:
  podSelector: {matchLabels: {app: ${app}}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {tier: web}}
    - namespaceSelector: {matchLabels: {team: team-${i % 25}}}
      podSelector: {matchLabels: {tier: api}}
    ports: [{port: 8080}, {port: 9000, endPort: 9100}]
  egress:
  - to: [{podSelector: {matchLabels: {tier: db}}}]
    ports: [{port: 5432}]
  - to: [{ipBlock: {cidr: 192.168.${i % 256}.0/24, except: [192.168.${i % 256}.128/25]}}]
`;
    case 4:
    case 5:
    case 6:
    case 7:
    case 8:
      return `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: cnp-${i}, namespace: ns-${ns}}
spec:
  endpointSelector: {matchLabels: {app: ${app}}}
  ingress:
  - fromEndpoints: [{matchLabels: {tier: web}}]
    toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
  - fromEntities: [host, remote-node]
  ingressDeny:
  - fromCIDRSet: [{cidr: 203.0.${i % 256}.0/24}]
  egress:
  - toEntities: [kube-apiserver]
  - toCIDR: [198.51.${i % 256}.0/24]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
  - toEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": ns-${(ns + 1) % size.namespaces}, tier: api}}]
  egressDeny:
  - toEndpoints: [{matchLabels: {tier: db, team: team-${(i + 3) % 25}}}]
`;
    default:
      return `apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: ccnp-${i}}
spec:
  endpointSelector:
    matchExpressions: [{key: io.kubernetes.pod.namespace, operator: In, values: [ns-${ns}, ns-${(ns + 7) % size.namespaces}]}]
  ingress:
  - fromEntities: [host, health]
    toPorts: [{ports: [{port: "9090", protocol: TCP}]}]
  - fromEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": ns-${(ns + 3) % size.namespaces}, app: monitoring}}]
  egressDeny:
  - toEntities: [world]
    toPorts: [{ports: [{port: "25", protocol: TCP}]}]
`;
  }
}

/** The whole cluster as one YAML stream. */
export function clusterStream(size: ClusterSize): string {
  const docs: string[] = [];
  for (let n = 0; n < 10; n++) docs.push(node(n));
  for (let ns = 0; ns < size.namespaces; ns++) {
    docs.push(namespace(ns));
    for (let i = 0; i < size.podsPerNamespace; i++) docs.push(pod(ns, i));
  }
  for (let i = 0; i < size.policies; i++) docs.push(policy(i, size));
  return docs.join("---\n");
}
