import type { L7Policy } from "@membrane/engine";
import type { Audited } from "../common/disposition.ts";
import type { ConnectionContext } from "./connection.ts";

/**
 * Where the proxy gets the L7 policy of a connection. The proxy asks before every request, so a
 * policy change applies to open keep-alive connections too, as Envoy's does.
 *
 * NOTE: the proxy compiles the HTTP rules of a policy once per `rules` array it sees; return the
 * same object while the policy is unchanged so the compiled matcher is reused.
 */
export interface L7PolicySource extends Audited<ConnectionContext> {
  /** The policy the proxy enforces for requests on a connection with this context. */
  policyFor(conn: ConnectionContext): L7Policy;
}

/** A policy source that answers one fixed policy for every connection (standalone mode and tests). */
export class StaticPolicySource implements L7PolicySource {
  readonly #policy: L7Policy;
  readonly #audited: boolean;

  /** `audited`: what the policy denies passes, recorded AUDIT. */
  constructor(policy: L7Policy, audited = false) {
    this.#policy = policy;
    this.#audited = audited;
  }

  auditedFor(_conn: ConnectionContext): boolean {
    return this.#audited;
  }

  /** The fixed policy, whatever the connection. */
  policyFor(_conn: ConnectionContext): L7Policy {
    return this.#policy;
  }
}
