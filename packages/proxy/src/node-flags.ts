/**
 * The Node flags a process hosting the proxies starts with (the agent, the standalone proxy).
 *
 * `--max-semi-space-size=4` (MiB): under a steady load V8 grows the young generation to its
 * maximum (16 MiB a semi-space) and, after a full GC, sets the old generation's allocation limit
 * as little as 8 MiB above its live size. Once the young generation can hold more than that slack,
 * V8 starts incremental marking right after every scavenge: measured at 16k requests/s after a
 * burst of peak load, a full GC every ~200 ms, each pausing the proxy 10–20 ms. Capped at 4 MiB,
 * the young generation stays below the slack; scavenges come more often but each copies only the
 * requests in flight.
 */
export const PROXY_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=4"];
