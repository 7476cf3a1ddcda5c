import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Engine, loadScenario, type HubbleFlow as Flow } from "@membrane/engine";
import { FlowObserver, Lab, metricsText, pipeLabFlows, runLive } from "@membrane/agent";
import { parseManifest } from "@membrane/manifest";
import { DATAPATH_CONFIG, DATAPATH_F_PROXY_UPSTREAM_PORTS, mapLookup } from "@membrane/datapath";

/**
 * L7 redirection on real packets: the datapath hands redirected flows to the node's proxies (egress
 * from the sending pod's device, ingress through the proxy device, across the tunnel too), and
 * what a proxy forwards keeps its source's identity — a proxied flow never passes as the host,
 * which every pod may reach (allow-localhost).
 */
const root = fileURLToPath(new URL("../", import.meta.url));
const read = (file: string) => parseManifest(file, readFileSync(join(root, file), "utf8")).documents;
const docs = (name: string, yaml: string) => parseManifest(name, yaml).documents;

// a, b, web-0 and ns2/x live on node-a; ns1/x and ns2/c on node-b.
const POLICIES = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: l7-out, namespace: ns1 }
spec:
  endpointSelector: { matchExpressions: [{ key: app, operator: In, values: [a, x, web] }] }
  egress:
    - toEntities: [cluster]
      toPorts:
        - ports: [{ port: "80", protocol: TCP }, { port: "8080", protocol: TCP }]
          rules: { http: [{ method: GET, path: "/.*" }] }
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: b-from-a, namespace: ns1 }
spec:
  endpointSelector: { matchLabels: { app: b } }
  ingress:
    - fromEndpoints: [{ matchLabels: { app: a } }]
      toPorts: [{ ports: [{ port: "80", protocol: TCP }] }]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: c-ingress, namespace: ns2 }
spec:
  endpointSelector: { matchLabels: { app: c } }
  ingress:
    - fromEndpoints: [{ matchLabels: { app: a, k8s:io.kubernetes.pod.namespace: ns1 } }]
      toPorts: [{ ports: [{ port: "8080", protocol: TCP }] }]
    - fromEndpoints: [{ matchLabels: { app: x } }]
      toPorts:
        - ports: [{ port: "8080", protocol: TCP }]
          rules: { http: [{ method: GET, path: "/public" }] }
`;

const CASES = `apiVersion: membrane.dev/v1alpha1
kind: ConnectivityTest
metadata: { name: l7-lab }
spec:
  cases:
    # Through a's egress proxy, on its node, to b as a.
    - { from: ns1/a, to: ns1/b, port: 80, http: { method: GET, path: /index }, expect: allow }
    - { from: ns1/a, to: ns1/b, port: 80, http: { method: POST, path: /index }, expect: deny }
    # web's egress proxy allows the request, but b admits only a: the proxy's upstream connection
    # is web's, not the host's, and b's datapath drops it.
    - { from: ns1/web-0, to: ns1/b, port: 80, http: { method: GET, path: /index }, expect: deny }
    # Across nodes: the proxied flow carries its source's identity (in the VNI, or by its address in native routing).
    - { from: ns1/x, to: ns1/b, port: 80, http: { method: GET, path: /index }, expect: deny }
    - { from: ns1/a, to: ns2/c, port: 8080, http: { method: GET, path: /anything }, expect: allow }
    - { from: ns1/a, to: ns2/c, port: 8080, http: { method: DELETE, path: /anything }, expect: deny }
    # An ingress L7 rule, the client on the other node: c's node's proxy decides for ns2/x.
    - { from: ns2/x, to: ns2/c, port: 8080, http: { method: GET, path: /public }, expect: allow }
    - { from: ns2/x, to: ns2/c, port: 8080, http: { method: GET, path: /private }, expect: deny }
    - { from: ns2/x, to: ns2/c, port: 8080, expect: allow }
`;

for (const routing of ["tunnel", "native"] as const)
  describe(`L7 redirection in a two-node lab, ${routing} routing`, () => {
    const scenario = loadScenario([
      ...read("testdata/contract/_cluster.yaml"),
      ...docs("policies.yaml", POLICIES),
      ...docs("cases.yaml", CASES),
    ]);
    const engine = new Engine(scenario.cluster, scenario.policies);
    let lab: Lab;

    before(async () => {
      assert.deepEqual(
        scenario.problems.filter((p) => p.severity === "error"),
        [],
      );
      const started = await Lab.start(engine, [], routing);
      assert.ok(started.ok, started.ok ? "" : JSON.stringify(started.error));
      lab = started.value;
    });
    after(() => lab?.stop());

    test("the proxies enforce the engine's L7 decisions and forwarded flows keep their source identity", async () => {
      const observer = new FlowObserver();
      const stop = pipeLabFlows(lab, engine, (r) => observer.push(r));
      // Replies to the egress proxy's transparent upstream connections are told by port (from_node's gate): on in every node.
      for (const n of lab.nodes) {
        const config = mapLookup(n.agent.datapath.maps.config, Buffer.alloc(4), DATAPATH_CONFIG.size);
        assert.ok(config.ok && config.value !== null);
        assert.equal(config.value.readUInt32LE(DATAPATH_CONFIG.flags) & DATAPATH_F_PROXY_UPSTREAM_PORTS, DATAPATH_F_PROXY_UPSTREAM_PORTS);
      }
      const results = await runLive(lab, engine, scenario.tests);
      stop();
      const flows = observer
        .snapshot()
        .map((r) => r.flow)
        .filter((f) => f.Type === "L7");
      const summary = results.map((r, i) => `[${i}] ${r.actual}: ${r.reason.summary}`);
      assert.deepEqual(
        results.map((r) => r.pass),
        results.map(() => true),
        summary.join("\n"),
      );
      // The denials come from where they should: the proxy for the L7 ones, the kernel otherwise.
      assert.match(summary[1]!, /denied by the L7 proxy \(HTTP 403 Access denied\)/);
      assert.match(summary[5]!, /denied by the L7 proxy \(HTTP 403 Access denied\)/);
      assert.match(summary[7]!, /denied by the L7 proxy \(HTTP 403 Access denied\)/);
      assert.doesNotMatch(summary[2]!, /L7 proxy/);
      assert.doesNotMatch(summary[3]!, /L7 proxy/);
      assert.match(summary[8]!, /on the wire: connected/);
      // Every request and response became a Hubble L7 flow, naming the policy whose L7 rules decided.
      const show = (f: Flow) =>
        [
          f.traffic_direction,
          f.verdict,
          f.l7?.type,
          f.l7?.http?.method,
          f.l7?.http?.code,
          f.source?.pod_name,
          f.destination?.pod_name,
          f.is_reply,
          [
            ...(f.egress_denied_by ?? []),
            ...(f.ingress_denied_by ?? []),
            ...(f.egress_allowed_by ?? []),
            ...(f.ingress_allowed_by ?? []),
          ].map((p) => `${p.namespace}/${p.name}`),
        ].join(" ");
      const shown = flows.map(show);
      for (const line of [
        "EGRESS DROPPED REQUEST POST  a b false ns1/l7-out",
        "EGRESS DROPPED RESPONSE POST 403 b a true ns1/l7-out",
        "EGRESS FORWARDED REQUEST GET  a b false ns1/l7-out",
        "EGRESS FORWARDED RESPONSE GET 200 b a true ns1/l7-out",
        "INGRESS DROPPED REQUEST GET  x c false ns2/c-ingress",
        "INGRESS FORWARDED REQUEST GET  x c false ns2/c-ingress",
      ])
        assert.ok(shown.includes(line), `no flow "${line}" in:\n${shown.join("\n")}`);
      assert.ok(flows.every((f) => f.event_type?.type === 129 && f.l7?.type !== undefined));
      // And Hubble's HTTP metrics count them, by the side whose proxy reported.
      const metrics = metricsText(observer, { policies: engine.policies.size, identities: 0, nodes: [] });
      assert.match(metrics, /^hubble_http_requests_total\{method="POST",protocol="HTTP\/1.1",reporter="client"\} 1$/m);
      assert.match(metrics, /^hubble_http_responses_total\{method="GET",protocol="HTTP\/1.1",status="403",reporter="server"\} 1$/m);
    });

    test("audit mode in the proxies: under an audited policy the denied request reaches the server and shows AUDIT naming the policy", async () => {
      const annotated = POLICIES.replace(
        "metadata: { name: c-ingress, namespace: ns2 }",
        "metadata: { name: c-ingress, namespace: ns2, annotations: { policy.membrane.dev/audit-mode: enabled } }",
      );
      const audited = loadScenario(docs("audited.yaml", annotated)).policies.find((p) => p.meta.name === "c-ingress")!;
      const original = scenario.policies.find((p) => p.meta.name === "c-ingress")!;
      const apply = (cs: ReturnType<Engine["upsertPolicy"]>) => assert.deepEqual(lab.apply(cs), []);
      const flows: Flow[] = [];
      const stop = pipeLabFlows(lab, engine, (r) => flows.push(r.flow));
      apply(engine.upsertPolicy(audited));
      try {
        const one = loadScenario(
          docs(
            "one.yaml",
            `apiVersion: membrane.dev/v1alpha1
kind: ConnectivityTest
metadata: { name: audited }
spec:
  cases: [{ from: ns2/x, to: ns2/c, port: 8080, http: { method: GET, path: /private }, expect: allow }]
`,
          ),
        ).tests;
        const [r] = await runLive(lab, engine, one);
        assert.equal(r!.pass, true, r!.reason.summary);
        assert.equal(r!.audited, true);
        assert.match(r!.reason.summary, /AUDIT.*on the wire: the http request was answered/);
        const audit = flows.find((f) => f.verdict === "AUDIT" && f.l7?.http?.url?.endsWith("/private"));
        assert.ok(audit, flows.map((f) => `${f.verdict} ${f.l7?.http?.url ?? ""}`).join("\n"));
        assert.deepEqual(
          audit.ingress_denied_by?.map((p) => p.name),
          ["c-ingress"],
        );
      } finally {
        stop();
        apply(engine.upsertPolicy(original));
      }
    });
  });

const FQDN_POLICY = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: a-to-example, namespace: ns1 }
spec:
  endpointSelector: { matchLabels: { app: a } }
  egress:
    - toEndpoints: [{ matchLabels: { k8s:io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns } }]
      toPorts: [{ ports: [{ port: "53", protocol: UDP }], rules: { dns: [{ matchPattern: "*.example.com" }] } }]
    - toFQDNs: [{ matchName: api.example.com }]
      toPorts: [{ ports: [{ port: "443", protocol: TCP }] }]
`;

describe("toFQDNs in a two-node lab", () => {
  const scenario = loadScenario([...read("testdata/contract/_cluster.yaml"), ...docs("fqdn.yaml", FQDN_POLICY)]);
  const engine = new Engine(scenario.cluster, scenario.policies);
  const API = "93.184.216.34";
  let lab: Lab;

  before(async () => {
    const started = await Lab.start(engine, [API]);
    assert.ok(started.ok, started.ok ? "" : JSON.stringify(started.error));
    lab = started.value;
  });
  after(() => lab?.stop());

  test("an answer the DNS proxy allowed opens the answered address in the kernel, and its expiry closes it", async () => {
    const observer = new FlowObserver();
    const stop = pipeLabFlows(lab, engine, (r) => observer.push(r));
    const a = lab.pods.get("ns1/a")!;
    const dnsServer = lab.plan.nodes.flatMap((n) => n.pods).find((p) => p.key === "kube-system/coredns")!;
    const coredns = lab.pods.get("kube-system/coredns")!;
    assert.equal(await coredns.listen("UDP", 53), null);
    assert.equal(await coredns.zone({ "api.example.com": API, "www.example.org": API }), null);
    assert.equal(await lab.world.listen("TCP", 443, API), null);
    const connect = () => a.connect({ protocol: "TCP", ip: API, port: 443, timeoutMs: 1000 }).result;
    const ask = (name: string) =>
      a.connect({ protocol: "UDP", ip: dnsServer.ip, port: 53, timeoutMs: 2000, exchange: { kind: "dns", name, l4Only: false } }).result;
    try {
      assert.equal(await connect(), "ETIMEDOUT", "before any answer the address is the world's: no rule allows it");
      assert.match((await ask("www.example.org")) ?? "", /DNS REFUSED/, "a name no DNS rule allows is refused by the proxy");
      // Asked across the tunnel (coredns is on the other node) through a's node's DNS proxy.
      assert.equal(await ask("api.example.com"), null);
      assert.equal(await connect(), null, "the answered address is now api.example.com's, which toFQDNs allows");
      const dns = observer
        .snapshot()
        .map((r) => r.flow)
        .filter((f) => f.l7?.dns !== undefined)
        .map((f) =>
          [f.verdict, f.l7?.type, Object.keys(f.l4 ?? {})[0], f.l7?.dns?.query, f.l7?.dns?.rcode, ...(f.l7?.dns?.ips ?? [])].join(" "),
        );
      assert.ok(dns.includes("DROPPED REQUEST UDP www.example.org. "), dns.join("\n"));
      assert.ok(dns.includes(`FORWARDED RESPONSE UDP api.example.com. 0 ${API}`), dns.join("\n"));
      const metrics = metricsText(observer, { policies: engine.policies.size, identities: 0, nodes: [] });
      assert.match(metrics, /^hubble_dns_queries_total\{rcode="",qtypes="A",ips_returned="0"\} 2$/m);
      assert.match(metrics, /^hubble_dns_responses_total\{rcode="0",qtypes="A",ips_returned="1"\} 1$/m);
      // The answer expires (far past any TTL) while a connection to it is still tracked: kept (a zombie).
      const later = Math.floor(Date.now() / 1000) + 86_400;
      lab.collectGarbage(later);
      assert.deepEqual(engine.dnsNamesOf(API), ["api.example.com."]);
      // Once no flow to it is live, the address goes back to the world, and the kernel closes it.
      for (const n of lab.nodes) assert.deepEqual(n.agent.apply(engine.expireDns(later)), []);
      assert.equal(await connect(), "ETIMEDOUT");
    } finally {
      stop();
    }
  });
});
