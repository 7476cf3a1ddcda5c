import { formatHostPort } from "../common/host-port.ts";
import { startDnsProxy } from "../dns/standalone.ts";
import { HttpProxy } from "../http/proxy-server.ts";
import { StaticPolicySource } from "../http/policy-source.ts";
import { TlsProxy } from "../tls/proxy-server.ts";
import { parseProxyArgs, USAGE, type ProxyArgs } from "./args.ts";
import { loadStandalonePolicy, type StandalonePolicy } from "./load-policy.ts";

/** Where the standalone proxy writes. */
export interface Output {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** A running standalone proxy. */
export interface RunningProxy {
  close(): Promise<void>;
}

/**
 * Runs the standalone proxy: reads the arguments, computes the policy, listens. Resolves with the
 * running proxy, or with an exit code when it could not start (2: usage, 1: policy or listen).
 */
export async function runStandalone(argv: readonly string[], io: Output): Promise<RunningProxy | number> {
  const args = parseProxyArgs(argv);
  if (!args.ok) {
    io.err(`membrane-proxy: ${args.error}`);
    io.err(USAGE);
    return 2;
  }
  const loaded = await loadStandalonePolicy(args.value);
  if (!loaded.ok) {
    io.err(`membrane-proxy: ${loaded.error}`);
    return 1;
  }
  if (loaded.value.policy.kind === "not-redirected") {
    io.err(
      "membrane-proxy: warning: this connection is not redirected to an L7 proxy by policy (L3/L4 decides it); every request will be denied",
    );
  }
  return args.value.command === "dns" ? listenDns(args.value, loaded.value, io) : listenTcp(args.value, loaded.value, io);
}

/** The HTTP or the TLS proxy: one connection context, one upstream. */
async function listenTcp(args: ProxyArgs, { policy, context }: StandalonePolicy, io: Output): Promise<RunningProxy | number> {
  const options = {
    policy: new StaticPolicySource(policy),
    route: { context, upstream: args.upstream },
    ...(args.flows ? { onFlow: printFlow(io) } : {}),
  };
  const proxy = args.command === "tls" ? new TlsProxy(options) : new HttpProxy({ ...options, limits: args.limits });
  const bound = await proxy.listen(args.listen.host, args.listen.port);
  if (!bound.ok) {
    io.err(`membrane-proxy: ${bound.error}`);
    return 1;
  }
  const a = bound.value;
  announce(io, a.address, a.port, policy.kind, context);
  return proxy;
}

async function listenDns(args: ProxyArgs, { policy, context }: StandalonePolicy, io: Output): Promise<RunningProxy | number> {
  const started = await startDnsProxy({
    listen: formatHostPort(args.listen.host, args.listen.port),
    upstream: formatHostPort(args.upstream.host, args.upstream.port),
    policy,
    context: { sourceIdentity: context.sourceIdentity, destination: context.destination, port: context.port },
    ...(args.flows ? { onFlow: printFlow(io) } : {}),
    onError: (message) => io.err(`membrane-proxy: ${message}`),
  });
  if (!started.ok) {
    io.err(`membrane-proxy: ${started.error}`);
    return 1;
  }
  const { address } = started.value;
  announce(io, address.host, address.port, policy.kind, context);
  return started.value;
}

/** The ready line: where the proxy listens and which policy it enforces. */
function announce(io: Output, host: string, port: number, policy: string, context: StandalonePolicy["context"]): void {
  io.out(JSON.stringify({ listening: formatHostPort(host, port), policy, context }));
}

function printFlow(io: Output): (record: object) => void {
  return (record) => io.out(JSON.stringify(record, jsonValue));
}

function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? Number(value) : value;
}
