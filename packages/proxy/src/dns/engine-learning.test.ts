import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { decide, Engine, fromPlain, loadScenario, type FlowPeerRef } from "@membrane/engine";
import type { DnsPolicySource } from "./context.ts";
import { startDnsmasq, type Dnsmasq } from "./test-support/dnsmasq.ts";
import { lookupError, proxyFor, resolverFor } from "./test-support/proxy-fixtures.ts";

/**
 * The DNS proxy wired to the engine, as the agent wires it: the policy of each query comes from the
 * engine's resolved L7 policy, and allowed answers feed `learnDnsAnswer`, which opens toFQDNs egress
 * for the answered IPs until their TTL runs out (`policy-semantics.md` §8.5). The clock is injected.
 */

let dnsmasq: Dnsmasq | undefined;
before(async () => {
  dnsmasq = await startDnsmasq();
});
after(async () => {
  await dnsmasq?.stop();
});

const DOCS = [
  {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "n1" },
    spec: { podCIDR: "10.244.1.0/24" },
    status: { addresses: [{ type: "InternalIP", address: "172.18.0.2" }] },
  },
  {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "client", namespace: "web", labels: { app: "client" } },
    spec: { nodeName: "n1", containers: [{ name: "c" }] },
    status: { podIP: "10.244.1.10" },
  },
  {
    apiVersion: "cilium.io/v2",
    kind: "CiliumNetworkPolicy",
    metadata: { name: "fqdn-demo", namespace: "web" },
    spec: {
      endpointSelector: { matchLabels: { app: "client" } },
      egress: [
        { toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*.example.com" }] } }] },
        { toFQDNs: [{ matchName: "api.example.com" }], toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }] },
      ],
    },
  },
];

function buildEngine(): Engine {
  const s = loadScenario(DOCS.map((d, i) => ({ file: "fqdn.yaml", index: i, pos: { line: 1, column: 1, offset: 0 }, root: fromPlain(d) })));
  assert.deepEqual(
    s.problems.filter((p) => p.severity === "error"),
    [],
  );
  return new Engine(s.cluster, s.policies);
}

const POD: FlowPeerRef = { kind: "pod", namespace: "web", name: "client" };
const API_IP = "93.184.216.34";

function egressTo(engine: Engine, ip: string): string {
  const r = decide(engine, { from: POD, to: { kind: "ip", ip }, port: 443, protocol: "TCP" });
  assert.ok(r.ok);
  return r.value.verdict;
}

test("§8.5 an answer through the proxy opens toFQDNs egress for its IPs; TTL expiry closes it; E34 keeps CNAME answers on the question name", async () => {
  if (dnsmasq === undefined) throw new Error("dnsmasq did not start");
  const engine = buildEngine();
  const ep = engine.endpoint("web/client");
  assert.ok(ep !== undefined);
  let now = 1_000;
  // The pod's DNS server is 8.8.8.8:53 (world); the proxy forwards to dnsmasq in its place.
  const policy: DnsPolicySource = {
    policyFor: (c) => engine.l7PolicyOf(ep, "egress", engine.identityOfIp(c.destination, "n1"), 17, c.port),
  };
  const proxy = await proxyFor(dnsmasq.port, {
    policy,
    context: { sourceIdentity: ep.identity.id, destination: "8.8.8.8", port: 53 },
    onAnswer: (a) => void engine.learnDnsAnswer(a.name, a.ips, a.ttlSeconds, now),
  });
  try {
    const r = resolverFor(proxy.ports.udp);
    assert.equal(engine.l7PolicyOf(ep, "egress", engine.identityOfIp("8.8.8.8", "n1"), 17, 53).kind, "dns");
    assert.equal(egressTo(engine, API_IP), "deny", "nothing learned yet: egress default deny");

    // www.example.com is a CNAME to api.example.com: the IP is learned for www (E34), which no toFQDNs selects.
    assert.deepEqual(await r.resolve4("www.example.com"), [API_IP]);
    assert.deepEqual(engine.dnsNamesOf(API_IP), ["www.example.com."]);
    assert.equal(egressTo(engine, API_IP), "deny");

    // Names the DNS rule refuses teach nothing.
    assert.equal(await lookupError(r.resolve4("example.com")), "EREFUSED");
    assert.equal(await lookupError(r.resolve4("x.blocked.test")), "EREFUSED");

    now = 1_010;
    assert.deepEqual(await r.resolve4("api.example.com", { ttl: true }), [{ address: API_IP, ttl: 30 }]);
    assert.deepEqual(engine.dnsNamesOf(API_IP).sort(), ["api.example.com.", "www.example.com."]);
    assert.equal(egressTo(engine, API_IP), "allow", "toFQDNs api.example.com now selects the answered IP");
    assert.equal(egressTo(engine, "93.184.216.35"), "deny");

    engine.expireDns(now + 29);
    assert.equal(egressTo(engine, API_IP), "allow", "still within the TTL");
    engine.expireDns(now + 30 + 1);
    assert.equal(egressTo(engine, API_IP), "deny", "the TTL ran out: the FQDN allow is closed");
    assert.deepEqual(engine.dnsNamesOf(API_IP), []);
  } finally {
    await proxy.close();
  }
});
