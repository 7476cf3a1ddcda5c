/**
 * Benchmark: `observe_flows_per_s` — flows ingested into a 1,000,000-flow ring and filtered with
 * several flags at once (namespace, verdict, L4 port, label selector), as the agent's observer does.
 */
import { flowFilter, FlowRing, type HubbleFlow } from "@membrane/engine";

const N = 1_000_000;
const verdicts = ["FORWARDED", "DROPPED", "REDIRECTED"] as const;
const flows: HubbleFlow[] = Array.from({ length: 1000 }, (_, i) => ({
  time: new Date(1_700_000_000_000 + i).toISOString(),
  verdict: verdicts[i % 3]!,
  IP: { source: `10.0.${i % 250}.${i % 200}`, destination: "10.1.0.5", ipVersion: "IPv4" },
  l4: { TCP: { source_port: 40000 + i, destination_port: [80, 443, 5432][i % 3]!, flags: { SYN: true } } },
  source: {
    identity: 256 + (i % 50),
    namespace: `ns-${i % 10}`,
    pod_name: `client-${i}`,
    labels: [`k8s:app=client-${i % 7}`, `k8s:io.kubernetes.pod.namespace=ns-${i % 10}`],
  },
  destination: { identity: 300, namespace: "shop", pod_name: "db-0", labels: ["k8s:app=db", "k8s:io.kubernetes.pod.namespace=shop"] },
  Type: "L3_L4",
  event_type: { type: 5 },
  traffic_direction: "INGRESS",
  policy_match_type: 2,
}));
const preds = [
  flowFilter("namespace", "either", ["shop"]),
  flowFilter("verdict", "either", ["DROPPED", "FORWARDED"]),
  flowFilter("port", "to", ["80", "5432"]),
  flowFilter("label", "from", ["k8s:app in (client-1, client-2, client-3)"]),
].map((r) => {
  if (!r.ok) throw new Error(r.error);
  return r.value;
});
const ring = new FlowRing(N);
const t0 = performance.now();
let matched = 0;
for (let i = 0; i < N; i++) {
  const f = flows[i % flows.length]!;
  ring.push(f);
  if (preds.every((p) => p(f))) matched++;
}
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ observe_flows_per_s: Math.round(N / seconds), observe_matched: matched }));
