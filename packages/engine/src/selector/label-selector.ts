import type { SourcedKey } from "../labels/label.ts";
import type { Position } from "../source/node.ts";

/** A selector requirement operator, as in Kubernetes. */
export type SelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

/** One requirement of a selector. `matchLabels` entries become `In` with one value. */
export interface Requirement {
  readonly key: SourcedKey;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/**
 * A label selector as written: `matchLabels` and `matchExpressions`, ANDed. Keys carry their
 * Cilium source (`any` when none was written). An empty selector matches everything.
 */
export interface LabelSelector {
  readonly matchLabels: readonly (readonly [SourcedKey, string])[];
  readonly matchExpressions: readonly Requirement[];
  readonly pos: Position;
}

/** All requirements of a selector, `matchLabels` first, as one ANDed list. */
export function requirementsOf(s: LabelSelector): Requirement[] {
  return [...s.matchLabels.map(([key, value]): Requirement => ({ key, operator: "In", values: [value] })), ...s.matchExpressions];
}
