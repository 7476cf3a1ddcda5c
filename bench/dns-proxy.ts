/**
 * The DNS proxy over UDP, in front of a dnsmasq upstream that answers `api.example.com` from a
 * host-record (the proxy's policy allows that name, so every query is decided and forwarded):
 *
 * - `dns_proxy_qps`: answers/s through the proxy with 256 queries always outstanding (4 sockets ×
 *   64), 1 s warm-up then {@link SECONDS} s measured; the best of two runs. Queries UDP drops
 *   (full receive buffers) are replaced after 200 ms; their share is `dns_proxy_lost_share`.
 * - `dns_proxy_p99_ms_at_1k_qps`: the p99 latency of queries offered at 1,000/s (1 s warm-up,
 *   {@link SECONDS} s measured); the lower of two runs.
 *
 * The same client also measures dnsmasq directly (one run), for reference. dnsmasq, the proxy and the load
 * generator are each their own process. Progress goes to stderr; the last stdout line is the JSON
 * of figures. With BENCH_CPU_PROF=DIR the proxy runs under Node's CPU profiler and writes
 * DIR/dns-proxy.cpuprofile.
 */
import { join } from "node:path";
import { encodeMessage, PROXY_NODE_FLAGS, RR_TYPE, CLASS_IN } from "@membrane/proxy";
import { startDnsmasq, type Dnsmasq } from "../packages/proxy/src/dns/test-support/dnsmasq.ts";
import { closedLoop, pacedLoop } from "./lib/dns-load.ts";
import { NODE, profileFlags, progress, quantile, ROOT, spawnReady, stop, type Started } from "./lib/procs.ts";

const NAME = "api.example.com";
const SOCKETS = 4;
const WINDOW = 64;
const WARMUP_S = 1;
const SECONDS = 5;
const ROUNDS = 2;
const PACED_QPS = 1000;

const encoded = encodeMessage({
  header: { id: 0, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, z: false, ad: false, cd: false, rcode: 0 },
  questions: [{ name: NAME, type: RR_TYPE.A, class: CLASS_IN }],
  answers: [],
  authorities: [],
  additionals: [],
});
if (!encoded.ok) throw new Error(encoded.error.message);
const QUERY = encoded.value;

/** The best answers/s of `rounds` closed-loop runs, and its share of lost queries. */
async function peak(name: string, port: number, rounds: number): Promise<{ qps: number; lostShare: number }> {
  let best = { qps: 0, lostShare: 0 };
  for (let round = 0; round < rounds; round++) {
    const r = await closedLoop(port, QUERY, SOCKETS, WINDOW, WARMUP_S * 1000, SECONDS * 1000);
    if (r.errors > 0 || r.lost > r.answered / 100)
      throw new Error(`${name}: ${r.errors} bad answers and ${r.lost} lost queries of ${r.answered}`);
    progress(`  ${name}: ${Math.round(r.qps)} queries/s (${r.lost} lost)`);
    if (r.qps > best.qps) best = { qps: r.qps, lostShare: r.lost / (r.answered + r.lost) };
  }
  return best;
}

/** The lowest p99 of `rounds` paced runs (other load on the machine only ever adds latency). */
async function paced(name: string, port: number, rounds: number): Promise<number> {
  let best = Infinity;
  for (let round = 0; round < rounds; round++) {
    const r = await pacedLoop(port, QUERY, PACED_QPS, WARMUP_S * 1000, SECONDS * 1000);
    if (r.errors > 0) throw new Error(`${name}: ${r.errors} bad answers at ${PACED_QPS} queries/s`);
    const p50 = quantile(r.latenciesMs, 0.5);
    const p99 = quantile(r.latenciesMs, 0.99);
    progress(`  ${name}: offered ${Math.round(r.offeredQps)}/s, p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms (${r.lost} lost)`);
    best = Math.min(best, p99);
  }
  return best;
}

let dnsmasq: Dnsmasq | null = null;
let proxy: Started<{ port: number }> | null = null;
try {
  dnsmasq = await startDnsmasq();
  proxy = await spawnReady<{ port: number }>(NODE, [
    ...profileFlags("dns-proxy"),
    ...PROXY_NODE_FLAGS,
    join(ROOT, "bench/lib/dns-proxy-server.ts"),
    `127.0.0.1:${dnsmasq.port}`,
    NAME,
  ]);
  const proxyPort = proxy.ready.port;

  progress(`dns: peak queries/s, ${SOCKETS} sockets × ${WINDOW} outstanding, ${SECONDS} s each`);
  const direct = await peak("dnsmasq direct", dnsmasq.port, 1);
  const proxied = await peak("membrane", proxyPort, ROUNDS);
  progress(`dns: p99 at ${PACED_QPS} queries/s`);
  const directP99 = await paced("dnsmasq direct", dnsmasq.port, 1);
  const proxyP99 = await paced("membrane", proxyPort, ROUNDS);

  console.log(
    JSON.stringify({
      dns_proxy_qps: Math.round(proxied.qps),
      dns_proxy_p99_ms_at_1k_qps: Number(proxyP99.toFixed(3)),
      dns_proxy_lost_share: Number(proxied.lostShare.toFixed(5)),
      dns_direct_qps: Math.round(direct.qps),
      dns_direct_p99_ms_at_1k_qps: Number(directP99.toFixed(3)),
    }),
  );
} finally {
  if (proxy !== null) await stop(proxy.child);
  if (dnsmasq !== null) await dnsmasq.stop();
}
