import type { L7Policy } from "@membrane/engine";
import type { Upstream } from "../common/dial.ts";
import type { Audited } from "../common/disposition.ts";
import type { HostPort } from "../common/host-port.ts";

/**
 * Who a query comes from and where it was going: what the DNS proxy needs to find the policy and
 * the upstream of one query. The shapes match the HTTP proxy's, so one policy source serves both.
 */

/** The policy context of a redirected DNS query: as Cilium keys an L7 policy lookup. */
export interface DnsPolicyContext {
  /** The numeric identity of the client that sent the query. */
  readonly sourceIdentity: number;
  /** The endpoint whose policy applies (any stable name the policy source understands). */
  readonly destination: string;
  /** The destination port the policy was written for (53 in practice; not the proxy's own port). */
  readonly port: number;
  /** Always `egress`: DNS rules exist only in egress (§8.4). */
  readonly direction: "egress";
}

/**
 * Where the proxy gets a connection's L7 policy; asked for every query, so policy changes apply at
 * once. It may answer asynchronously. Structurally the HTTP proxy's `L7PolicySource`.
 */
export interface DnsPolicySource extends Audited<DnsPolicyContext> {
  policyFor(conn: DnsPolicyContext): L7Policy | Promise<L7Policy>;
}

export type { HostPort };

/** How a query reached the proxy: the client's address and the proxy address it was sent to. */
export interface DnsPeer {
  readonly protocol: "udp" | "tcp";
  readonly remote: HostPort;
  readonly local: HostPort;
}

/** Everything the proxy needs to serve one query: its policy context and the original destination server. */
export interface DnsRoute {
  readonly context: DnsPolicyContext;
  readonly upstream: Upstream;
}

/**
 * Finds a query's route (for a transparent proxy: the datapath's identity of the client and the
 * server it originally addressed). `null` means the client is unknown: the proxy answers SERVFAIL,
 * as Cilium does when it cannot find the endpoint.
 */
export type DnsRouteResolver = (peer: DnsPeer) => DnsRoute | null;

/** A policy source that answers one fixed policy for every query (standalone mode and tests). */
export function staticPolicy(policy: L7Policy): DnsPolicySource {
  return { policyFor: () => policy };
}
