import { err, ok, type L7Policy, type Result } from "@membrane/engine";
import { parseHostPort, type HostPort } from "../common/host-port.ts";
import { staticPolicy, type DnsPolicyContext, type DnsPolicySource } from "./context.ts";
import { DnsProxy, type DnsProxyOptions } from "./dns-proxy.ts";

/** What a standalone DNS proxy is started with (the CLI's flags). */
export interface StandaloneDnsProxyOptions extends Pick<
  DnsProxyOptions,
  "onAnswer" | "onFlow" | "rejectCode" | "limits" | "now" | "onError"
> {
  /** `host:port` to listen on (UDP and TCP); port 0 picks a free one. */
  readonly listen: string;
  /** `host:port` of the resolver every allowed query goes to. */
  readonly upstream: string;
  /** The policy of every query: a fixed L7 policy, or a source asked per query. */
  readonly policy: L7Policy | DnsPolicySource;
  /** The fixed policy context (default: identity 0, the upstream as destination, the upstream's port). */
  readonly context?: Partial<Omit<DnsPolicyContext, "direction">>;
}

/** A running standalone DNS proxy. */
export interface DnsProxyHandle {
  /** The listening address (the bound port, when 0 was asked for). */
  readonly address: HostPort;
  /** The bound ports (the same number for both). */
  readonly ports: { readonly udp: number; readonly tcp: number };
  /** The resolver allowed queries go to. */
  readonly upstream: HostPort;
  /** Stops the proxy; resolves when every socket is closed. */
  close(): Promise<void>;
}

/**
 * Starts a DNS proxy in standalone mode: every query, from any client, has one fixed policy
 * context and goes to one upstream resolver. Bad addresses and bind failures come back as errors.
 */
export async function startDnsProxy(options: StandaloneDnsProxyOptions): Promise<Result<DnsProxyHandle, string>> {
  const { listen: listenText, upstream: upstreamText, policy: given, context: fixed, ...hooks } = options;
  const listen = parseHostPort(listenText);
  if (listen === null) return err(`listen address "${listenText}" is not host:port`);
  const upstream = parseHostPort(upstreamText);
  if (upstream === null) return err(`upstream "${upstreamText}" is not host:port`);
  const context: DnsPolicyContext = {
    sourceIdentity: fixed?.sourceIdentity ?? 0,
    destination: fixed?.destination ?? upstreamText,
    port: fixed?.port ?? upstream.port,
    direction: "egress",
  };
  const route = { context, upstream };
  const policy = "policyFor" in given ? given : staticPolicy(given);
  const started = await DnsProxy.start({ ...hooks, listen, routeOf: () => route, policy });
  if (!started.ok) return started;
  const proxy = started.value;
  return ok({
    address: proxy.address,
    ports: { udp: proxy.address.port, tcp: proxy.address.port },
    upstream,
    close: () => proxy.close(),
  });
}
