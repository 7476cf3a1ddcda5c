import { SOURCE, type SourcedKey } from "../labels/label.ts";

/** Label keys Cilium gives pods and reads in selectors (`policy-semantics.md` §4). */
export const POD_NAMESPACE: SourcedKey = { source: SOURCE.k8s, key: "io.kubernetes.pod.namespace" };
/** Prefix of the namespace's own labels on a pod identity. */
export const NAMESPACE_LABELS_PREFIX = "io.cilium.k8s.namespace.labels.";
/** The pod's cluster. */
export const POLICY_CLUSTER: SourcedKey = { source: SOURCE.k8s, key: "io.cilium.k8s.policy.cluster" };
/** The pod's service account. */
export const POLICY_SERVICE_ACCOUNT: SourcedKey = { source: SOURCE.k8s, key: "io.cilium.k8s.policy.serviceaccount" };
/** Carried by every remote node identity. */
export const REMOTE_NODE: SourcedKey = { source: SOURCE.reserved, key: "remote-node" };
/** Carried by endpoints whose labels are not known yet. */
export const INIT: SourcedKey = { source: SOURCE.reserved, key: "init" };
