import type { Socket } from "node:net";
import type { Upstream } from "../common/dial.ts";

/**
 * What the proxy knows about one accepted connection: who talks to whom, and where allowed
 * requests go.
 */

/** The policy context of a redirected connection: as Cilium keys an L7 policy lookup. */
export interface ConnectionContext {
  /** The numeric identity of the peer that opened the connection. */
  readonly sourceIdentity: number;
  /** The endpoint whose policy applies, as `namespace/pod` (or any stable name the policy source understands). */
  readonly destination: string;
  /** The destination port the policy was written for (not the proxy's own port). */
  readonly port: number;
  /** `ingress` when the destination's ingress policy applies, `egress` when the source's egress policy does. */
  readonly direction: "ingress" | "egress";
}

export type { Upstream } from "../common/dial.ts";

/** Everything the proxy needs to serve one connection. */
export interface ConnectionRoute {
  readonly context: ConnectionContext;
  readonly upstream: Upstream;
}

/**
 * Finds the route of an accepted connection (for a transparent proxy: from the socket's original
 * destination and the datapath's identity of its source). `null` closes the connection unserved.
 */
export type RouteResolver = (socket: Socket) => ConnectionRoute | null;
