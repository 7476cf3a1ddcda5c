import type { Label } from "./label-set.ts";

/**
 * The default identity-relevant label filter (cilium/cilium pkg/labelsfilter/filter.go,
 * `policy-semantics.md` §5.2): a label counts unless an ignore prefix matches its key, and an
 * include prefix that is longer than the matching ignore prefix wins back.
 */
const INCLUDE = [
  "io.kubernetes.pod.namespace",
  "io.cilium.k8s.namespace.labels",
  "app.kubernetes.io",
  "io.cilium.k8s.policy.cluster",
  "io.cilium.k8s.policy.serviceaccount",
];
const IGNORE = [
  "io.kubernetes",
  "kubernetes.io",
  "statefulset.kubernetes.io/pod-name",
  "apps.kubernetes.io/pod-index",
  "batch.kubernetes.io/job-completion-index",
  "batch.kubernetes.io/controller-uid",
  "beta.kubernetes.io",
  "k8s.io",
  "pod-template-generation",
  "pod-template-hash",
  "controller-revision-hash",
  "controller-uid",
  "annotation",
  "etcd_node",
];

function longestPrefix(prefixes: readonly string[], key: string): number {
  let best = -1;
  for (const p of prefixes) if (key.startsWith(p) && p.length > best) best = p.length;
  return best;
}

/** Whether a label takes part in identity and policy. `reserved:` labels always do. */
export function isIdentityRelevant(l: Label): boolean {
  if (l.source === "reserved") return true;
  // Cilium also ignores `…beta.kubernetes.io…` anywhere in the key.
  if (l.key.includes("beta.kubernetes.io")) return longestPrefix(INCLUDE, l.key) >= 0;
  const ignored = longestPrefix(IGNORE, l.key);
  if (ignored < 0) return true;
  return longestPrefix(INCLUDE, l.key) > ignored;
}
