/**
 * The HTTP proxy against nginx, side by side on one upstream:
 *
 * - `http_proxy_rps_vs_nginx`: membrane's HTTP proxy's peak requests/s divided by nginx's (one
 *   worker, keep-alive upstream) as a reverse proxy to the same upstream. Peak: wrk, one thread,
 *   {@link CONNECTIONS} keep-alive connections, `POST /v1/request-landing` (allowed by the
 *   star-wars policy the proxy enforces), 1 s warm-up then {@link SECONDS} s measured; two rounds
 *   alternating nginx and membrane, the best of each.
 * - `http_proxy_added_p99_ms`: at half of membrane's peak, offered open-loop by the native client
 *   of `lib/open-loop.c` ({@link CONNECTIONS} connections, 1 s warm-up then {@link PACED_SECONDS} s
 *   measured), the p99 latency through the proxy minus the p99 straight to the upstream; two
 *   rounds alternating upstream, membrane and nginx, the lowest p99 of each (other load on the
 *   machine only ever adds latency).
 * - `http_nginx_added_p99_ms_at_half_its_peak`: the same figure for nginx at half of its own peak,
 *   what the reference proxy achieves by this measure on this machine.
 *
 * The proxy under test (membrane's, or nginx) has CPU {@link SERVER_CPU} to itself; the load
 * generators and the upstream share the other. Unpinned, the three contend for both cores and the
 * scheduler's placement becomes the figure: a proxy offered half its peak queued for tens of ms.
 *
 * The upstream (a raw `node:net` responder), nginx, the proxy and the load generator are each their
 * own process. Progress goes to stderr; the last stdout line is the JSON of figures. With
 * BENCH_CPU_PROF=DIR the proxy runs under Node's CPU profiler and writes DIR/http-proxy.cpuprofile.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROXY_NODE_FLAGS } from "@membrane/proxy";
import { buildOpenLoop, openLoop, wrk } from "./lib/http-load.ts";
import { startNginx, type Nginx } from "./lib/nginx.ts";
import { CLIENT_CPU, NODE, onCpu, pinSelf, profileFlags, progress, ROOT, SERVER_CPU, spawnReady, stop, type Started } from "./lib/procs.ts";

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

const REQUEST = `${METHOD} ${PATH} HTTP/1.1\r\nHost: deathstar.default.svc.cluster.local\r\n\r\n`;

async function paced(client: string, name: string, port: number, rps: number): Promise<number> {
  const r = await openLoop(client, {
    port,
    request: REQUEST,
    rps,
    connections: CONNECTIONS,
    warmupMs: WARMUP_S * 1000,
    durationMs: PACED_SECONDS * 1000,
  });
  if (r.errors > 0) throw new Error(`${name}: ${r.errors} errors at ${Math.round(rps)} requests/s`);
  progress(
    `  ${name}: offered ${Math.round(r.offeredRps)}/s, completed ${Math.round(r.achievedRps)}/s, p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms, p99.9 ${r.p999Ms.toFixed(3)} ms`,
  );
  return r.p99Ms;
}

interface Target {
  readonly name: string;
  readonly port: number;
}

/** The lowest p99 of {@link ROUNDS} paced runs of each target at `rps`, the targets taking turns. */
async function lowestP99s<const T extends readonly Target[]>(client: string, targets: T, rps: number): Promise<{ [K in keyof T]: number }> {
  const lowest = targets.map(() => Infinity);
  for (let round = 0; round < ROUNDS; round++)
    for (const [i, t] of targets.entries()) lowest[i] = Math.min(lowest[i]!, await paced(client, t.name, t.port, rps));
  return lowest as { [K in keyof T]: number };
}

const dir = mkdtempSync(join(tmpdir(), "membrane-bench-http-"));
let upstream: Started<{ port: number }> | null = null;
let nginx: Nginx | null = null;
let membrane: Started<{ listening: string }> | null = null;
try {
  const client = buildOpenLoop(dir);
  pinSelf(CLIENT_CPU);
  upstream = await spawnReady<{ port: number }>(NODE, [join(ROOT, "bench/lib/http-upstream.ts")]);
  const upstreamPort = upstream.ready.port;
  nginx = await startNginx(dir, upstreamPort, CONNECTIONS);
  membrane = await spawnReady<{ listening: string }>(
    ...onCpu(SERVER_CPU, NODE, [
      ...profileFlags("http-proxy"),
      ...PROXY_NODE_FLAGS,
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
    ]),
  );
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

  const upstreamTarget = { name: "upstream direct", port: upstreamPort };
  const nginxTarget = { name: "nginx", port: nginx.port };
  const half = Math.round(membraneRps / 2);
  progress(`http: p99 at ${half} requests/s (half of membrane's peak), open loop, ${CONNECTIONS} connections`);
  const [p99Direct, p99Membrane, p99Nginx] = await lowestP99s(
    client,
    [upstreamTarget, { name: "membrane", port: membranePort }, nginxTarget],
    half,
  );
  const nginxHalf = Math.round(nginxRps / 2);
  progress(`http: p99 at ${nginxHalf} requests/s (half of nginx's peak), open loop, ${CONNECTIONS} connections`);
  const [p99DirectAtNginxHalf, p99NginxAtItsHalf] = await lowestP99s(client, [upstreamTarget, nginxTarget], nginxHalf);

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
      http_nginx_half_load_rps: nginxHalf,
      http_nginx_added_p99_ms_at_half_its_peak: Number((p99NginxAtItsHalf - p99DirectAtNginxHalf).toFixed(3)),
    }),
  );
} finally {
  if (membrane !== null) await stop(membrane.child);
  if (nginx !== null) await nginx.close();
  if (upstream !== null) await stop(upstream.child);
  rmSync(dir, { recursive: true, force: true });
}
