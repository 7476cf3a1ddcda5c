/**
 * Measures parseManifest on a generated stream of 10,000 CiliumNetworkPolicy documents (~7 MB).
 * Not a test: run `node packages/manifest/src/perf-check.ts` and read the figures. Target: at
 * most 400 ms per parse on Node 24, with a modest heap.
 */
import { parseManifest } from "./index.ts";

const DOCUMENTS = 10_000;
const RUNS = Number(process.env.RUNS ?? 5);

function policy(i: number): string {
  const ns = `team-${i % 50}`;
  return `---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: api-policy-${i}
  namespace: ${ns}
spec:
  endpointSelector:
    matchLabels:
      app: api-${i}
  ingress:
    - fromEndpoints:
        - matchLabels:
            "k8s:app": frontend
            "k8s:io.kubernetes.pod.namespace": ${ns}
      toPorts:
        - ports:
            - port: "8080"
              protocol: TCP
          rules:
            http:
              - method: GET
                path: "/api/v1/items/.*"
  egress:
    - toCIDRSet:
        - cidr: 10.${i % 256}.0.0/16
          except:
            - 10.${i % 256}.1.0/24
    - toFQDNs:
        - matchPattern: "*.storage.example.com"
      toPorts:
        - ports: [{port: "443", protocol: TCP}, {port: "80", protocol: TCP}]
`;
}

const parts: string[] = [];
for (let i = 0; i < DOCUMENTS; i++) parts.push(policy(i));
const text = parts.join("");
console.log(`input: ${DOCUMENTS} documents, ${(text.length / 1e6).toFixed(2)} MB`);

// With --expose-gc the script also reports the heap the parsed result keeps alive.
const gc = (globalThis as { gc?: () => void }).gc;
const rssBefore = process.memoryUsage().rss;

// One parse, in its own frame so that no result of an earlier run is still reachable.
function measure(run: number): boolean {
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const parsed = parseManifest("policies.yaml", text);
  const ms = performance.now() - started;
  const { rss, heapUsed } = process.memoryUsage();
  gc?.();
  const kept = gc === undefined ? "" : `, result keeps ${((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toFixed(0)} MiB`;
  const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
  console.log(
    `run ${run}${run === 1 ? " (cold)" : ""}: ${ms.toFixed(0)} ms, rss ${mib(rss)} MiB (+${mib(rss - rssBefore)}), heap used ${mib(heapUsed)} MiB${kept}`,
  );
  return parsed.documents.length === DOCUMENTS && parsed.issues.length === 0;
}

let ok = true;
for (let run = 1; run <= RUNS; run++) ok = measure(run) && ok;
console.log(ok ? `all ${DOCUMENTS} documents parsed without issues` : "unexpected issues or missing documents");
if (!ok) process.exitCode = 1;
