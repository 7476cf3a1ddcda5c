import { DEFAULT_VALIDATION_OPTIONS, type ValidationOptions } from "../policy-api/context.ts";
import { isPolicyKind, parsePolicy } from "../policy-api/parse-policy.ts";
import type { Policy } from "../policy-api/types.ts";
import type { MapNode, Position, SourceDocument } from "../source/node.ts";
import { toProblem, type PathSegment, type Problem } from "../source/problem.ts";
import { field } from "../source/reader.ts";

/** Kinds membrane reads as the cluster the policies apply to (`connectivity-test.md`). */
export const CLUSTER_KINDS: ReadonlySet<string> = new Set([
  "Namespace",
  "Pod",
  "Node",
  "Service",
  "Endpoints",
  "EndpointSlice",
  "ConnectivityTest",
]);

/** A non-policy object kept for the engine: its kind, tree and where it was written. */
export interface ClusterObject {
  readonly kind: string;
  readonly node: MapNode;
  readonly file: string;
  readonly document: number;
  readonly path: readonly PathSegment[];
}

/** Everything read from a set of documents: valid policies, cluster objects and all problems. */
export interface Manifests {
  readonly policies: Policy[];
  readonly objects: ClusterObject[];
  readonly problems: Problem[];
}

/**
 * Sorts documents into policies, cluster objects and problems. `List` kinds (kubectl's
 * `kind: List`, `NetworkPolicyList`, …) are unpacked into their items. A bad object never hides
 * another: each is judged on its own.
 */
export function loadManifests(documents: readonly SourceDocument[], options: ValidationOptions = DEFAULT_VALIDATION_OPTIONS): Manifests {
  const out: Manifests = { policies: [], objects: [], problems: [] };
  for (const doc of documents) {
    if (doc.root === null) continue;
    loadObject(out, doc, doc.root.kind === "map" ? doc.root : undefined, doc.root.pos, [], options);
  }
  return out;
}

function loadObject(
  out: Manifests,
  doc: SourceDocument,
  node: MapNode | undefined,
  pos: Position,
  path: readonly PathSegment[],
  options: ValidationOptions,
): void {
  const problem = (
    at: Position,
    p: readonly PathSegment[],
    code: string,
    message: string,
    severity: Problem["severity"] = "error",
    kind: string | null = null,
  ): void => {
    out.problems.push(toProblem({ severity, code, path: p, pos: at, message }, doc, { kind, namespace: null, name: null }));
  };
  if (node === undefined) {
    problem(pos, path, "manifest.not-object", "a manifest must be an object with apiVersion and kind");
    return;
  }
  const kindNode = field(node, "kind");
  const kind = kindNode?.kind === "scalar" && typeof kindNode.value === "string" ? kindNode.value : undefined;
  if (kind === undefined) {
    problem(kindNode?.pos ?? node.pos, [...path, "kind"], "manifest.kind", "kind is required and must be a string");
    return;
  }
  if (kind === "List" || kind.endsWith("List")) {
    const items = field(node, "items");
    if (items?.kind !== "seq") {
      problem(items?.pos ?? node.pos, [...path, "items"], "manifest.list", `${kind} must have an items list`, "error", kind);
      return;
    }
    items.items.forEach((item, i) =>
      loadObject(out, doc, item.kind === "map" ? item : undefined, item.pos, [...path, "items", i], options),
    );
    return;
  }
  if (isPolicyKind(kind)) {
    const parsed = parsePolicy(node, kind, { file: doc.file, document: doc.index, path }, options);
    for (const issue of parsed.issues) out.problems.push(toProblem(issue, doc, { kind, ...parsed.meta }));
    if (parsed.policy !== undefined) out.policies.push(parsed.policy);
    return;
  }
  if (CLUSTER_KINDS.has(kind)) {
    out.objects.push({ kind, node, file: doc.file, document: doc.index, path });
    return;
  }
  out.problems.push(
    toProblem(
      {
        severity: "warning",
        code: "manifest.unknown-kind",
        path: [...path, "kind"],
        pos: kindNode!.pos,
        message: `kind ${kind} is not used by membrane; ignored`,
      },
      doc,
      { kind, ...metadataOf(node) },
    ),
  );
}

/** An object's name and namespace when it states them, for naming it in a problem. */
function metadataOf(node: MapNode): { readonly namespace: string | null; readonly name: string | null } {
  const meta = field(node, "metadata");
  const text = (key: string): string | null => {
    const v = meta?.kind === "map" ? field(meta, key) : undefined;
    return v?.kind === "scalar" && typeof v.value === "string" ? v.value : null;
  };
  return { namespace: text("namespace"), name: text("name") };
}
