import { err, ok, type L7Policy, type Result } from "@membrane/engine";
import { parseHostPort, type HostPort } from "../common/host-port.ts";
import { staticPolicy, type DnsPolicyContext, type DnsPolicySource } from "./context.ts";
import { DnsProxy } from "./dns-proxy.ts";
import type { AnswerListener, DnsFlowListener } from "./flow-record.ts";
import type { DnsProxyLimits } from "./limits.ts";
import type { RejectCode } from "./query-handler.ts";

/** What a standalone DNS proxy is started with (the CLI's flags). */
export interface StandaloneDnsProxyOptions {
  /** `host:port` to listen on (UDP and TCP); port 0 picks a free one. */
  readonly listen: string;
  /** `host:port` of the resolver every allowed query goes to. */
  readonly upstream: string;
  /** The policy of every query: a fixed L7 policy, or a source asked per query. */
  readonly policy: L7Policy | DnsPolicySource;
  /** The fixed policy context (default: identity 0, the upstream as destination, the upstream's port). */
  readonly context?: Partial<Omit<DnsPolicyContext, "direction">>;
  readonly onAnswer?: AnswerListener;
  readonly onFlow?: DnsFlowListener;
  readonly rejectCode?: RejectCode;
  readonly limits?: Partial<DnsProxyLimits>;
  readonly now?: () => Date;
  readonly onError?: (message: string) => void;
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
  const listen = parseHostPort(options.listen);
  if (listen === null) return err(`listen address "${options.listen}" is not host:port`);
  const upstream = parseHostPort(options.upstream);
  if (upstream === null) return err(`upstream "${options.upstream}" is not host:port`);
  const context: DnsPolicyContext = {
    sourceIdentity: options.context?.sourceIdentity ?? 0,
    destination: options.context?.destination ?? options.upstream,
    port: options.context?.port ?? upstream.port,
    direction: "egress",
  };
  const route = { context, upstream };
  const policy = "policyFor" in options.policy ? options.policy : staticPolicy(options.policy);
  const started = await DnsProxy.start({
    listen,
    routeOf: () => route,
    policy,
    ...(options.onAnswer === undefined ? {} : { onAnswer: options.onAnswer }),
    ...(options.onFlow === undefined ? {} : { onFlow: options.onFlow }),
    ...(options.rejectCode === undefined ? {} : { rejectCode: options.rejectCode }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
  if (!started.ok) return started;
  const proxy = started.value;
  return ok({
    address: proxy.address,
    ports: { udp: proxy.address.port, tcp: proxy.address.port },
    upstream,
    close: () => proxy.close(),
  });
}
