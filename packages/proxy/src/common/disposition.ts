/**
 * What a proxy did with a request, as its L7 flow's verdict: forwarded, dropped, or — Cilium's
 * policy audit mode — forwarded although the policy denies it.
 */
export type Disposition = "FORWARDED" | "DROPPED" | "AUDIT";

/** A policy source that may be in audit mode for a connection. */
export interface Audited<C> {
  /** Whether a request the policy denies passes anyway, recorded AUDIT (audit mode); absent: never. */
  auditedFor?(conn: C): boolean;
}

/** What becomes of a request the policy `allowed` or not on `conn`. */
export function disposition<C>(allowed: boolean, policy: Audited<C>, conn: C): Disposition {
  if (allowed) return "FORWARDED";
  return policy.auditedFor?.(conn) === true ? "AUDIT" : "DROPPED";
}
