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
export type { Namespace, Pod, Node, Service, ServicePort, ContainerPort, Cluster, K8sProtocol } from "./cluster/types.ts";
export { buildCluster } from "./cluster/build-cluster.ts";
export type { NumericIdentity } from "./identity/numeric-identity.ts";
export { RESERVED, reservedName, isLocalScope, asIdentity } from "./identity/numeric-identity.ts";
export type { IdentityAllocator } from "./identity/allocator.ts";
export { InMemoryAllocator } from "./identity/allocator.ts";
export type { Label } from "./labels/label-set.ts";
export { LabelSet, formatLabel, parseLabel } from "./labels/label-set.ts";
export type { PolicyKey, PolicyEntry, DerivedFrom, L7Parser, MatchType, Lookup } from "./policy/map-state.ts";
export { MapState, allowPrecedence, DENY_PRECEDENCE, DROP_POLICY_DENIED, DROP_POLICY_DENY } from "./policy/map-state.ts";
export type { IdentityInfo, PeerSelector } from "./policy/peer-selector.ts";
export type { SelectionChange } from "./policy/selector-cache.ts";
export { SelectorCache } from "./policy/selector-cache.ts";
export type { EnforcementMode, ResolveOptions, Enforcement, DirectionPolicy, EndpointPolicy } from "./policy/resolve.ts";
export { DEFAULT_RESOLVE_OPTIONS, proxyPortFor } from "./policy/resolve.ts";
export { protocolName, PROTO } from "./policy/protocol.ts";
export type { EngineOptions, Semantics } from "./engine/options.ts";
export { DEFAULT_ENGINE_OPTIONS } from "./engine/options.ts";
export type { EndpointInfo, ChangeSet } from "./engine/engine.ts";
export type { MapChange } from "./engine/map-diff.ts";
export { Engine, policyKey } from "./engine/engine.ts";
export type { FlowPeerRef, FlowProtocol, Flow, Party } from "./verdict/flow.ts";
export { formatPeerRef, parsePeerText } from "./verdict/flow.ts";
export type { DropReason, SideDecision, FlowVerdict, FlowError } from "./verdict/decide.ts";
export { decide } from "./verdict/decide.ts";
export type { TestCase, CaseL7, ConnectivityTest } from "./scenario/connectivity-test.ts";
export type { Scenario } from "./scenario/load-scenario.ts";
export { loadScenario } from "./scenario/load-scenario.ts";
export type { CaseReason, CaseResult, RunHooks } from "./scenario/run-tests.ts";
export { runTests } from "./scenario/run-tests.ts";
export type { L7Policy } from "./l7/l7-policy.ts";
export type { HttpRequest, HeaderAction, HttpDecision } from "./l7/http.ts";
export { HttpMatcher, grpcRequest } from "./l7/http.ts";
export type { KafkaRequest } from "./l7/kafka.ts";
export { kafkaAllows, TOPIC_API_KEYS } from "./l7/kafka.ts";
export { compileDnsPattern, matchesName, matchesServerName, serverNameVerdict, toFqdn } from "./l7/dns-pattern.ts";
export { KAFKA_API_KEYS, KAFKA_ROLES } from "./policy-api/vocabulary.ts";
export type { L7Outcome } from "./scenario/decide-l7.ts";
export { decideL7, requestHost } from "./scenario/decide-l7.ts";
export type { Flow as HubbleFlow, FlowRecord, FlowEndpoint, FlowPolicy, FlowL4, FlowL7, FlowVerdictName } from "./flow/flow.ts";
export { EVENT_TYPE, MATCH_TYPE_NUMBER } from "./flow/flow.ts";
export type { SimulatedFlow } from "./flow/from-verdict.ts";
export { flowsOf } from "./flow/from-verdict.ts";
export type { DatapathRecord } from "./flow/from-datapath.ts";
export { datapathFlow } from "./flow/from-datapath.ts";
export type { ProxyRecord } from "./flow/from-proxy.ts";
export { proxyFlow } from "./flow/from-proxy.ts";
export type { FlowPredicate, FilterKind, Side } from "./flow/filter.ts";
export { flowFilter } from "./flow/filter.ts";
export type { FilterFlag, FlowFilterGroup, FlowQuery } from "./flow/flow-query.ts";
export { decodeQuery, encodeQuery, isFilterFlag, queryPredicate, selectFlows, SIDED_FILTERS, PLAIN_FILTERS } from "./flow/flow-query.ts";
export type { PrintOptions } from "./flow/format.ts";
export { compactLine, dictBlock, tableRows, stampMilli } from "./flow/format.ts";
export { FlowRing } from "./flow/ring.ts";
export { parseIp, formatIp, parsePrefix, formatPrefix, type IpAddress, type IpPrefix } from "./net/ip.ts";
export { sameValue } from "./engine/same-value.ts";
