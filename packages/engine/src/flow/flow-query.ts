/**
 * What `observe` asks of a set of flows — Hubble's GetFlowsRequest (allow and deny filter lists,
 * time window, number, first, follow) in membrane's terms: a filter is a group of `observe`'s own
 * flags (ANDed), so the agent's server and the CLI reading a file select with the same code. A
 * flow passes when it matches some allow filter (or there is none) and no deny filter. The query
 * travels as URL query parameters.
 */
import { err, ok, type Result } from "../result.ts";
import { flowFilter, type FilterKind, type FlowPredicate, type Side } from "./filter.ts";
import type { Flow } from "./flow.ts";

/** Hubble's filter flags: `--X` (either side), `--from-X`, `--to-X`, and one-sided ones. */
export const SIDED_FILTERS: readonly FilterKind[] = ["namespace", "pod", "label", "identity", "ip", "fqdn", "port"];
export const PLAIN_FILTERS: readonly FilterKind[] = [
  "verdict",
  "drop-reason-desc",
  "type",
  "protocol",
  "http-status",
  "http-method",
  "http-path",
  "traffic-direction",
  "node-name",
];

/** One filter flag with its values (which OR together). */
export interface FilterFlag {
  readonly flag: string;
  readonly values: readonly string[];
}

/** A filter: flags that must all match (Hubble's FlowFilter). */
export type FlowFilterGroup = readonly FilterFlag[];

/** A request for flows. Times are milliseconds since the epoch. */
export interface FlowQuery {
  /** Hubble's whitelist: a flow must match one of these (none: every flow). */
  readonly allow: readonly FlowFilterGroup[];
  /** Hubble's blacklist: a flow matching one of these is left out. */
  readonly deny: readonly FlowFilterGroup[];
  readonly since: number | null;
  readonly until: number | null;
  /** The last `number` matching flows of the history (null: all). */
  readonly number: number | null;
  /** The first `first` matching flows instead (null: not asked). */
  readonly first: number | null;
  readonly follow: boolean;
}

/** Whether a flag names a filter (`from-pod`, `verdict`, …). */
export function isFilterFlag(flag: string): boolean {
  const kind = flag.replace(/^(from|to)-/, "");
  return (PLAIN_FILTERS as readonly string[]).includes(kind) ? kind === flag : (SIDED_FILTERS as readonly string[]).includes(kind);
}

/** The predicate of one flag, or why its values are wrong. */
function predicateOf(f: FilterFlag): Result<FlowPredicate, string> {
  const [side, kind]: [Side, string] = f.flag.startsWith("from-")
    ? ["from", f.flag.slice(5)]
    : f.flag.startsWith("to-")
      ? ["to", f.flag.slice(3)]
      : ["either", f.flag];
  if (!isFilterFlag(f.flag)) return err(`--${f.flag} is not a filter`);
  // Hubble lets one value list several with commas, except label selectors, which use commas themselves.
  const values = kind === "label" ? f.values : f.values.flatMap((v) => v.split(",")).filter((x) => x !== "");
  const r = flowFilter(kind as FilterKind, side, values);
  if (!r.ok) return err(`--${f.flag}: ${r.error}`);
  return ok(r.value);
}

/** The predicate of one filter: all its flags. */
function groupPredicate(group: FlowFilterGroup): Result<FlowPredicate, string> {
  const preds: FlowPredicate[] = [];
  for (const f of group) {
    const p = predicateOf(f);
    if (!p.ok) return p;
    preds.push(p.value);
  }
  return ok((flow) => preds.every((p) => p(flow)));
}

/** One predicate for the whole query: the allow and deny lists and the time window. */
export function queryPredicate(q: FlowQuery): Result<FlowPredicate, string> {
  const lists: FlowPredicate[][] = [[], []];
  for (const [i, groups] of [q.allow, q.deny].entries())
    for (const g of groups) {
      const p = groupPredicate(g);
      if (!p.ok) return p;
      lists[i]!.push(p.value);
    }
  const [allow, deny] = lists as [FlowPredicate[], FlowPredicate[]];
  const windowed = q.since !== null || q.until !== null;
  return ok((flow: Flow) => {
    if (windowed) {
      const t = flow.time === undefined ? NaN : Date.parse(flow.time);
      if (q.since !== null && !(t >= q.since)) return false;
      if (q.until !== null && !(t <= q.until)) return false;
    }
    return (allow.length === 0 || allow.some((p) => p(flow))) && !deny.some((p) => p(flow));
  });
}

/** Flows in time order that can be read from either end (a ring, or a list). */
export interface FlowHistory<T> {
  oldestFirst(): Iterable<T>;
  newestFirst(): Iterable<T>;
}

/**
 * What a query selects of a history (flows, or records holding them): the matching ones, then its
 * first or last `number`, oldest first. A window reads from its own end and stops once full: the
 * default `--last 20` of a ring of millions looks at the newest flows only.
 */
export function selectFlows<T>(history: FlowHistory<T> | readonly T[], q: FlowQuery, matches: (item: T) => boolean): T[] {
  const h = isList(history) ? listHistory(history) : history;
  const limit = q.first ?? q.number ?? Infinity;
  const picked: T[] = [];
  if (limit === 0) return picked;
  for (const item of q.first === null && q.number !== null ? h.newestFirst() : h.oldestFirst()) {
    if (!matches(item)) continue;
    picked.push(item);
    if (picked.length >= limit) break;
  }
  return q.first === null && q.number !== null ? picked.reverse() : picked;
}

function isList<T>(history: FlowHistory<T> | readonly T[]): history is readonly T[] {
  return Array.isArray(history);
}

function listHistory<T>(list: readonly T[]): FlowHistory<T> {
  return {
    oldestFirst: () => list,
    *newestFirst() {
      for (let i = list.length - 1; i >= 0; i--) yield list[i]!;
    },
  };
}

/** The query as URL query parameters (`allow` and `deny` are JSON). */
export function encodeQuery(q: FlowQuery): Record<string, string> {
  const p: Record<string, string> = {};
  if (q.allow.length > 0) p["allow"] = JSON.stringify(q.allow);
  if (q.deny.length > 0) p["deny"] = JSON.stringify(q.deny);
  for (const [k, v] of [
    ["since", q.since],
    ["until", q.until],
    ["number", q.number],
    ["first", q.first],
  ] as const)
    if (v !== null) p[k] = String(v);
  if (q.follow) p["follow"] = "true";
  return p;
}

/** Reads a query back from URL query parameters (`param` gets one); a malformed one is an error naming the parameter. */
export function decodeQuery(param: (name: string) => string | null): Result<FlowQuery, string> {
  const num = (k: string): number | null | string => {
    const v = param(k);
    if (v === null) return null;
    const n = Number(v);
    return Number.isFinite(n) && n >= 0 ? n : `${k}: not a number: ${v}`;
  };
  const values = { since: num("since"), until: num("until"), number: num("number"), first: num("first") };
  for (const v of Object.values(values)) if (typeof v === "string") return err(v);
  const lists: Record<"allow" | "deny", FlowFilterGroup[]> = { allow: [], deny: [] };
  for (const k of ["allow", "deny"] as const) {
    const text = param(k);
    if (text === null) continue;
    let groups: unknown;
    try {
      groups = JSON.parse(text);
    } catch {
      return err(`${k}: not JSON`);
    }
    const isFlag = (f: unknown): f is FilterFlag =>
      typeof (f as FilterFlag)?.flag === "string" &&
      Array.isArray((f as FilterFlag).values) &&
      (f as FilterFlag).values.every((v) => typeof v === "string");
    if (!Array.isArray(groups) || !groups.every((g) => Array.isArray(g) && g.every(isFlag)))
      return err(`${k}: a list of filters, each a list of {flag, values}`);
    lists[k] = groups as FlowFilterGroup[];
  }
  return ok({ ...lists, ...(values as Record<keyof typeof values, number | null>), follow: param("follow") === "true" });
}
