import { HttpProxy } from "../http/proxy-server.ts";
import { StaticPolicySource } from "../http/policy-source.ts";
import type { L7FlowRecord } from "../http/flow-record.ts";
import { parseProxyArgs, USAGE } from "./args.ts";
import { loadStandalonePolicy } from "./load-policy.ts";

/** Where the standalone proxy writes. */
export interface Output {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/**
 * Runs the standalone proxy: reads the arguments, computes the policy, listens. Resolves with the
 * running proxy, or with an exit code when it could not start (2: usage, 1: policy or listen).
 */
export async function runStandalone(argv: readonly string[], io: Output): Promise<HttpProxy | number> {
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
  const { policy, context } = loaded.value;
  if (policy.kind === "not-redirected") {
    io.err(
      "membrane-proxy: warning: this connection is not redirected to an L7 proxy by policy (L3/L4 decides it); every request will be denied",
    );
  }
  const onFlow = args.value.flows ? (r: L7FlowRecord): void => io.out(JSON.stringify(r, jsonValue)) : undefined;
  const proxy = new HttpProxy({
    policy: new StaticPolicySource(policy),
    route: { context, upstream: args.value.upstream },
    limits: args.value.limits,
    ...(onFlow === undefined ? {} : { onFlow }),
  });
  const bound = await proxy.listen(args.value.listen.host, args.value.listen.port);
  if (!bound.ok) {
    io.err(`membrane-proxy: ${bound.error}`);
    return 1;
  }
  const a = bound.value;
  const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
  io.out(JSON.stringify({ listening: `${host}:${a.port}`, policy: policy.kind, context }));
  return proxy;
}

function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? Number(value) : value;
}
