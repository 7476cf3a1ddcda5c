import dgram from "node:dgram";
import { Resolver } from "node:dns/promises";
import type { FqdnSelector, L7Policy } from "@membrane/engine";
import type { DnsFlowRecord } from "../flow-record.ts";
import { startDnsProxy, type DnsProxyHandle, type StandaloneDnsProxyOptions } from "../standalone.ts";

const pos = { line: 1, column: 1, offset: 0 };

/** A DNS L7 policy from `matchName` texts and `~pattern` texts. */
export function dnsPolicy(...rules: string[]): L7Policy {
  return {
    kind: "dns",
    rules: rules.map((r): FqdnSelector =>
      r.startsWith("~") ? { kind: "matchPattern", matchPattern: r.slice(1), pos } : { kind: "matchName", matchName: r, pos },
    ),
  };
}

/** Starts a standalone proxy on 127.0.0.1 (a free port) in front of `upstreamPort`; throws if it cannot. */
export async function proxyFor(
  upstreamPort: number,
  options: Omit<StandaloneDnsProxyOptions, "listen" | "upstream">,
): Promise<DnsProxyHandle & { readonly flows: DnsFlowRecord[] }> {
  const flows: DnsFlowRecord[] = [];
  const started = await startDnsProxy({
    listen: "127.0.0.1:0",
    upstream: `127.0.0.1:${upstreamPort}`,
    onFlow: (f) => {
      flows.push(f);
      options.onFlow?.(f);
    },
    ...options,
  });
  if (!started.ok) throw new Error(started.error);
  return { ...started.value, flows };
}

/** Node's stub resolver pointed at 127.0.0.1:`port`: one try, so each lookup is one query. */
export function resolverFor(port: number, timeout = 3000): Resolver {
  const r = new Resolver({ timeout, tries: 1 });
  r.setServers([`127.0.0.1:${port}`]);
  return r;
}

/** The error code a rejected lookup ends with. */
export async function lookupError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "resolved";
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

/** A UDP "resolver" that receives queries and answers through `respond` (or not at all). */
export async function fakeUpstream(
  respond: (query: Buffer) => Uint8Array | null,
): Promise<{ port: number; received: Buffer[]; close(): Promise<void> }> {
  const sock = dgram.createSocket("udp4");
  const received: Buffer[] = [];
  sock.on("message", (m, rinfo) => {
    received.push(m);
    const reply = respond(m);
    if (reply !== null) sock.send(reply, rinfo.port, rinfo.address);
  });
  const port = await new Promise<number>((resolve) => sock.bind(0, "127.0.0.1", () => resolve(sock.address().port)));
  return { port, received, close: () => new Promise((r) => sock.close(() => r())) };
}

/** A port on 127.0.0.1 where nothing listens (bound, read, released). */
export async function deadPort(): Promise<number> {
  const sock = dgram.createSocket("udp4");
  const port = await new Promise<number>((resolve) => sock.bind(0, "127.0.0.1", () => resolve(sock.address().port)));
  await new Promise<void>((r) => sock.close(() => r()));
  return port;
}
