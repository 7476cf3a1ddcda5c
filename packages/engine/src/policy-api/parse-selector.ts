import { parseSourcedKey, SOURCE, type SourcedKey } from "../labels/label.ts";
import { labelKeyProblem, labelValueProblem } from "../labels/label-syntax.ts";
import type { LabelSelector, Requirement, SelectorOperator } from "../selector/label-selector.ts";
import type { SourceNode } from "../source/node.ts";
import type { PathSegment } from "../source/problem.ts";
import { field, type Reader } from "../source/reader.ts";

const SELECTOR_FIELDS = new Set(["matchLabels", "matchExpressions"]);
const REQUIREMENT_FIELDS = new Set(["key", "operator", "values"]);
const OPERATORS: readonly SelectorOperator[] = ["In", "NotIn", "Exists", "DoesNotExist"];

/**
 * How selector keys are read: Cilium selectors may prefix a key with its label source
 * (`k8s:app`, `$host`); Kubernetes selectors may not, and every key means a `k8s` label.
 */
export type SelectorDialect = "cilium" | "kubernetes";

/** Reads and validates a label selector (Kubernetes' rules for keys, values and operators). */
export function parseLabelSelector(
  r: Reader,
  node: SourceNode,
  path: readonly PathSegment[],
  dialect: SelectorDialect,
): LabelSelector | undefined {
  const m = r.map(node, path, SELECTOR_FIELDS);
  if (m === undefined) return undefined;
  let ok = true;
  const matchLabels: (readonly [SourcedKey, string])[] = [];
  const labelsNode = field(m, "matchLabels");
  if (labelsNode !== undefined) {
    const labels = r.stringMap(labelsNode, [...path, "matchLabels"]);
    if (labels === undefined) ok = false;
    else if (labelsNode.kind === "map") {
      for (const e of labelsNode.entries) {
        const p = [...path, "matchLabels", e.key];
        const key = readKey(r, e.key, { pos: e.keyPos }, p, dialect);
        const value = labels.get(e.key) ?? "";
        const vp = labelValueProblem(value);
        if (vp !== undefined) {
          r.report(e.value, p, "selector.value", `invalid label value "${value}": ${vp}`);
          ok = false;
        }
        if (key === undefined) ok = false;
        else matchLabels.push([key, value]);
      }
    }
  }
  const exprNode = field(m, "matchExpressions");
  const matchExpressions =
    exprNode === undefined ? [] : r.list(exprNode, [...path, "matchExpressions"], (n, p) => parseRequirement(r, n, p, dialect));
  if (matchExpressions === undefined) ok = false;
  return ok && matchExpressions !== undefined ? { matchLabels, matchExpressions, pos: m.pos } : undefined;
}

function parseRequirement(r: Reader, node: SourceNode, path: readonly PathSegment[], dialect: SelectorDialect): Requirement | undefined {
  const m = r.map(node, path, REQUIREMENT_FIELDS);
  if (m === undefined) return undefined;
  const keyNode = field(m, "key");
  const opNode = field(m, "operator");
  if (keyNode === undefined) r.report(m, [...path, "key"], "schema.required", "key is required");
  if (opNode === undefined) r.report(m, [...path, "operator"], "schema.required", "operator is required");
  const keyText = keyNode === undefined ? undefined : r.string(keyNode, [...path, "key"]);
  const key = keyText === undefined || keyNode === undefined ? undefined : readKey(r, keyText, keyNode, [...path, "key"], dialect);
  const operator = opNode === undefined ? undefined : r.oneOf(opNode, [...path, "operator"], OPERATORS);
  const valuesNode = field(m, "values");
  const values = valuesNode === undefined ? [] : r.list(valuesNode, [...path, "values"], (n, p) => r.string(n, p));
  if (key === undefined || operator === undefined || values === undefined) return undefined;
  const needsValues = operator === "In" || operator === "NotIn";
  if (needsValues && values.length === 0) {
    r.report(valuesNode ?? m, [...path, "values"], "selector.values", `values must be non-empty when operator is ${operator}`);
    return undefined;
  }
  if (!needsValues && values.length > 0) {
    r.report(valuesNode ?? m, [...path, "values"], "selector.values", `values must be empty when operator is ${operator}`);
    return undefined;
  }
  let ok = true;
  values.forEach((v, i) => {
    const vp = labelValueProblem(v);
    if (vp !== undefined && valuesNode?.kind === "seq") {
      r.report(valuesNode.items[i]!, [...path, "values", i], "selector.value", `invalid label value "${v}": ${vp}`);
      ok = false;
    }
  });
  return ok ? { key, operator, values } : undefined;
}

function readKey(
  r: Reader,
  text: string,
  at: { readonly pos: SourceNode["pos"] },
  path: readonly PathSegment[],
  dialect: SelectorDialect,
): SourcedKey | undefined {
  const key: SourcedKey = dialect === "cilium" ? parseSourcedKey(text) : { source: SOURCE.k8s, key: text };
  const problem = labelKeyProblem(key.key);
  if (problem !== undefined) {
    r.report(at, path, "selector.key", `invalid label key "${text}": ${problem}`);
    return undefined;
  }
  return key;
}
