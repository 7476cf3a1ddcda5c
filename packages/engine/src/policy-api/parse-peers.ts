import type { SourceNode } from "../source/node.ts";
import type { PathSegment } from "../source/problem.ts";
import { field, itemAt } from "../source/reader.ts";
import { exceptInside, parseCidr } from "./cidr.ts";
import type { PolicyReader } from "./context.ts";
import { parseLabelSelector } from "./parse-selector.ts";
import type { Cidr, CidrRule, Entity, Group, ServiceSelector } from "./types.ts";
import { CRD_ENTITIES, ENTITIES } from "./vocabulary.ts";

type Path = readonly PathSegment[];

const CIDR_RULE_FIELDS = new Set(["cidr", "cidrGroupRef", "cidrGroupSelector", "except"]);
const SERVICE_FIELDS = new Set(["k8sService", "k8sServiceSelector"]);
const K8S_SERVICE_FIELDS = new Set(["serviceName", "namespace"]);
const K8S_SERVICE_SELECTOR_FIELDS = new Set(["selector", "namespace"]);
const GROUP_FIELDS = new Set(["aws"]);
const AWS_FIELDS = new Set(["labels", "securityGroupsIds", "securityGroupsNames", "region"]);
const CIDR_GROUP_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Reads one `fromCIDR`/`toCIDR` entry: `addr/len` (the CRD's `format: cidr`; V33). */
export function parseCidrEntry(r: PolicyReader, node: SourceNode, path: Path): Cidr | undefined {
  const text = r.string(node, path);
  if (text === undefined) return undefined;
  const parsed = parseCidr(text);
  if (parsed !== undefined) return parsed.cidr;
  const hint =
    /^[0-9a-fA-F:.]+$/.test(text) && !text.includes("/") ? ` (write a prefix, e.g. "${text}/${text.includes(":") ? 128 : 32}")` : "";
  r.report(node, path, "schema.cidr", `"${text}" is not a valid CIDR prefix${hint}`);
  return undefined;
}

/** Reads one `fromCIDRSet`/`toCIDRSet` item (V34). */
export function parseCidrRule(r: PolicyReader, node: SourceNode, path: Path): CidrRule | undefined {
  const m = r.map(node, path, CIDR_RULE_FIELDS);
  if (m === undefined) return undefined;
  const present = ["cidr", "cidrGroupRef", "cidrGroupSelector"].filter((k) => field(m, k) !== undefined);
  if (present.length !== 1) {
    r.report(
      m,
      path,
      "cilium.cidr-rule",
      present.length === 0
        ? "one of cidr, cidrGroupRef or cidrGroupSelector is required"
        : `only one of cidr, cidrGroupRef or cidrGroupSelector may be set (found ${present.join(", ")})`,
    );
    return undefined;
  }
  const exceptNode = field(m, "except");
  const except = exceptNode === undefined ? [] : r.list(exceptNode, [...path, "except"], (n, p) => parseCidrEntry(r, n, p));
  const kind = present[0]!;
  const valueNode = field(m, kind)!;
  if (kind === "cidr") {
    const text = r.string(valueNode, [...path, "cidr"]);
    if (text === undefined || except === undefined) return undefined;
    const outer = parseCidr(text);
    if (outer === undefined) {
      r.report(
        valueNode,
        [...path, "cidr"],
        "schema.cidr",
        `"${text}" is not a valid CIDR prefix (a bare IP is not accepted here: write it as a /32 or /128)`,
      );
      return undefined;
    }
    let ok = true;
    except.forEach((e, i) => {
      const inner = parseCidr(e)!;
      if (!exceptInside(outer, inner.prefix)) {
        r.report(
          itemAt(exceptNode!, i),
          [...path, "except", i],
          "cilium.cidr-except",
          `allow CIDR prefix ${outer.cidr} does not contain exclude CIDR prefix ${e}`,
        );
        ok = false;
      }
    });
    return ok ? { kind: "cidr", cidr: outer.cidr, except, pos: m.pos } : undefined;
  }
  if (kind === "cidrGroupRef") {
    const name = r.string(valueNode, [...path, "cidrGroupRef"]);
    if (name !== undefined && (name.length > 253 || !CIDR_GROUP_NAME.test(name))) {
      r.report(
        valueNode,
        [...path, "cidrGroupRef"],
        "schema.pattern",
        `invalid CiliumCIDRGroup name "${name}": must be a lowercase RFC 1123 subdomain`,
      );
      return undefined;
    }
    return name === undefined || except === undefined ? undefined : { kind: "cidrGroupRef", cidrGroupRef: name, except, pos: m.pos };
  }
  const selector = parseLabelSelector(r, valueNode, [...path, "cidrGroupSelector"], "cilium");
  return selector === undefined || except === undefined
    ? undefined
    : { kind: "cidrGroupSelector", cidrGroupSelector: selector, except, pos: m.pos };
}

/** Reads an entity name (V32). The CRD's enum lacks world-ipv4/world-ipv6, which only the agent knows. */
export function parseEntity(r: PolicyReader, node: SourceNode, path: Path): Entity | undefined {
  const text = r.string(node, path);
  if (text === undefined) return undefined;
  if ((CRD_ENTITIES as readonly string[]).includes(text)) return text as Entity;
  const why = (ENTITIES as readonly string[]).includes(text)
    ? `entity "${text}" is known to the agent but not accepted by the CiliumNetworkPolicy CRD schema`
    : `unsupported entity "${text}": must be one of ${CRD_ENTITIES.join(", ")}`;
  r.report(node, path, "cilium.entity", why);
  return undefined;
}

/** Reads a `toServices` item: exactly one of k8sService / k8sServiceSelector. */
export function parseService(r: PolicyReader, node: SourceNode, path: Path): ServiceSelector | undefined {
  const m = r.map(node, path, SERVICE_FIELDS);
  if (m === undefined) return undefined;
  const svc = field(m, "k8sService");
  const sel = field(m, "k8sServiceSelector");
  if ((svc === undefined) === (sel === undefined)) {
    r.report(m, path, "cilium.service", "exactly one of k8sService or k8sServiceSelector is required");
    return undefined;
  }
  const namespaceOf = (mm: Parameters<typeof field>[0], p: Path): string | null | undefined => {
    const n = field(mm, "namespace");
    const s = n === undefined ? null : r.string(n, [...p, "namespace"]);
    return s === "" ? null : s;
  };
  if (svc !== undefined) {
    const p = [...path, "k8sService"];
    const sm = r.map(svc, p, K8S_SERVICE_FIELDS);
    if (sm === undefined) return undefined;
    const nameNode = field(sm, "serviceName");
    const serviceName = nameNode === undefined ? "" : r.string(nameNode, [...p, "serviceName"]);
    const namespace = namespaceOf(sm, p);
    if (serviceName === "") r.report(sm, [...p, "serviceName"], "schema.required", "serviceName is required");
    if (!serviceName || namespace === undefined) return undefined;
    return { kind: "k8sService", serviceName, namespace, pos: m.pos };
  }
  const p = [...path, "k8sServiceSelector"];
  const sm = r.map(sel!, p, K8S_SERVICE_SELECTOR_FIELDS);
  if (sm === undefined) return undefined;
  const selNode = field(sm, "selector");
  if (selNode === undefined) {
    r.report(sm, [...p, "selector"], "schema.required", "selector is required");
    return undefined;
  }
  const selector = parseLabelSelector(r, selNode, [...p, "selector"], "cilium");
  const namespace = namespaceOf(sm, p);
  return selector === undefined || namespace === undefined ? undefined : { kind: "k8sServiceSelector", selector, namespace, pos: m.pos };
}

/** Reads a `fromGroups`/`toGroups` item (AWS only in Cilium). */
export function parseGroup(r: PolicyReader, node: SourceNode, path: Path): Group | undefined {
  const m = r.map(node, path, GROUP_FIELDS);
  if (m === undefined) return undefined;
  const awsNode = field(m, "aws");
  if (awsNode === undefined) {
    r.report(m, [...path, "aws"], "schema.required", "aws is required");
    return undefined;
  }
  const p = [...path, "aws"];
  const am = r.map(awsNode, p, AWS_FIELDS);
  if (am === undefined) return undefined;
  const strings = (key: string): string[] | undefined => {
    const n = field(am, key);
    return n === undefined ? [] : r.list(n, [...p, key], (x, xp) => r.string(x, xp));
  };
  const labelsNode = field(am, "labels");
  const labels = labelsNode === undefined ? new Map<string, string>() : r.stringMap(labelsNode, [...p, "labels"]);
  const securityGroupsIds = strings("securityGroupsIds");
  const securityGroupsNames = strings("securityGroupsNames");
  const regionNode = field(am, "region");
  const region = regionNode === undefined ? null : r.string(regionNode, [...p, "region"]);
  if (labels === undefined || securityGroupsIds === undefined || securityGroupsNames === undefined || region === undefined)
    return undefined;
  return { aws: { labels, securityGroupsIds, securityGroupsNames, region }, pos: m.pos };
}
