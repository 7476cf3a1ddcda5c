import type { LabelSelector } from "../selector/label-selector.ts";
import type { MapNode, SourceNode } from "../source/node.ts";
import type { PathSegment } from "../source/problem.ts";
import { field } from "../source/reader.ts";
import type { PolicyReader } from "./context.ts";
import { parseFqdnSelector } from "./parse-l7.ts";
import { parseCidrEntry, parseCidrRule, parseEntity, parseGroup, parseService } from "./parse-peers.ts";
import { parseIcmpRule, parsePortDenyRule, parsePortRule } from "./parse-ports.ts";
import { parseLabelSelector } from "./parse-selector.ts";
import type {
  AuthenticationMode,
  CiliumRule,
  EgressDenyRule,
  EgressPeer,
  EgressRule,
  IngressDenyRule,
  IngressRule,
  PortDenyRule,
  PortRule,
  RuleLabel,
  SourceRef,
  Subject,
} from "./types.ts";

type Path = readonly PathSegment[];
type Direction = "ingress" | "egress";

const RULE_FIELDS = new Set([
  "endpointSelector",
  "nodeSelector",
  "ingress",
  "ingressDeny",
  "egress",
  "egressDeny",
  "labels",
  "enableDefaultDeny",
  "description",
  "log",
]);
const DEFAULT_DENY_FIELDS = new Set(["ingress", "egress"]);
const LABEL_FIELDS = new Set(["key", "value", "source"]);
const LOG_FIELDS = new Set(["value"]);
const AUTH_FIELDS = new Set(["mode"]);
const AUTH_MODES: readonly AuthenticationMode[] = ["disabled", "required", "test-always-fail"];
const LOG_VALUE = /^\P{C}*$/u;

/**
 * The peer fields of each section, in Cilium's order. Each names the peer kind it makes; only one
 * kind may be non-empty in one item (V5, V6). `requires` is not a peer kind.
 */
const PEER_FIELDS: Readonly<Record<Direction, readonly (readonly [string, EgressPeer["kind"]])[]>> = {
  ingress: [
    ["fromEndpoints", "endpoints"],
    ["fromCIDR", "cidr"],
    ["fromCIDRSet", "cidrSet"],
    ["fromEntities", "entities"],
    ["fromNodes", "nodes"],
    ["fromGroups", "groups"],
  ],
  egress: [
    ["toEndpoints", "endpoints"],
    ["toCIDR", "cidr"],
    ["toCIDRSet", "cidrSet"],
    ["toEntities", "entities"],
    ["toServices", "services"],
    ["toGroups", "groups"],
    ["toNodes", "nodes"],
    ["toFQDNs", "fqdns"],
  ],
};

/** Reads one Cilium rule (`spec` or a `specs` item) and applies Rule.Sanitize (V1–V3, V5–V9, V30, V31). */
export function parseCiliumRule(
  r: PolicyReader,
  node: SourceNode,
  path: Path,
  source: Omit<SourceRef, "path" | "pos">,
): CiliumRule | undefined {
  const m = r.map(node, path, RULE_FIELDS);
  if (m === undefined) return undefined;
  const before = r.issues.length;
  const es = field(m, "endpointSelector");
  const ns = field(m, "nodeSelector");
  let subject: Subject | undefined;
  if (es !== undefined && ns !== undefined) {
    r.report(ns, [...path, "nodeSelector"], "cilium.selector-both", "rule cannot have both endpointSelector and nodeSelector");
  } else if (es === undefined && ns === undefined) {
    r.report(m, path, "cilium.selector-missing", "rule must have one of endpointSelector or nodeSelector");
  } else if (ns !== undefined && r.kind !== "CiliumClusterwideNetworkPolicy") {
    r.report(
      ns,
      [...path, "nodeSelector"],
      "cilium.node-selector-namespaced",
      "nodeSelector is only allowed in a CiliumClusterwideNetworkPolicy",
    );
  } else {
    const key = es !== undefined ? "endpointSelector" : "nodeSelector";
    const selector = parseLabelSelector(r, (es ?? ns)!, [...path, key], "cilium");
    if (selector !== undefined) subject = { kind: es !== undefined ? "endpoints" : "nodes", selector };
  }
  const hostPolicy = ns !== undefined;
  const section = <T>(key: string, item: (n: SourceNode, p: Path) => T | undefined): T[] | undefined => {
    const n = field(m, key);
    return n === undefined ? [] : r.list(n, [...path, key], item);
  };
  const ingress = section("ingress", (n, p) => parseSectionItem(r, n, p, "ingress", false, hostPolicy) as IngressRule | undefined);
  const ingressDeny = section(
    "ingressDeny",
    (n, p) => parseSectionItem(r, n, p, "ingress", true, hostPolicy) as IngressDenyRule | undefined,
  );
  const egress = section("egress", (n, p) => parseSectionItem(r, n, p, "egress", false, hostPolicy) as EgressRule | undefined);
  const egressDeny = section("egressDeny", (n, p) => parseSectionItem(r, n, p, "egress", true, hostPolicy) as EgressDenyRule | undefined);
  const sizes = ["ingress", "ingressDeny", "egress", "egressDeny"].map((k) => {
    const n = field(m, k);
    return n?.kind === "seq" ? n.items.length : 0;
  });
  if (sizes.every((s) => s === 0)) {
    r.report(m, path, "cilium.rule-empty", "rule must have at least one of ingress, ingressDeny, egress, egressDeny");
  }
  const enableDefaultDeny = parseDefaultDeny(r, m, path);
  const labels = section("labels", (n, p) => parseRuleLabel(r, n, p));
  const descNode = field(m, "description");
  const description = descNode === undefined ? null : r.string(descNode, [...path, "description"]);
  const log = parseLog(r, m, path);
  if (r.issues.slice(before).some((i) => i.severity === "error")) return undefined;
  if (!subject || !ingress || !ingressDeny || !egress || !egressDeny || !enableDefaultDeny || !labels) return undefined;
  if (description === undefined || log === undefined) return undefined;
  return {
    subject,
    ingress,
    ingressDeny,
    egress,
    egressDeny,
    enableDefaultDeny,
    labels,
    description,
    log,
    source: { ...source, path, pos: m.pos },
  };
}

function parseSectionItem(
  r: PolicyReader,
  node: SourceNode,
  path: Path,
  direction: Direction,
  deny: boolean,
  hostPolicy: boolean,
): IngressRule | IngressDenyRule | EgressRule | EgressDenyRule | undefined {
  const peerFields = PEER_FIELDS[direction].filter(([, kind]) => !(deny && kind === "fqdns"));
  const requiresKey = direction === "ingress" ? "fromRequires" : "toRequires";
  const fields = new Set([...peerFields.map(([k]) => k), requiresKey, "toPorts", "icmps", ...(deny ? [] : ["authentication"])]);
  const m = r.map(node, path, fields);
  if (m === undefined) return undefined;
  const before = r.issues.length;

  const present = peerFields.filter(([k]) => field(m, k) !== undefined);
  const nonEmpty = present.filter(([k]) => {
    const n = field(m, k)!;
    return n.kind !== "seq" || n.items.length > 0;
  });
  if (nonEmpty.length > 1) {
    r.report(
      m,
      path,
      "cilium.peer-combination",
      `combining ${nonEmpty.map(([k]) => k).join(" and ")} is not supported yet: use one peer kind per ${deny ? `${direction}Deny` : direction} item`,
    );
  }
  const chosen = nonEmpty[0] ?? present[0];
  const peer = chosen === undefined ? null : parsePeer(r, m, path, chosen[0], chosen[1]);
  if (chosen?.[1] === "nodes" && !r.options.enableNodeSelectorLabels) {
    r.report(
      field(m, chosen[0])!,
      [...path, chosen[0]],
      "cilium.nodes-disabled",
      `${chosen[0]} needs the agent option enable-node-selector-labels`,
    );
  }

  const reqNode = field(m, requiresKey);
  let requires: LabelSelector[] | null | undefined = null;
  if (reqNode !== undefined) {
    requires = r.list(reqNode, [...path, requiresKey], (n, p) => parseLabelSelector(r, n, p, "cilium"));
    r.report(
      reqNode,
      [...path, requiresKey],
      "cilium.requires-deprecated",
      `${requiresKey} was deprecated in Cilium 1.17 and removed in 1.19; membrane applies its 1.18 semantics`,
      "warning",
    );
  }

  const portsNode = field(m, "toPorts");
  const toPorts: (PortRule | PortDenyRule)[] | null | undefined =
    portsNode === undefined
      ? null
      : r.list(portsNode, [...path, "toPorts"], (n, p) => (deny ? parsePortDenyRule(r, n, p) : parsePortRule(r, n, p, direction)));
  const icmpNode = field(m, "icmps");
  const icmps = icmpNode === undefined ? null : r.list(icmpNode, [...path, "icmps"], (n, p) => parseIcmpRule(r, n, p));
  if (icmpNode !== undefined && !r.options.enableIcmpRules) {
    r.report(icmpNode, [...path, "icmps"], "cilium.icmp-disabled", "icmps need the agent option enable-icmp-rules");
  }
  if (toPorts && toPorts.length > 0 && icmps && icmps.length > 0) {
    r.report(
      icmpNode!,
      [...path, "icmps"],
      "cilium.icmps-with-ports",
      "the icmps block may only be present without toPorts: define a separate rule to use toPorts",
    );
  }
  if (hostPolicy && toPorts) checkHostL7(r, toPorts, path, direction);

  const authNode = field(m, "authentication");
  const authentication = authNode === undefined ? null : parseAuthentication(r, authNode, [...path, "authentication"]);
  if (r.issues.slice(before).some((i) => i.severity === "error")) return undefined;
  if (peer === undefined || requires === undefined || toPorts === undefined || icmps === undefined || authentication === undefined)
    return undefined;
  const base = { peer, requires, icmps, pos: m.pos, path };
  return deny
    ? ({ ...base, toPorts: toPorts as PortDenyRule[] | null } as IngressDenyRule)
    : ({ ...base, toPorts: toPorts as PortRule[] | null, authentication } as IngressRule | EgressRule);
}

function parsePeer(r: PolicyReader, m: MapNode, path: Path, key: string, kind: EgressPeer["kind"]): EgressPeer | undefined {
  const n = field(m, key)!;
  const p = [...path, key];
  switch (kind) {
    case "endpoints":
    case "nodes": {
      const selectors = r.list(n, p, (x, xp) => parseLabelSelector(r, x, xp, "cilium"));
      return selectors && { kind, selectors };
    }
    case "cidr": {
      const cidrs = r.list(n, p, (x, xp) => parseCidrEntry(r, x, xp));
      return cidrs && { kind, cidrs };
    }
    case "cidrSet": {
      const rules = r.list(n, p, (x, xp) => parseCidrRule(r, x, xp));
      return rules && { kind, rules };
    }
    case "entities": {
      const entities = r.list(n, p, (x, xp) => parseEntity(r, x, xp));
      return entities && { kind, entities };
    }
    case "groups": {
      const groups = r.list(n, p, (x, xp) => parseGroup(r, x, xp));
      return groups && { kind, groups };
    }
    case "services": {
      const services = r.list(n, p, (x, xp) => parseService(r, x, xp));
      return services && { kind, services };
    }
    case "fqdns": {
      const fqdns = r.list(n, p, (x, xp) => parseFqdnSelector(r, x, xp));
      return fqdns && { kind, fqdns };
    }
  }
}

/** V30: host policies take no L7 on ingress, and only DNS L7 on egress. */
function checkHostL7(r: PolicyReader, toPorts: readonly (PortRule | PortDenyRule)[], path: Path, direction: Direction): void {
  toPorts.forEach((pr, i) => {
    if (!("rules" in pr) || pr.rules === null) return;
    if (direction === "ingress" || pr.rules.kind !== "dns") {
      r.report(
        pr,
        [...path, "toPorts", i, "rules"],
        "cilium.host-l7",
        `host policies (nodeSelector) do not support ${pr.rules.kind} L7 rules on ${direction}${direction === "egress" ? " (only DNS)" : ""}`,
      );
    }
  });
}

function parseAuthentication(r: PolicyReader, node: SourceNode, path: Path): AuthenticationMode | undefined {
  const m = r.map(node, path, AUTH_FIELDS);
  if (m === undefined) return undefined;
  const mode = field(m, "mode");
  if (mode === undefined) {
    r.report(m, [...path, "mode"], "schema.required", "mode is required");
    return undefined;
  }
  return r.oneOf(mode, [...path, "mode"], AUTH_MODES);
}

function parseDefaultDeny(r: PolicyReader, m: MapNode, path: Path): CiliumRule["enableDefaultDeny"] | undefined {
  const n = field(m, "enableDefaultDeny");
  if (n === undefined) return { ingress: null, egress: null };
  const p = [...path, "enableDefaultDeny"];
  const dm = r.map(n, p, DEFAULT_DENY_FIELDS);
  if (dm === undefined) return undefined;
  const read = (key: string): boolean | null | undefined => {
    const v = field(dm, key);
    return v === undefined ? null : r.boolean(v, [...p, key]);
  };
  const ingress = read("ingress");
  const egress = read("egress");
  return ingress === undefined || egress === undefined ? undefined : { ingress, egress };
}

function parseRuleLabel(r: PolicyReader, node: SourceNode, path: Path): RuleLabel | undefined {
  const m = r.map(node, path, LABEL_FIELDS);
  if (m === undefined) return undefined;
  const str = (key: string): string | undefined => {
    const n = field(m, key);
    return n === undefined ? "" : r.string(n, [...path, key]);
  };
  const key = str("key");
  const value = str("value");
  const source = str("source");
  if (key === "") r.report(m, [...path, "key"], "schema.required", "key is required");
  if (!key || value === undefined || source === undefined) return undefined;
  return { key, value, source: source === "" ? "unspec" : source };
}

function parseLog(r: PolicyReader, m: MapNode, path: Path): string | null | undefined {
  const n = field(m, "log");
  if (n === undefined) return null;
  const lm = r.map(n, [...path, "log"], LOG_FIELDS);
  if (lm === undefined) return undefined;
  const v = field(lm, "value");
  const value = v === undefined ? "" : r.string(v, [...path, "log", "value"]);
  if (value !== undefined && ([...value].length > 32 || !LOG_VALUE.test(value))) {
    r.report(
      v!,
      [...path, "log", "value"],
      "schema.pattern",
      "log value must be at most 32 characters, none of them control or format characters",
    );
    return undefined;
  }
  return value;
}
