import type { ContainerPort } from "../cluster/types.ts";
import { RESERVED, type NumericIdentity } from "../identity/numeric-identity.ts";
import { matchesAll } from "../selector/match.ts";
import type { PortRuleForm, PortSpec, RuleEntry, RuleOrigin, Selector } from "../translate/rule-form.ts";
import { allowPrecedence, DENY_PRECEDENCE, MapState, type DerivedFrom, type L7Parser, type PolicyEntry } from "./map-state.ts";
import { compilePeer, type IdentityInfo, type PeerContext } from "./peer-selector.ts";
import { rangeToPrefixes } from "./port-range.ts";
import type { NamedPortIndex } from "./named-ports.ts";
import { PROTO, protocolNumbers } from "./protocol.ts";
import type { SelectorCache } from "./selector-cache.ts";

/** `enable-policy`: default (enforce where policies select), always, or never. */
export type EnforcementMode = "default" | "always" | "never";

/** Agent settings that change resolution. */
export interface ResolveOptions {
  readonly enforcementMode: EnforcementMode;
  /** `allow-localhost` (k8s default: always): the local node may reach its endpoints on ingress. */
  readonly allowLocalhost: boolean;
  /** `enable-host-firewall` (default false): without it host policies (nodeSelector) are never enforced. */
  readonly hostFirewall: boolean;
}

/** Cilium's defaults under Kubernetes. */
export const DEFAULT_RESOLVE_OPTIONS: ResolveOptions = { enforcementMode: "default", allowLocalhost: true, hostFirewall: false };

/** The subject of a resolution: an endpoint identity (with its pod's named ports) or the host. */
export interface Subject {
  readonly identity: IdentityInfo;
  readonly isHost: boolean;
  /** The subject pod's container ports (ingress named ports resolve against these). */
  readonly ports: readonly ContainerPort[];
  /**
   * The host identity (1) as this subject's node labels it: `reserved:host`, the node's labels, and
   * `reserved:kube-apiserver` when the API server runs there. Selectors match it per node.
   */
  readonly localHost: IdentityInfo;
}

/** Why a direction is or is not enforced, in words and by which entries (§6.2). */
export type Enforcement =
  | { readonly kind: "not-enforced"; readonly reason: "no-policy" | "mode-never" | "host-firewall-off" }
  | { readonly kind: "enforced"; readonly reason: "default-deny"; readonly by: readonly RuleOrigin[] }
  | { readonly kind: "enforced"; readonly reason: "mode-always" | "init-identity"; readonly by: readonly RuleOrigin[] }
  | { readonly kind: "enforced-allow-rest"; readonly reason: "no-default-deny"; readonly by: readonly RuleOrigin[] };

/** One direction of an endpoint's resolved policy. */
export interface DirectionPolicy {
  readonly enforcement: Enforcement;
  readonly map: MapState;
  /** The applicable entries, in repository order. */
  readonly entries: readonly RuleEntry[];
  /** Peers membrane cannot resolve (they select nothing), with why. */
  readonly unsupported: readonly string[];
  /**
   * Policy errors of this endpoint: different L7 parsers for one peer selector on one port
   * ("cannot merge conflicting L7 parsers", §6.4). Cilium cannot compute such an endpoint's policy.
   */
  readonly errors: readonly string[];
  /** The selector-cache keys this map was built from (an identity change touching one of them means recompute). */
  readonly selectors: ReadonlySet<string>;
}

/** An endpoint's resolved policy. */
export interface EndpointPolicy {
  readonly ingress: DirectionPolicy;
  readonly egress: DirectionPolicy;
}

/** Proxy ports membrane's proxies listen on, per parser and direction (deterministic, like Cilium's allocated ones). */
export function proxyPortFor(parser: L7Parser, direction: "ingress" | "egress"): number {
  const base: Record<L7Parser, number> = { http: 15001, kafka: 15011, dns: 15053, l7proto: 15021, tls: 15031, listener: 15041 };
  return base[parser] + (direction === "egress" && parser !== "dns" ? 1 : 0);
}

function parserOf(p: PortRuleForm): L7Parser | null {
  if (p.l7 !== null) return p.l7.kind;
  if (p.listener !== null) return "listener";
  if (p.serverNames.length > 0 || p.terminatingTLS !== null || p.originatingTLS !== null) return "tls";
  return null;
}

/**
 * Resolves the policy of one subject (cilium/cilium pkg/policy/repository.go, l4.go, mapstate.go):
 * which entries apply, whether each direction is enforced, and the map state of each direction.
 */
export function resolveEndpoint(
  subject: Subject,
  entries: readonly RuleEntry[],
  cache: SelectorCache,
  ctx: PeerContext,
  namedPorts: NamedPortIndex,
  options: ResolveOptions,
): EndpointPolicy {
  return {
    ingress: resolveDirection("ingress", subject, entries, cache, ctx, namedPorts, options),
    egress: resolveDirection("egress", subject, entries, cache, ctx, namedPorts, options),
  };
}

/** Whether an entry's subject selector selects `subject` (endpoint rules never select the host, node rules only it). */
export function selectsSubject(e: RuleEntry, subject: Pick<Subject, "identity" | "isHost">): boolean {
  if ((e.subject.kind === "nodes") !== subject.isHost) return false;
  return matchesAll(e.subject.selector.requirements, subject.identity.labels);
}

function resolveDirection(
  direction: "ingress" | "egress",
  subject: Subject,
  all: readonly RuleEntry[],
  cache: SelectorCache,
  ctx: PeerContext,
  namedPorts: NamedPortIndex,
  options: ResolveOptions,
): DirectionPolicy {
  const entries = all.filter((e) => e.direction === direction && selectsSubject(e, subject));
  const map = new MapState();
  const allowAll = (label: DerivedFrom): void =>
    map.insert(
      { identity: RESERVED.unknown, proto: 0, port: 0, prefixLen: 0 },
      { deny: false, precedence: 0, proxyPort: 0, parser: null, derivedFrom: [label] },
    );
  const anyLabel: DerivedFrom = { kind: "synthetic", label: direction === "ingress" ? "allow-any-ingress" : "allow-any-egress" };
  const origins = (es: readonly RuleEntry[]): RuleOrigin[] => es.map((e) => e.origin);

  let enforcement: Enforcement;
  if (options.enforcementMode === "never") enforcement = { kind: "not-enforced", reason: "mode-never" };
  else if (subject.isHost && !options.hostFirewall) enforcement = { kind: "not-enforced", reason: "host-firewall-off" };
  else if (options.enforcementMode === "always")
    enforcement = { kind: "enforced", reason: "mode-always", by: origins(entries.filter((e) => e.defaultDeny)) };
  else if (subject.identity.labels.has("reserved", "init")) enforcement = { kind: "enforced", reason: "init-identity", by: [] };
  else if (entries.length === 0) enforcement = { kind: "not-enforced", reason: "no-policy" };
  else if (entries.some((e) => e.defaultDeny))
    enforcement = { kind: "enforced", reason: "default-deny", by: origins(entries.filter((e) => e.defaultDeny)) };
  else enforcement = { kind: "enforced-allow-rest", reason: "no-default-deny", by: origins(entries) };

  if (enforcement.kind === "not-enforced") {
    allowAll(anyLabel);
    return { enforcement, map, entries, unsupported: [], errors: [], selectors: new Set() };
  }
  // §6.6 (1.18): every fromRequires/toRequires of the applicable allow (deny) entries is ANDed into
  // the endpoint selectors of every applicable allow (deny) entry.
  const requiresOf = (deny: boolean): Selector[] => entries.filter((e) => e.deny === deny).flatMap((e) => e.requires);
  const requires = { allow: requiresOf(false), deny: requiresOf(true) };
  const observeOnly = enforcement.kind === "enforced-allow-rest";
  const unsupported = new Set<string>();
  const selectors = new Set<string>();
  const parsers = new Map<string, Set<string>>();
  for (const e of entries) {
    for (const peer of e.peers) {
      const sel = compilePeer(peer, ctx, peer.kind === "selector" ? (e.deny ? requires.deny : requires.allow) : []);
      if (!e.deny && e.ports !== "all") {
        for (const pr of e.ports) {
          if (pr.l7 === null) continue;
          for (const spec of pr.ports) {
            const key = `${sel.key} ${spec.protocol}/${spec.port.kind === "number" ? spec.port.port : spec.port.name}-${spec.endPort ?? ""}`;
            parsers.set(key, (parsers.get(key) ?? new Set()).add(pr.l7.kind));
          }
        }
      }
      if (sel.unsupported !== null) unsupported.add(`${sel.unsupported} (${e.origin.namespace ?? ""}/${e.origin.name})`);
      selectors.add(sel.key);
      const ids: NumericIdentity[] = sel.wildcard ? [RESERVED.unknown] : [...cache.add(sel)];
      if (!sel.wildcard && sel.matches(subject.localHost)) ids.push(RESERVED.host);
      insertEntry(map, e, ids, direction, subject, namedPorts);
    }
  }
  if (observeOnly) allowAll(anyLabel);
  // allow-localhost goes in last, under the same rules, so an explicit deny of `host` keeps it out (E24).
  if (direction === "ingress" && options.allowLocalhost && !subject.isHost) {
    map.insert(
      { identity: RESERVED.host, proto: 0, port: 0, prefixLen: 0 },
      { deny: false, precedence: 0, proxyPort: 0, parser: null, derivedFrom: [{ kind: "synthetic", label: "allow-localhost-ingress" }] },
    );
  }
  const errors = [...parsers]
    .filter(([, kinds]) => kinds.size > 1)
    .map(([key, kinds]) => `cannot merge conflicting L7 parsers (${[...kinds].join(", ")}) for ${key}`);
  return { enforcement, map, entries, unsupported: [...unsupported], errors, selectors };
}

function insertEntry(
  map: MapState,
  e: RuleEntry,
  ids: readonly NumericIdentity[],
  direction: "ingress" | "egress",
  subject: Subject,
  namedPorts: NamedPortIndex,
): void {
  const derivedFrom: readonly DerivedFrom[] = [{ kind: "rule", origin: e.origin }];
  if (e.ports === "all") {
    // An L3-only entry wildcards the protocol: ICMP and every other protocol included (§6.3).
    const entry: PolicyEntry = { deny: e.deny, precedence: e.deny ? DENY_PRECEDENCE : 0, proxyPort: 0, parser: null, derivedFrom };
    for (const id of ids) map.insertAt(id, 0, 0, 0, entry);
    return;
  }
  for (const rule of e.ports) {
    const parser = e.deny ? null : parserOf(rule);
    const entry: PolicyEntry = e.deny
      ? { deny: true, precedence: DENY_PRECEDENCE, proxyPort: 0, parser: null, derivedFrom }
      : {
          deny: false,
          precedence: allowPrecedence(parser, rule.listener?.priority ?? null),
          proxyPort: parser === null ? 0 : proxyPortFor(parser, direction),
          parser,
          derivedFrom,
        };
    for (const spec of rule.ports) {
      for (const proto of protocolNumbers(spec.protocol)) {
        const port = resolvePort(spec, proto, direction, subject, namedPorts);
        if (port === undefined) continue;
        for (const prefix of rangeToPrefixes(port, spec.endPort ?? port)) {
          // Port 0 (all ports) keeps the protocol; only L3-only entries wildcard it.
          for (const id of ids) map.insertAt(id, proto, prefix.port, prefix.prefixLen, entry);
        }
      }
    }
  }
}

/**
 * A port spec's number for one protocol. Named ports resolve on ingress against the subject pod's
 * own ports, on egress against every pod in the cluster, where the name must mean one number
 * (§6.3, E36, E37); an unresolvable name allows nothing.
 */
export function resolvePort(
  spec: PortSpec,
  proto: number,
  direction: "ingress" | "egress",
  subject: Subject,
  namedPorts: NamedPortIndex,
): number | undefined {
  if (spec.port.kind === "number") return spec.port.port;
  const name = spec.port.name;
  if (direction === "ingress") {
    const found = subject.ports.find((p) => p.name === name && PROTO[p.protocol] === proto);
    return found?.port;
  }
  return namedPorts.resolve(name, proto);
}
