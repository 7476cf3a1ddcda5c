/**
 * The Node flags a process hosting the proxies starts with (the agent, the standalone proxy).
 *
 * `--max-semi-space-size=4` (MiB): under a steady load V8 grows the young generation toward its
 * maximum (25 MiB between scavenges, measured) and, after a full GC, may set the old generation's
 * allocation limit as little as 8 MiB above its live size. V8 starts incremental marking as soon
 * as the old generation's room is no larger than the young generation's capacity
 * (`Heap::IncrementalMarkingLimitReached`), so then every scavenge starts a full GC: measured at
 * 16k requests/s after a burst of peak load, one every 0.2–0.4 s, each pausing the proxy 10–20 ms.
 * Capped at 4 MiB, the young generation stays below that room; scavenges come more often but each
 * copies only the requests in flight.
 */
export const PROXY_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=4"];
