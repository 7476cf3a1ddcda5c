/**
 * Deterministic policy corpora for benchmarks: a mix of all three kinds with L7 (HTTP, Kafka, DNS),
 * CIDR sets with excepts, FQDNs, entities and deny sections, written as users write YAML.
 */

function networkPolicy(i: number): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np-${i}
  namespace: ns-${i % 1000}
spec:
  podSelector:
    matchLabels:
      app: svc-${i}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          team: team-${i % 50}
      podSelector:
        matchExpressions:
        - {key: tier, operator: In, values: [web, api]}
    - ipBlock:
        cidr: 10.${i % 250}.0.0/16
        except: [10.${i % 250}.1.0/24]
    ports:
    - port: 8080
    - port: 9000
      endPort: 9100
      protocol: TCP
  egress:
  - to:
    - podSelector: {matchLabels: {app: db-${i % 100}}}
    ports:
    - {port: 5432, protocol: TCP}
`;
}

function ciliumNetworkPolicy(i: number): string {
  return `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: cnp-${i}
  namespace: ns-${i % 1000}
spec:
  endpointSelector:
    matchLabels:
      app: api-${i}
  ingress:
  - fromEndpoints:
    - matchLabels:
        app: frontend
        "k8s:io.kubernetes.pod.namespace": web-${i % 20}
    toPorts:
    - ports:
      - port: "80"
        protocol: TCP
      rules:
        http:
        - method: GET
          path: "/api/v1/items/[0-9]+"
        - method: "POST|PUT"
          path: "/api/v1/submit"
          headers: ["X-Token: secret"]
  ingressDeny:
  - fromEntities: [world]
    toPorts:
    - ports: [{port: "22", protocol: TCP}]
  egress:
  - toCIDRSet:
    - cidr: 172.${16 + (i % 16)}.0.0/16
      except: [172.${16 + (i % 16)}.${i % 250}.0/24]
  - toFQDNs:
    - matchPattern: "*.svc-${i % 300}.example.com"
    toPorts:
    - ports: [{port: "443", protocol: TCP}]
  - toEndpoints:
    - matchLabels:
        "k8s:io.kubernetes.pod.namespace": kube-system
        k8s-app: kube-dns
    toPorts:
    - ports: [{port: "53", protocol: ANY}]
      rules:
        dns:
        - matchPattern: "*.example.com"
`;
}

function clusterwidePolicy(i: number): string {
  return `apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata:
  name: ccnp-${i}
spec:
  endpointSelector:
    matchExpressions:
    - key: io.kubernetes.pod.namespace
      operator: In
      values: [ns-${i % 1000}, ns-${(i + 1) % 1000}]
  ingress:
  - fromEntities: [cluster, host]
  - fromEndpoints:
    - matchLabels: {role: producer-${i % 10}}
    toPorts:
    - ports:
      - port: "9092"
        protocol: TCP
      rules:
        kafka:
        - role: produce
          topic: payments-${i % 40}
  egressDeny:
  - toCIDR: [192.0.2.0/24, "198.51.100.${i % 250}/32"]
  egress:
  - toEntities: [kube-apiserver]
    toPorts:
    - ports: [{port: "6443", protocol: TCP}]
`;
}

/** `n` policies as one multi-document YAML stream, kinds in rotation. */
export function policyStream(n: number): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) docs.push([networkPolicy, ciliumNetworkPolicy, clusterwidePolicy][i % 3]!(i));
  return docs.join("---\n");
}
