import { dnsLabelProblem, dnsSubdomainProblem } from "../labels/label-syntax.ts";
import type { MapNode, SourceNode } from "../source/node.ts";
import type { Issue, PathSegment } from "../source/problem.ts";
import { field } from "../source/reader.ts";
import { PolicyReader, type ValidationOptions } from "./context.ts";
import { parseCiliumRule } from "./parse-cilium-rule.ts";
import { parseNetworkPolicySpec } from "./parse-network-policy.ts";
import type { CiliumRule, ObjectMeta, Policy, PolicyKind } from "./types.ts";

type Path = readonly PathSegment[];

const API_VERSION: Readonly<Record<PolicyKind, string>> = {
  NetworkPolicy: "networking.k8s.io/v1",
  CiliumNetworkPolicy: "cilium.io/v2",
  CiliumClusterwideNetworkPolicy: "cilium.io/v2",
};
const OBJECT_FIELDS: Readonly<Record<PolicyKind, ReadonlySet<string>>> = {
  NetworkPolicy: new Set(["apiVersion", "kind", "metadata", "spec", "status"]),
  CiliumNetworkPolicy: new Set(["apiVersion", "kind", "metadata", "spec", "specs", "status"]),
  CiliumClusterwideNetworkPolicy: new Set(["apiVersion", "kind", "metadata", "spec", "specs", "status"]),
};
/** ObjectMeta's fields: strict decoding rejects anything else. */
export const OBJECT_META_FIELDS: ReadonlySet<string> = new Set([
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
]);

/** Whether `kind` names one of the three policy kinds. */
export function isPolicyKind(kind: string): kind is PolicyKind {
  return kind in API_VERSION;
}

/** What parsing a policy object gives: the policy when it is valid, and every problem found. */
export interface PolicyParse {
  readonly policy: Policy | undefined;
  readonly issues: readonly Issue[];
  readonly meta: { readonly name: string | null; readonly namespace: string | null };
}

/**
 * Parses and validates one policy object of a known kind: the envelope (apiVersion, metadata),
 * then the spec with both the CRD schema's and the agent's rules. A rule that fails drops the whole
 * object, as the agent imports none of a policy whose Sanitize fails.
 */
export function parsePolicy(
  node: MapNode,
  kind: PolicyKind,
  where: { readonly file: string; readonly document: number; readonly path: Path },
  options: ValidationOptions,
): PolicyParse {
  const r = new PolicyReader(options, kind);
  const path = where.path;
  r.map(node, path, OBJECT_FIELDS[kind]);
  const av = field(node, "apiVersion");
  const apiVersion = av === undefined ? undefined : r.string(av, [...path, "apiVersion"]);
  if (apiVersion !== undefined && apiVersion !== API_VERSION[kind]) {
    r.report(av!, [...path, "apiVersion"], "schema.api-version", `${kind} must have apiVersion ${API_VERSION[kind]}, not "${apiVersion}"`);
  }
  const meta = parseObjectMeta(r, node, path, kind);
  const source = { file: where.file, document: where.document };
  let policy: Policy | undefined;
  if (kind === "NetworkPolicy") {
    const specNode = field(node, "spec");
    const spec = specNode === undefined ? undefined : parseNetworkPolicySpec(r, specNode, [...path, "spec"]);
    if (specNode === undefined) r.report(node, [...path, "spec"], "schema.required", "spec is required");
    if (meta !== undefined && spec !== undefined) policy = { kind, meta, spec, source: { ...source, path, pos: node.pos } };
  } else {
    const rules = parseCiliumRules(r, node, path, source);
    if (meta !== undefined && rules !== undefined) policy = { kind, meta, rules, source: { ...source, path, pos: node.pos } };
  }
  const hasError = r.issues.some((i) => i.severity === "error");
  return {
    policy: hasError ? undefined : policy,
    issues: r.issues,
    meta: { name: meta?.name ?? null, namespace: meta?.namespace ?? null },
  };
}

function parseCiliumRules(
  r: PolicyReader,
  node: MapNode,
  path: Path,
  source: { file: string; document: number },
): CiliumRule[] | undefined {
  const specNode = field(node, "spec");
  const specsNode = field(node, "specs");
  if (specNode === undefined && specsNode === undefined) {
    r.report(node, path, "cilium.empty-policy", `empty ${r.kind}: spec or specs is required`);
    return undefined;
  }
  const out: CiliumRule[] = [];
  let ok = true;
  if (specNode !== undefined) {
    const rule = parseCiliumRule(r, specNode, [...path, "spec"], source);
    if (rule === undefined) ok = false;
    else out.push(rule);
  }
  if (specsNode !== undefined) {
    const rules = r.list(specsNode, [...path, "specs"], (n, p) => parseCiliumRule(r, n, p, source));
    if (rules === undefined) ok = false;
    else out.push(...rules);
  }
  return ok ? out : undefined;
}

function parseObjectMeta(r: PolicyReader, node: MapNode, path: Path, kind: PolicyKind): ObjectMeta | undefined {
  const mNode = field(node, "metadata");
  const p = [...path, "metadata"];
  if (mNode === undefined) {
    r.report(node, p, "schema.required", "metadata is required");
    return undefined;
  }
  const m = r.map(mNode, p, OBJECT_META_FIELDS);
  if (m === undefined) return undefined;
  const str = (key: string): string | null | undefined => {
    const n = field(m, key);
    return n === undefined ? null : r.string(n, [...p, key]);
  };
  const name = str("name");
  const ns = str("namespace");
  const uid = str("uid");
  const labelsNode = field(m, "labels");
  const labels = labelsNode === undefined ? new Map<string, string>() : r.stringMap(labelsNode, [...p, "labels"]);
  const annNode = field(m, "annotations");
  const annotations = annNode === undefined ? new Map<string, string>() : r.stringMap(annNode, [...p, "annotations"]);
  if (name === null) r.report(m, [...p, "name"], "schema.required", "metadata.name is required");
  else if (name !== undefined) {
    const why = dnsSubdomainProblem(name);
    if (why !== undefined) r.report(field(m, "name")!, [...p, "name"], "k8s.name", `invalid name "${name}": ${why}`);
  }
  let namespace: string | null | undefined = ns;
  if (kind === "CiliumClusterwideNetworkPolicy") {
    if (ns)
      r.report(
        field(m, "namespace")!,
        [...p, "namespace"],
        "k8s.cluster-scoped",
        "CiliumClusterwideNetworkPolicy is cluster-scoped: metadata.namespace is ignored",
        "warning",
      );
    namespace = null;
  } else if (ns !== undefined) {
    namespace = ns === null || ns === "" ? "default" : ns;
    const why = dnsLabelProblem(namespace);
    if (why !== undefined)
      r.report(field(m, "namespace")!, [...p, "namespace"], "k8s.namespace", `invalid namespace "${namespace}": ${why}`);
  }
  if (!name || namespace === undefined || uid === undefined || labels === undefined || annotations === undefined) return undefined;
  return { name, namespace, uid, labels, annotations };
}

/** Reads a node as a mapping without reporting (for peeking at kind and metadata). */
export function asMap(node: SourceNode | null): MapNode | undefined {
  return node?.kind === "map" ? node : undefined;
}
