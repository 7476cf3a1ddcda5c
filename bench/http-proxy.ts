/**
 * The HTTP proxy against nginx, side by side on one upstream:
 *
 * - `http_proxy_rps_vs_nginx`: membrane's HTTP proxy's peak requests/s divided by nginx's (one
 *   worker, keep-alive upstream) as a reverse proxy to the same upstream. Peak: wrk, one thread,
 *   {@link CONNECTIONS} keep-alive connections, `POST /v1/request-landing` (allowed by the
 *   star-wars policy the proxy enforces), 1 s warm-up then {@link SECONDS} s measured; two rounds
 *   alternating nginx and membrane, the best of each.
 * - `http_proxy_added_p99_ms`: at half of membrane's peak, offered open-loop by a Node client on
 *   raw sockets ({@link CONNECTIONS} connections, 1 s warm-up then {@link PACED_SECONDS} s
 *   measured), the p99 latency through the proxy minus the p99 straight to the upstream; two
 *   rounds alternating upstream, membrane and nginx, the lowest p99 of each (other load on the
 *   machine only ever adds latency).
 *
 * The upstream (a raw `node:net` responder), nginx, the proxy and the load generator are each their
 * own process. Progress goes to stderr; the last stdout line is the JSON of figures. With
 * BENCH_CPU_PROF=DIR the proxy runs under Node's CPU profiler and writes DIR/http-proxy.cpuprofile.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLoop, wrk, type OpenLoopResult } from "./lib/http-load.ts";
import { startNginx, type Nginx } from "./lib/nginx.ts";
import { NODE, profileFlags, progress, quantile, ROOT, spawnReady, stop, type Started } from "./lib/procs.ts";

const CONNECTIONS = 64;
const WARMUP_S = 1;
const SECONDS = 5;
const ROUNDS = 2;
const PACED_SECONDS = 4;
const METHOD = "POST";
const PATH = "/v1/request-landing";

/** One request through `port`; throws unless it is answered 200 (the policy must allow it). */
function check(port: number, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: METHOD, path: PATH, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on("end", () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`${name}: ${METHOD} ${PATH} answered ${res.statusCode}`)),
      );
    });
    req.on("error", (e) => reject(new Error(`${name}: ${e.message}`)));
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end();
  });
}

async function peak(name: string, port: number, dir: string): Promise<number> {
  const url = `http://127.0.0.1:${port}${PATH}`;
  await wrk(url, METHOD, CONNECTIONS, WARMUP_S, dir);
  const r = await wrk(url, METHOD, CONNECTIONS, SECONDS, dir);
  if (r.errors > 0) throw new Error(`${name}: ${r.errors} errors of ${r.requests} requests under load`);
  progress(`  ${name}: ${Math.round(r.rps)} requests/s`);
  return r.rps;
}

const REQUEST = Buffer.from(`${METHOD} ${PATH} HTTP/1.1\r\nHost: deathstar.default.svc.cluster.local\r\n\r\n`, "latin1");

async function paced(name: string, port: number, rps: number): Promise<number> {
  const r: OpenLoopResult = await openLoop({
    port,
    request: REQUEST,
    rps,
    connections: CONNECTIONS,
    warmupMs: WARMUP_S * 1000,
    durationMs: PACED_SECONDS * 1000,
  });
  if (r.errors > 0) throw new Error(`${name}: ${r.errors} errors at ${Math.round(rps)} requests/s`);
  const p50 = quantile(r.latenciesMs, 0.5);
  const p99 = quantile(r.latenciesMs, 0.99);
  progress(
    `  ${name}: offered ${Math.round(r.offeredRps)}/s, completed ${Math.round(r.achievedRps)}/s, p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms`,
  );
  return p99;
}

const dir = mkdtempSync(join(tmpdir(), "membrane-bench-http-"));
let upstream: Started<{ port: number }> | null = null;
let nginx: Nginx | null = null;
let membrane: Started<{ listening: string }> | null = null;
try {
  upstream = await spawnReady<{ port: number }>(NODE, [join(ROOT, "bench/lib/http-upstream.ts")]);
  const upstreamPort = upstream.ready.port;
  nginx = await startNginx(dir, upstreamPort, CONNECTIONS);
  membrane = await spawnReady<{ listening: string }>(NODE, [
    ...profileFlags("http-proxy"),
    join(ROOT, "packages/proxy/src/main.ts"),
    "http",
    "--listen",
    "127.0.0.1:0",
    "--upstream",
    `127.0.0.1:${upstreamPort}`,
    "--policy",
    join(ROOT, "examples/star-wars"),
    "--from",
    "default/tiefighter",
    "--to",
    "default/deathstar-c74d84667-cx5kp",
    "--port",
    "80",
  ]);
  const membranePort = Number(membrane.ready.listening.split(":").at(-1));
  await check(upstreamPort, "upstream");
  await check(nginx.port, "nginx");
  await check(membranePort, "membrane");

  progress(`http: peak requests/s, wrk -t1 -c${CONNECTIONS}, ${SECONDS} s each`);
  const direct = await peak("upstream direct", upstreamPort, dir);
  let nginxRps = 0;
  let membraneRps = 0;
  for (let round = 0; round < ROUNDS; round++) {
    nginxRps = Math.max(nginxRps, await peak("nginx", nginx.port, dir));
    membraneRps = Math.max(membraneRps, await peak("membrane", membranePort, dir));
  }

  const half = Math.round(membraneRps / 2);
  progress(`http: p99 at ${half} requests/s (half of membrane's peak), open loop, ${CONNECTIONS} connections`);
  let p99Direct = Infinity;
  let p99Membrane = Infinity;
  let p99Nginx = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    p99Direct = Math.min(p99Direct, await paced("upstream direct", upstreamPort, half));
    p99Membrane = Math.min(p99Membrane, await paced("membrane", membranePort, half));
    p99Nginx = Math.min(p99Nginx, await paced("nginx", nginx.port, half));
  }

  console.log(
    JSON.stringify({
      http_proxy_rps_vs_nginx: Number((membraneRps / nginxRps).toFixed(3)),
      http_proxy_added_p99_ms: Number((p99Membrane - p99Direct).toFixed(3)),
      http_membrane_rps: Math.round(membraneRps),
      http_nginx_rps: Math.round(nginxRps),
      http_upstream_direct_rps: Math.round(direct),
      http_half_load_rps: half,
      http_direct_p99_ms: Number(p99Direct.toFixed(3)),
      http_membrane_p99_ms: Number(p99Membrane.toFixed(3)),
      http_nginx_added_p99_ms: Number((p99Nginx - p99Direct).toFixed(3)),
    }),
  );
} finally {
  if (membrane !== null) await stop(membrane.child);
  if (nginx !== null) await nginx.close();
  if (upstream !== null) await stop(upstream.child);
  rmSync(dir, { recursive: true, force: true });
}
