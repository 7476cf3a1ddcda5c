import type { L7Policy } from "@membrane/engine";
import { HttpProxy, StaticPolicySource, type ConnectionContext, type L7FlowRecord, type ProxyLimits } from "../index.ts";

/** The context the test proxies run with. */
export const TEST_CONTEXT: ConnectionContext = { sourceIdentity: 1234, destination: "default/server", port: 80, direction: "ingress" };

/** A running proxy with the flow records it emitted. */
export interface TestProxy {
  readonly port: number;
  readonly proxy: HttpProxy;
  readonly flows: L7FlowRecord[];
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (ephemeral port) enforcing `policy`, forwarding to 127.0.0.1:`upstreamPort`. */
export async function startProxy(
  policy: L7Policy,
  upstreamPort: number,
  limits: Partial<ProxyLimits> = {},
  audited = false,
): Promise<TestProxy> {
  const flows: L7FlowRecord[] = [];
  const proxy = new HttpProxy({
    policy: new StaticPolicySource(policy, audited),
    route: { context: TEST_CONTEXT, upstream: { host: "127.0.0.1", port: upstreamPort } },
    limits,
    onFlow: (r) => flows.push(r),
  });
  const bound = await proxy.listen("127.0.0.1", 0);
  if (!bound.ok) throw new Error(bound.error);
  return { port: bound.value.port, proxy, flows, close: () => proxy.close() };
}
