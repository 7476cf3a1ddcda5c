import { RESERVED } from "../identity/numeric-identity.ts";
import type { L7Policy } from "../l7/l7-policy.ts";
import type { FqdnSelector, HttpRule, KafkaRule } from "../policy-api/types.ts";
import type { PortRuleForm, RuleEntry } from "../translate/rule-form.ts";
import type { NamedPortIndex } from "./named-ports.ts";
import { compilePeer, type IdentityInfo, type PeerContext } from "./peer-selector.ts";
import { prefixCoversPort, rangeToPrefixes } from "./port-range.ts";
import { protocolNumbers } from "./protocol.ts";
import { resolvePort, type DirectionPolicy, type Subject } from "./resolve.ts";
import type { SelectorCache } from "./selector-cache.ts";

/**
 * The L7 policy of one redirected connection (§6.4, §8.1): among the subject's allow entries in
 * the direction, those whose peers select `peer` and whose ports cover (proto, port); a covering
 * rule without L7 (or an L3-only one, or an observe-only direction) allows every request, else the
 * covering L7 rules are ORed. Different L7 kinds on one port are a conflict (Cilium: "cannot merge
 * conflicting L7 parsers").
 */
export function l7PolicyFor(
  direction: "ingress" | "egress",
  policy: DirectionPolicy,
  subject: Subject,
  peer: IdentityInfo,
  proto: number,
  port: number,
  cache: SelectorCache,
  ctx: PeerContext,
  namedPorts: NamedPortIndex,
  allowLocalhost: boolean,
): L7Policy {
  const hit = policy.map.lookup(peer.id, proto, port);
  if (hit.kind === "none" || hit.entry.deny || hit.entry.proxyPort === 0 || hit.entry.parser === null) return { kind: "not-redirected" };
  const parser = hit.entry.parser;
  if (policy.enforcement.kind === "enforced-allow-rest")
    return { kind: "allow-all", parser, why: "no applicable rule is default-deny in this direction: L7 rules only observe" };
  const allows = policy.entries.filter((e) => !e.deny);
  const requires = allows.flatMap((e) => e.requires);
  const covering: (PortRuleForm | "all")[] = [];
  for (const e of allows) {
    if (!selectsPeer(e, peer, subject, requires, cache, ctx)) continue;
    if (e.ports === "all") covering.push("all");
    else for (const pr of e.ports) if (coversPort(pr, proto, port, direction, subject, namedPorts)) covering.push(pr);
  }
  if (covering.some((c) => c === "all" || (c.l7 === null && c.serverNames.length === 0))) {
    return { kind: "allow-all", parser, why: "a rule without L7 allows this peer on this port, so every request is allowed" };
  }
  // allow-localhost: an ingress L7 filter whose selector matches the host gets the host added
  // without L7 restriction, so kubelet probes pass the proxy (pkg/policy/l4.go).
  if (direction === "ingress" && allowLocalhost && peer.id === RESERVED.host && covering.length > 0) {
    return { kind: "allow-all", parser, why: "the local host passes ingress L7 rules that select it (allow-localhost)" };
  }
  const rules = covering.filter((c): c is PortRuleForm => c !== "all");
  const kinds = new Set(rules.flatMap((r) => (r.l7 === null ? [] : [r.l7.kind])));
  if (kinds.size > 1)
    return { kind: "conflict", message: `cannot merge conflicting L7 parsers (${[...kinds].join(", ")}) on port ${port}` };
  const l7 = rules.flatMap((r) => (r.l7 === null ? [] : [r.l7]));
  const kind = l7[0]?.kind;
  if (kind === undefined) return { kind: "tls", serverNames: [...new Set(rules.flatMap((r) => r.serverNames))] };
  switch (kind) {
    case "http":
      return { kind, rules: l7.flatMap((x) => (x.kind === "http" ? x.rules : [])) as HttpRule[] };
    case "kafka":
      return { kind, rules: l7.flatMap((x) => (x.kind === "kafka" ? x.rules : [])) as KafkaRule[] };
    case "dns":
      return { kind, rules: l7.flatMap((x) => (x.kind === "dns" ? x.rules : [])) as FqdnSelector[] };
    default: {
      const first = l7[0]!;
      return {
        kind: "l7proto",
        l7proto: first.kind === "l7proto" ? first.l7proto : "",
        rules: l7.flatMap((x) => (x.kind === "l7proto" ? x.rules : [])),
      };
    }
  }
}

function selectsPeer(
  e: RuleEntry,
  peer: IdentityInfo,
  subject: Subject,
  requires: RuleEntry["requires"],
  cache: SelectorCache,
  ctx: PeerContext,
): boolean {
  return e.peers.some((p) => {
    const sel = compilePeer(p, ctx, p.kind === "selector" ? requires : []);
    if (sel.wildcard) return true;
    // The host identity is matched against its labels on the subject's node (see resolveDirection).
    if (peer.id === RESERVED.host) return sel.matches(peer);
    return cache.add(sel).has(peer.id);
  });
}

function coversPort(
  pr: PortRuleForm,
  proto: number,
  port: number,
  direction: "ingress" | "egress",
  subject: Subject,
  namedPorts: NamedPortIndex,
): boolean {
  return pr.ports.some((spec) => {
    if (!protocolNumbers(spec.protocol).includes(proto as never)) return false;
    const start = resolvePort(spec, proto, direction, subject, namedPorts);
    return start !== undefined && rangeToPrefixes(start, spec.endPort ?? start).some((p) => prefixCoversPort(p, port));
  });
}
