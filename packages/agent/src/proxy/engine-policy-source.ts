import type { Engine, IdentityInfo, L7Policy, NumericIdentity } from "@membrane/engine";
import type { ConnectionContext, L7PolicySource } from "@membrane/proxy";

/** Whose policy applies to a redirected connection, and against which peer. */
export interface PolicySubject {
  /** The local endpoint (`namespace/pod`) whose policy applies: the destination for ingress, the source for egress. */
  readonly endpoint: string;
  readonly direction: "ingress" | "egress";
  /** The other end: the source's identity for ingress, the destination's for egress. */
  readonly peer: IdentityInfo;
  readonly proto: number;
  readonly port: number;
}

const NOT_REDIRECTED: L7Policy = { kind: "not-redirected" };

/**
 * The proxies' L7 policy, straight from the agent's engine: each connection's context is registered
 * with its subject when it is accepted, and every request asks again, so a policy change applies to
 * open connections too (as Envoy's does). One L7Policy object per subject while the engine's
 * revision stands, so the proxy's compiled matchers are reused.
 */
export class EnginePolicySource implements L7PolicySource {
  readonly #engine: Engine;
  readonly #subjects = new WeakMap<ConnectionContext, PolicySubject>();
  readonly #cache = new Map<string, L7Policy>();
  #revision = -1;

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** A context for a connection of `subject` (what the route resolver hands the proxy). */
  contextFor<D extends PolicySubject["direction"]>(
    subject: PolicySubject & { readonly direction: D },
    source: NumericIdentity,
    destination: string,
  ): ConnectionContext & { readonly direction: D } {
    const context = { sourceIdentity: source, destination, port: subject.port, direction: subject.direction };
    this.#subjects.set(context, subject);
    return context;
  }

  /** Whether audit mode lets what the connection's policy denies pass (engine.l7Audited). */
  auditedFor(context: ConnectionContext): boolean {
    const s = this.#subjects.get(context);
    const ep = s === undefined ? undefined : this.#engine.endpoint(s.endpoint);
    return s !== undefined && ep !== undefined && this.#engine.l7Audited(ep, s.direction, s.peer.id, s.proto, s.port);
  }

  /** The policy of the connection's subject now; a connection the source does not know is denied everything. */
  policyFor(context: ConnectionContext): L7Policy {
    const s = this.#subjects.get(context);
    if (s === undefined) return NOT_REDIRECTED;
    if (this.#engine.revision !== this.#revision) {
      this.#cache.clear();
      this.#revision = this.#engine.revision;
    }
    const key = `${s.endpoint}|${s.direction}|${s.peer.id}|${s.proto}|${s.port}`;
    let policy = this.#cache.get(key);
    if (policy === undefined) {
      const ep = this.#engine.endpoint(s.endpoint);
      policy = ep === undefined ? NOT_REDIRECTED : this.#engine.l7PolicyOf(ep, s.direction, s.peer, s.proto, s.port);
      this.#cache.set(key, policy);
    }
    return policy;
  }
}
