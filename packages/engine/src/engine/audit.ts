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
  /** The policy objects behind the drop: the deny rule's, or those that switched default deny on. */
  readonly policies: readonly (Policy | undefined)[];
}

/**
 * Whether a drop is audited: globally, for the endpoint or its namespace, or because every policy
 * behind it is in audit mode (a drop that a policy outside audit mode causes still drops).
 */
export function isAudited(ctx: AuditContext): boolean {
  if (ctx.global || marked(ctx.namespace) || marked(ctx.pod)) return true;
  return ctx.policies.length > 0 && ctx.policies.every((p) => p !== undefined && marked(p.meta));
}

/** The repository key of the policy a rule came from. */
export function originKey(o: RuleOrigin): string {
  return `${o.policyKind}/${o.namespace ?? ""}/${o.name}`;
}
