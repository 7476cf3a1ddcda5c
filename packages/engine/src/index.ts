/**
 * @membrane/engine: the pure policy engine. Runs in Node and in the browser; no I/O, no clock.
 * This file is the package's only public surface.
 */
export type { Position, ScalarValue, ScalarNode, MapEntry, MapNode, SeqNode, SourceNode, SourceDocument } from "./source/node.ts";
export { START, toPlain } from "./source/node.ts";
export { fromPlain } from "./source/from-plain.ts";
export type { Severity, PathSegment, Issue, Problem } from "./source/problem.ts";
export { formatPath } from "./source/problem.ts";
export type { Result } from "./result.ts";
export { ok, err, BugError, assertNever } from "./result.ts";
export type { Re2 } from "./regex/re2.ts";
export { compileRe2 } from "./regex/re2.ts";
export type { LabelSource, SourcedKey } from "./labels/label.ts";
export { parseSourcedKey, formatSourcedKey, SOURCE } from "./labels/label.ts";
export type { LabelSelector, Requirement, SelectorOperator } from "./selector/label-selector.ts";
export { requirementsOf } from "./selector/label-selector.ts";
export type { ValidationOptions } from "./policy-api/context.ts";
export { DEFAULT_VALIDATION_OPTIONS } from "./policy-api/context.ts";
export type * from "./policy-api/types.ts";
export type { ClusterObject, Manifests } from "./manifest/load-manifests.ts";
export { loadManifests, CLUSTER_KINDS } from "./manifest/load-manifests.ts";
export type {
  Selector,
  SubjectSelector,
  Peer,
  L4Protocol,
  PortSpec,
  PortRuleForm,
  RuleOrigin,
  RuleEntry,
  TranslationOptions,
} from "./translate/rule-form.ts";
export { DEFAULT_TRANSLATION_OPTIONS } from "./translate/rule-form.ts";
export { translatePolicy } from "./translate/translate.ts";
