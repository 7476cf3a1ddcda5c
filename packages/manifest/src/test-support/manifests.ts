/**
 * Hand-written manifests in the shapes Kubernetes and Cilium users write (comments, quoted label
 * keys, flow ports, block scalars, anchors and merges, several documents per file), for comparing
 * this parser with the `yaml` library. Test support only.
 */

/** Named manifest texts. */
export const MANIFESTS: Readonly<Record<string, string>> = {
  "networkpolicy.yaml": `# Deny all ingress except from the frontend
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-allow-frontend
  namespace: shop
  labels: {app.kubernetes.io/part-of: shop, tier: "backend"}
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
  - Ingress
  - Egress
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: shop
      podSelector:
        matchExpressions:
          - {key: role, operator: In, values: [frontend, "edge"]}
    - ipBlock:
        cidr: 172.17.0.0/16
        except:
        - 172.17.1.0/24
    ports:
    - protocol: TCP
      port: 6379
    - port: metrics   # named port
      endPort:
  egress: []
`,
  "cnp-l7.yaml": `apiVersion: "cilium.io/v2"
kind: CiliumNetworkPolicy
metadata:
  name: "rule1"
  annotations:
    io.cilium/description: >-
      L7 policy: allow GET /public and PUT /avatar
      from the frontend only.
spec:
  description: "L7 policy to restrict access to specific HTTP call"
  endpointSelector:
    matchLabels:
      org: empire
      class: deathstar
  ingress:
  - fromEndpoints:
    - matchLabels:
        "k8s:org": empire
        'k8s:io.kubernetes.pod.namespace': default
    toPorts:
    - ports:
      - port: "80"
        protocol: TCP
      rules:
        http:
        - method: "POST"
          path: "/v1/request-landing"
        - method: GET
          path: "/public/.*"
          headers:
          - 'X-My-Header: true'
          headerMatches:
          - name: Authorization
            secret: {namespace: default, name: token}
            mismatch: LOG
`,
  "cnp-egress.yaml": `---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: egress, namespace: default}
spec:
  endpointSelector: {}
  egress:
    - toCIDRSet:
        - cidr: 10.0.0.0/8
          except: ["10.96.0.0/12", 10.244.0.0/16]
      toPorts:
        - ports: [{port: "443", protocol: TCP}, {port: '8443', protocol: TCP, endPort: 8500}]
    - toFQDNs:
        - matchName: "api.github.com"
        - matchPattern: "*.s3.amazonaws.com"
    - toEndpoints:
        - matchLabels:
            "k8s:io.kubernetes.pod.namespace": kube-system
            "k8s:k8s-app": kube-dns
      toPorts:
        - ports:
            - port: "53"
              protocol: ANY
          rules:
            dns:
              - matchPattern: "*"
    - toEntities: [world, cluster]
      icmps:
        - fields:
            - type: 8
              family: IPv4
            - {type: EchoRequest, family: IPv6}
---
# A clusterwide policy
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata:
  name: lock-down
spec:
  nodeSelector:
    matchLabels: {kubernetes.io/os: linux}
  ingressDeny:
  - fromEntities:
    - world
    toPorts:
    - ports:
      - {port: "22", protocol: TCP}
...
`,
  "configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  app.properties: |
    # comment inside a literal
    greeting=hello: world
    retries=3

  policy.json: |-
    {
      "allow": ["a", "b"],
      "nested": {"x": 1}
    }
  banner: >
    Welcome to the
    cluster.

    Enjoy.
  trailing: |+
    kept


  empty: ""
  quoted: "line one\\nline two\\t\\"quoted\\""
  single: 'it''s here'
  multi: "folded
    over lines"
  plain: this is a plain
    multi-line value
binaryData: {}
`,
  "deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: &labels
    app: web
    tier: frontend
spec:
  replicas: 3
  revisionHistoryLimit: 010
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels:
        <<: *labels
        version: "1.2"
      annotations:
        prometheus.io/scrape: 'true'
        prometheus.io/port: "9090"
    spec:
      containers:
      - name: web
        image: nginx:1.25
        args: ["--port=8080", --verbose, '-v=2']
        command:
          - /bin/sh
          - -c
          - |
            echo starting
            exec nginx -g 'daemon off;'
        env:
        - name: ENABLED
          value: "yes"
        - name: RATIO
          value: "0.5"
        - {name: EMPTY}
        ports:
        - containerPort: 8080
          protocol: TCP
        resources:
          limits: {cpu: 500m, memory: 128Mi}
          requests:
            cpu: 0.25
            memory: 64Mi
        securityContext:
          runAsNonRoot: true
          readOnlyRootFilesystem: yes
          allowPrivilegeEscalation: off
      volumes:
      - name: config
        configMap:
          name: app-config
          defaultMode: 0644
      nodeSelector: ~
      tolerations:
`,
  "pods-and-services.yaml": `# Multi-document stream as kubectl get -o yaml would not write it
kind: Pod
apiVersion: v1
metadata:
  name: client
  namespace: default
  labels:
    app: client
    "io.cilium.k8s.policy.cluster": default
spec:
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
---
kind: Service
apiVersion: v1
metadata:
  name: api
spec:
  selector: {app: api}
  ports:
  - name: http
    port: 80
    targetPort: 8080
  - name: grpc
    port: 9090
    targetPort: grpc
  clusterIP: 10.96.0.10
  ipFamilies: [IPv4, IPv6]
---
kind: Namespace
apiVersion: v1
metadata:
  name: "shop"
  labels:
    kubernetes.io/metadata.name: shop
    team: 'payments # not a comment'
---
`,
  "list.yaml": `apiVersion: v1
kind: List
items:
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: deny-all, namespace: a}
  spec: {podSelector: {}, policyTypes: [Ingress]}
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata:
    name: allow-dns
    namespace: a
  spec:
    podSelector: {}
    egress:
    - to:
      - namespaceSelector: {}
        podSelector:
          matchLabels:
            k8s-app: kube-dns
      ports:
      - {port: 53, protocol: UDP}
      - port: 53
        protocol: TCP
`,
  "crlf-and-tabs.yaml":
    "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: crlf\t# tab before comment\r\ndata:\r\n  key:\tvalue\r\n  script: |\r\n    line 1\r\n    \tindented with tab\r\n",
  "anchors.yaml": `defaults: &defaults
  protocol: TCP
  port: "80"
common-labels: &common {app: web, env: prod}
policies:
  - name: a
    ports:
      - <<: *defaults
      - <<: *defaults
        port: "443"
  - name: b
    labels:
      <<: [*common, {team: core}]
      env: dev
`,
};
