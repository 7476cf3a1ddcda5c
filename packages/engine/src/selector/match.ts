import { SOURCE } from "../labels/label.ts";
import type { LabelSet } from "../labels/label-set.ts";
import { parsePrefix, prefixContains, type IpPrefix } from "../net/ip.ts";
import type { Requirement } from "./label-selector.ts";

/**
 * Whether a label set satisfies every requirement (Kubernetes semantics, with Cilium's sources: a
 * requirement on `any:K` is satisfied by `K` from any source). A requirement on `cidr:P` is
 * satisfied by containment: the set holds a `cidr:` label whose prefix lies inside P
 * (`policy-semantics.md` §1.3).
 */
export function matchesAll(requirements: readonly Requirement[], labels: LabelSet): boolean {
  for (const r of requirements) if (!matches(r, labels)) return false;
  return true;
}

function matches(r: Requirement, labels: LabelSet): boolean {
  if (r.key.source === SOURCE.cidr) return matchesCidr(r, labels);
  const candidates = labels.withKey(r.key.key);
  let found = false;
  for (const l of candidates) {
    if (r.key.source !== SOURCE.any && l.source !== r.key.source) continue;
    found = true;
    if ((r.operator === "In" && r.values.includes(l.value)) || (r.operator === "NotIn" && r.values.includes(l.value))) {
      return r.operator === "In";
    }
  }
  switch (r.operator) {
    case "In":
      return false;
    case "NotIn":
      return true;
    case "Exists":
      return found;
    case "DoesNotExist":
      return !found;
  }
}

function matchesCidr(r: Requirement, labels: LabelSet): boolean {
  const outer = cidrOfKey(r.key.key);
  const inside = outer !== undefined && labels.cidrPrefixes().some((p) => isInside(p, outer));
  return r.operator === "DoesNotExist" || r.operator === "NotIn" ? !inside : inside;
}

/** Whether prefix `inner` lies within `outer` (same family, at least as long, same leading bits). */
export function isInside(inner: IpPrefix | undefined, outer: IpPrefix): boolean {
  return inner !== undefined && inner.bits >= outer.bits && prefixContains(outer, inner.addr);
}

/** The prefix a `cidr:` label key names; IPv6 keys write `:` as `-` (`cidr:2001-db8--/32`). */
export function cidrOfKey(key: string): IpPrefix | undefined {
  return parsePrefix(key.includes("-") ? key.replaceAll("-", ":") : key);
}

/** The `cidr:` label key of a prefix text. */
export function cidrKey(prefixText: string): string {
  return prefixText.replaceAll(":", "-");
}
