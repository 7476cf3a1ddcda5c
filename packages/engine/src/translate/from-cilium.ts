import type { CiliumRule, EgressPeer, IcmpRule, Policy, PortDenyRule, PortProtocol, PortRule } from "../policy-api/types.ts";
import type { Position } from "../source/node.ts";
import type { PathSegment } from "../source/problem.ts";
import { originOf } from "./origin.ts";
import type { Peer, PortRuleForm, RuleEntry, SubjectSelector, TranslationOptions } from "./rule-form.ts";
import { scopeNodes, scopePeer, scopeSubject, selectsInit, type PolicyScope } from "./scoping.ts";

type CiliumPolicy = Extract<Policy, { kind: "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy" }>;

interface Item {
  readonly peer: EgressPeer | null;
  readonly requires: readonly Parameters<typeof scopeSubject>[0][] | null;
  readonly toPorts: readonly (PortRule | PortDenyRule)[] | null;
  readonly icmps: readonly IcmpRule[] | null;
  readonly authentication?: RuleEntry["authentication"];
  readonly path: readonly PathSegment[];
  readonly pos: Position;
}

/** Translates a CNP or CCNP into entries, one per section item (Cilium's parserules.go). */
export function translateCiliumPolicy(policy: CiliumPolicy, options: TranslationOptions): RuleEntry[] {
  const scope: PolicyScope =
    policy.meta.namespace === null ? { kind: "clusterwide" } : { kind: "namespaced", namespace: policy.meta.namespace };
  return policy.rules.flatMap((rule, ruleIndex) => translateRule(policy, rule, ruleIndex, scope, options));
}

function translateRule(
  policy: CiliumPolicy,
  rule: CiliumRule,
  ruleIndex: number,
  scope: PolicyScope,
  options: TranslationOptions,
): RuleEntry[] {
  const subject: SubjectSelector =
    rule.subject.kind === "endpoints"
      ? { kind: "endpoints", selector: scopeSubject(rule.subject.selector, scope) }
      : { kind: "nodes", selector: { requirements: scopeSubject(rule.subject.selector, { kind: "clusterwide" }).requirements } };
  const init = selectsInit(rule.subject.selector);
  const labels = rule.labels.map((l) => `${l.source}:${l.key}=${l.value}`);
  const entry = (item: Item, direction: "ingress" | "egress", deny: boolean): RuleEntry => ({
    subject,
    direction,
    deny,
    // §6.2: an unset enableDefaultDeny means "on", since this entry exists for the direction.
    defaultDeny: rule.enableDefaultDeny[direction] ?? true,
    peers: peersOf(item, scope, init, options),
    requires: (item.requires ?? []).map((s) => scopePeer(s, scope, init, options)),
    ports: portsOf(item),
    authentication: item.authentication ?? null,
    origin: originOf(policy, ruleIndex, item.path, item.pos, labels, rule.log),
  });
  return [
    ...rule.ingress.map((i) => entry(i, "ingress", false)),
    ...rule.ingressDeny.map((i) => entry(i, "ingress", true)),
    ...rule.egress.map((i) => entry(i, "egress", false)),
    ...rule.egressDeny.map((i) => entry(i, "egress", true)),
  ];
}

/**
 * §6.1: no peer field means any peer, but only when the item has port rules (an item with neither
 * allows nothing); a peer field with an empty list selects no one.
 */
function peersOf(item: Item, scope: PolicyScope, init: boolean, options: TranslationOptions): Peer[] {
  const p = item.peer;
  if (p === null) return item.toPorts === null && item.icmps === null ? [] : [{ kind: "any" }];
  switch (p.kind) {
    case "endpoints":
      return p.selectors.map((s): Peer => ({ kind: "selector", selector: scopePeer(s, scope, init, options) }));
    case "nodes":
      return p.selectors.map((s): Peer => ({ kind: "nodes", selector: scopeNodes(s, options) }));
    case "cidr":
      return p.cidrs.map((cidr): Peer => ({ kind: "cidr", cidr, except: [] }));
    case "cidrSet":
      return p.rules.map((rule): Peer =>
        rule.kind === "cidr" ? { kind: "cidr", cidr: rule.cidr, except: rule.except } : { kind: "cidrGroup", rule },
      );
    case "entities":
      return p.entities.map((entity): Peer => ({ kind: "entity", entity }));
    case "groups":
      return p.groups.map((group): Peer => ({ kind: "group", group }));
    case "services":
      return p.services.map((service): Peer => ({ kind: "service", service }));
    case "fqdns":
      return p.fqdns.map((fqdn): Peer => ({ kind: "fqdn", fqdn }));
  }
}

/** L3-only when neither toPorts nor icmps is given; `icmps` become ICMP "ports" keyed by type. */
function portsOf(item: Item): PortRuleForm[] | "all" {
  if (item.toPorts === null && item.icmps === null) return "all";
  const ports: PortRuleForm[] = (item.toPorts ?? []).map((pr) => ({
    ports: pr.ports.map(portSpec),
    l7: "rules" in pr ? pr.rules : null,
    serverNames: "serverNames" in pr ? pr.serverNames : [],
    terminatingTLS: "terminatingTLS" in pr ? pr.terminatingTLS : null,
    originatingTLS: "originatingTLS" in pr ? pr.originatingTLS : null,
    listener: "listener" in pr ? pr.listener : null,
  }));
  for (const icmp of item.icmps ?? []) {
    ports.push({
      ports: icmp.fields.map((f) => ({
        port: { kind: "number", port: f.type },
        endPort: null,
        protocol: f.family === "IPv4" ? "ICMP" : "ICMPv6",
      })),
      l7: null,
      serverNames: [],
      terminatingTLS: null,
      originatingTLS: null,
      listener: null,
    });
  }
  return ports;
}

function portSpec(p: PortProtocol): PortRuleForm["ports"][number] {
  return { port: p.port ?? { kind: "number", port: 0 }, endPort: p.endPort, protocol: p.protocol };
}
