import type { Namespace, Pod } from "../cluster/types.ts";
import type { Policy } from "../policy-api/types.ts";
import type { RuleOrigin } from "../translate/rule-form.ts";

/**
 * Audit mode (`policy-semantics.md` §9): a would-be L3/L4 drop passes and is reported AUDIT. Cilium
 * has it per agent and per endpoint; membrane adds per namespace and per policy, marked by this
 * label or annotation with the value `enabled` on a Namespace, a Pod or a policy object.
 */
export const AUDIT_MODE_KEY = "policy.membrane.dev/audit-mode";

function marked(
  o: { readonly labels: ReadonlyMap<string, string>; readonly annotations?: ReadonlyMap<string, string> } | undefined,
): boolean {
  if (o === undefined) return false;
  return o.labels.get(AUDIT_MODE_KEY) === "enabled" || o.annotations?.get(AUDIT_MODE_KEY) === "enabled";
}

/** What decides whether a drop is audited. */
export interface AuditContext {
  readonly global: boolean;
  readonly namespace: Namespace | undefined;
  readonly pod: Pod | undefined;
  /** The rules behind the drop: the deny rule's, or those that switched default deny on. */
  readonly origins: readonly RuleOrigin[];
  /** The keys ({@link originKey}) of the policies in audit mode. */
  readonly auditedPolicies: ReadonlySet<string>;
}

/**
 * Whether a drop is audited: globally, for the endpoint or its namespace, or because every policy
 * behind it is in audit mode (a drop that a policy outside audit mode causes still drops).
 */
export function isAudited(ctx: AuditContext): boolean {
  if (ctx.global || marked(ctx.namespace) || marked(ctx.pod)) return true;
  if (ctx.origins.length === 0 || ctx.auditedPolicies.size === 0) return false;
  return ctx.origins.every((o) => ctx.auditedPolicies.has(originKey(o)));
}

/** The keys of the policies in audit mode among `policies` (keyed as {@link originKey}). */
export function auditedPolicyKeys(policies: ReadonlyMap<string, Policy>): Set<string> {
  return new Set([...policies].flatMap(([key, p]) => (marked(p.meta) ? [key] : [])));
}

/** The repository key of the policy a rule came from. */
export function originKey(o: RuleOrigin): string {
  return `${o.policyKind}/${o.namespace ?? ""}/${o.name}`;
}
