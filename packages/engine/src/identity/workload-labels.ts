import type { Namespace, Node, Pod } from "../cluster/types.ts";
import { isIdentityRelevant } from "../labels/label-filter.ts";
import { LabelSet, type Label } from "../labels/label-set.ts";
import { NAMESPACE_LABELS_PREFIX } from "../translate/well-known-keys.ts";

const k8s = (key: string, value: string): Label => ({ source: "k8s", key, value });

/**
 * A pod's identity labels (`policy-semantics.md` §5.2): its own labels (minus `io.cilium.k8s*`),
 * its namespace, the namespace's labels, its service account and cluster, through the default
 * identity-relevant filter.
 */
export function podIdentityLabels(pod: Pod, namespace: Namespace | undefined, clusterName: string): LabelSet {
  const labels: Label[] = [];
  for (const [key, value] of pod.labels) if (!key.startsWith("io.cilium.k8s")) labels.push(k8s(key, value));
  labels.push(k8s("io.kubernetes.pod.namespace", pod.namespace));
  for (const [key, value] of namespace?.labels ?? new Map([["kubernetes.io/metadata.name", pod.namespace]])) {
    labels.push(k8s(`${NAMESPACE_LABELS_PREFIX}${key}`, value));
  }
  labels.push(k8s("io.cilium.k8s.policy.serviceaccount", pod.serviceAccount));
  labels.push(k8s("io.cilium.k8s.policy.cluster", clusterName));
  return LabelSet.of(labels.filter(isIdentityRelevant));
}

/** A node's labels as a host policy subject sees them (`nodeSelector` matches these). */
export function nodeLabels(node: Node): Label[] {
  return [...node.labels].map(([key, value]) => k8s(key, value)).filter(isIdentityRelevant);
}
