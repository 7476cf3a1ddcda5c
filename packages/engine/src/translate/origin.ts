import type { Policy } from "../policy-api/types.ts";
import type { Position } from "../source/node.ts";
import type { PathSegment } from "../source/problem.ts";
import type { RuleOrigin } from "./rule-form.ts";

/**
 * Cilium's derived-from labels for a policy's rules (pkg/k8s/apis/cilium.io/utils/utils.go): kind,
 * name (an NP's `policy.cilium.io/name` or `io.cilium.name` annotation overrides it), namespace
 * (not for CCNP) and uid, then the rule's own labels.
 */
export function policyLabels(policy: Policy, ruleLabels: readonly string[]): string[] {
  const m = policy.meta;
  const annotated =
    policy.kind === "NetworkPolicy" ? (m.annotations.get("policy.cilium.io/name") ?? m.annotations.get("io.cilium.name")) : undefined;
  const out = [`k8s:io.cilium.k8s.policy.derived-from=${policy.kind}`, `k8s:io.cilium.k8s.policy.name=${annotated ?? m.name}`];
  if (m.namespace !== null) out.push(`k8s:io.cilium.k8s.policy.namespace=${m.namespace}`);
  out.push(`k8s:io.cilium.k8s.policy.uid=${m.uid ?? ""}`);
  return [...out, ...ruleLabels];
}

/** The origin of one entry of `policy`. */
export function originOf(
  policy: Policy,
  ruleIndex: number,
  path: readonly PathSegment[],
  pos: Position,
  ruleLabels: readonly string[],
  log: string | null,
): RuleOrigin {
  return {
    policyKind: policy.kind,
    namespace: policy.meta.namespace,
    name: policy.meta.name,
    ruleIndex,
    file: policy.source.file,
    document: policy.source.document,
    path,
    pos,
    labels: policyLabels(policy, ruleLabels),
    log,
  };
}
