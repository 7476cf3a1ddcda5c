import { SOURCE } from "../labels/label.ts";
import { requirementsOf, type LabelSelector, type Requirement } from "../selector/label-selector.ts";
import { equals, exists, type Selector, type TranslationOptions } from "./rule-form.ts";
import { INIT, NAMESPACE_LABELS_PREFIX, POD_NAMESPACE, POLICY_CLUSTER, REMOTE_NODE } from "./well-known-keys.ts";

/**
 * Namespace and cluster scoping of Cilium selectors (cilium/cilium
 * pkg/k8s/apis/cilium.io/utils/utils.go, `policy-semantics.md` §4).
 */

/** Where a CNP/CCNP rule lives: a namespace for a CNP, null for a CCNP. */
export type PolicyScope = { readonly kind: "namespaced"; readonly namespace: string } | { readonly kind: "clusterwide" };

const isKey = (r: Requirement, key: string): boolean => (r.key.source === SOURCE.k8s || r.key.source === SOURCE.any) && r.key.key === key;

/**
 * The subject selector (§4.1): a CNP always pins its own namespace, replacing any namespace the
 * user wrote in matchLabels; a CCNP's selector is used as written.
 */
export function scopeSubject(selector: LabelSelector, scope: PolicyScope): Selector {
  const reqs = requirementsOf(selector);
  if (scope.kind === "clusterwide") return { requirements: reqs };
  const userLabels = selector.matchLabels.length;
  const kept = reqs.filter((r, i) => !(i < userLabels && isKey(r, POD_NAMESPACE.key)));
  return { requirements: [equals(POD_NAMESPACE, scope.namespace), ...kept] };
}

/**
 * A peer endpoint selector (§4.2): reserved selectors as written; otherwise pin the namespace (CNP,
 * unless namespace labels are selected) or require a pod namespace (CCNP, unless the subject selects
 * `reserved:init`), then add the local cluster unless the selector names a cluster.
 */
export function scopePeer(selector: LabelSelector, scope: PolicyScope, subjectSelectsInit: boolean, options: TranslationOptions): Selector {
  const reqs = requirementsOf(selector);
  if (reqs.some((r) => r.key.source === SOURCE.reserved)) return { requirements: reqs };
  const out = [...reqs];
  if (!reqs.some((r) => isKey(r, POD_NAMESPACE.key))) {
    if (scope.kind === "namespaced") {
      const selectsNamespaceLabels = reqs.some(
        (r) => (r.key.source === SOURCE.k8s || r.key.source === SOURCE.any) && r.key.key.startsWith(NAMESPACE_LABELS_PREFIX),
      );
      if (!selectsNamespaceLabels) out.push(equals(POD_NAMESPACE, scope.namespace));
    } else if (!subjectSelectsInit) {
      out.push(exists(POD_NAMESPACE));
    }
  }
  return withLocalCluster(out, options);
}

/** `fromNodes`/`toNodes` (§4.3): as written, plus `reserved:remote-node` and the local cluster. */
export function scopeNodes(selector: LabelSelector, options: TranslationOptions): Selector {
  return withLocalCluster([...requirementsOf(selector), exists(REMOTE_NODE)], options);
}

/** Adds `k8s:io.cilium.k8s.policy.cluster=<local>` unless off or the selector names a cluster. */
export function withLocalCluster(reqs: readonly Requirement[], options: TranslationOptions): Selector {
  if (!options.policyDefaultLocalCluster || options.clusterName === "" || reqs.some((r) => isKey(r, POLICY_CLUSTER.key))) {
    return { requirements: reqs };
  }
  return { requirements: [...reqs, equals(POLICY_CLUSTER, options.clusterName)] };
}

/** Whether a subject selector requires `reserved:init` (the CCNP injection skips those rules). */
export function selectsInit(selector: LabelSelector): boolean {
  return requirementsOf(selector).some(
    (r) => r.key.source === SOURCE.reserved && r.key.key === INIT.key && r.operator !== "NotIn" && r.operator !== "DoesNotExist",
  );
}
