/**
 * The DNS proxy benchmark's proxy, run as its own process: `startDnsProxy` in standalone mode with
 * a DNS policy allowing `matchName` NAME, in front of the resolver at UPSTREAM.
 *
 * `node bench/lib/dns-proxy-server.ts UPSTREAM NAME` prints `{"port":N}` once listening on
 * 127.0.0.1 (UDP and TCP); SIGTERM stops it.
 */
import type { L7Policy } from "@membrane/engine";
import { startDnsProxy } from "@membrane/proxy";

const [upstream, name] = process.argv.slice(2);
if (upstream === undefined || name === undefined) {
  process.stderr.write("usage: dns-proxy-server.ts UPSTREAM_HOST:PORT NAME\n");
  process.exit(2);
}
const policy: L7Policy = { kind: "dns", rules: [{ kind: "matchName", matchName: name, pos: { line: 1, column: 1, offset: 0 } }] };
const started = await startDnsProxy({
  listen: "127.0.0.1:0",
  upstream,
  policy,
  onError: (m) => process.stderr.write(`dns proxy: ${m}\n`),
});
if (!started.ok) {
  process.stderr.write(`dns proxy: ${started.error}\n`);
  process.exit(1);
}
const proxy = started.value;
process.stdout.write(`${JSON.stringify({ port: proxy.ports.udp })}\n`);
const stop = (): void => void proxy.close().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
