import type { ChangeSet, Engine } from "../engine/engine.ts";
import type { DerivedFrom } from "../policy/map-state.ts";
import { decide, type FlowVerdict, type SideDecision } from "../verdict/decide.ts";
import { formatPeerRef } from "../verdict/flow.ts";
import type { ConnectivityTest, TestCase } from "./connectivity-test.ts";
import { decideL7, learnThroughProxy, type L7Outcome } from "./decide-l7.ts";

/** Which policy rule decided a case (the JSON `reason` of `connectivity-test.md`). */
export interface CaseReason {
  readonly direction: "ingress" | "egress" | null;
  /** `namespace/name` (or `name` for a CCNP), or null when no policy decided (not enforced, synthetic entries). */
  readonly policy: string | null;
  readonly kind: string | null;
  readonly rule: number | null;
  readonly path: string | null;
  readonly file: string | null;
  readonly line: number | null;
  readonly matchType: string;
  readonly dropReason: string | null;
  readonly summary: string;
}

/** One case's outcome. `actual` is "unsupported" when deciding needs L7 or DNS, which comes with the L7 work. */
export interface CaseResult {
  readonly test: string;
  readonly index: number;
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol: string;
  readonly expect: "allow" | "deny";
  readonly actual: "allow" | "deny" | "unsupported";
  readonly pass: boolean;
  readonly reason: CaseReason;
  readonly verdict: FlowVerdict | null;
  /** The case as written, and the L7 outcome when its request was judged at a proxy. */
  readonly case: TestCase;
  readonly l7: L7Outcome | null;
  /** A would-be drop that passed because of audit mode (the reason names the policy that would drop it). */
  readonly audited: boolean;
}

/** Runs every case of every test; `onProgress` hears how many are done, every 1,000 cases. */
/** What a caller of runTests hears while it runs. */
export interface RunHooks {
  /** Every 1,000 cases. */
  readonly onProgress?: (done: number) => void;
  /** A change deciding made to the engine (an FQDN case's answer learned): a live datapath must get it too. */
  readonly onChange?: (cs: ChangeSet) => void;
}

export function runTests(engine: Engine, tests: readonly ConnectivityTest[], hooks: RunHooks = {}): CaseResult[] {
  const out: CaseResult[] = [];
  for (const t of tests) {
    for (const c of t.cases) {
      out.push(runCase(engine, t, c, hooks.onChange));
      if (hooks.onProgress !== undefined && out.length % 1000 === 0) hooks.onProgress(out.length);
    }
  }
  return out;
}

function runCase(engine: Engine, t: ConnectivityTest, c: TestCase, onChange: RunHooks["onChange"]): CaseResult {
  const base = {
    case: c,
    l7: null,
    audited: false,
    test: t.name,
    index: c.index,
    from: formatPeerRef(c.from),
    to: formatPeerRef(c.to),
    port: c.port,
    protocol: c.protocol,
    expect: c.expect,
  };
  if (c.to.kind === "fqdn") {
    const learned = learnThroughProxy(engine, c.from, c.to.fqdn, c.to.ip);
    if (learned !== null) onChange?.(learned);
  }
  const result = decide(engine, { from: c.from, to: c.to, port: c.port, protocol: c.protocol });
  if (!result.ok) {
    const actual = result.error.kind === "unsupported" ? "unsupported" : "deny";
    return { ...base, actual, pass: false, reason: emptyReason(result.error.message), verdict: null };
  }
  const v = result.value;
  const reason = reasonOf(v);
  const audited = v.audited;
  // An L7 case over an allowed connection is decided by the proxies it is redirected through.
  if (c.l7 !== null && v.verdict === "allow") {
    const l7 = decideL7(engine, v, c.to, c.l7, c.protocol);
    const l7Audited = audited || (l7.kind === "allow" && l7.audited === true);
    const summary = `${reason.summary}; ${l7.why}`;
    if (l7.kind === "unsupported")
      return { ...base, audited, l7, actual: "unsupported", pass: false, reason: { ...reason, summary }, verdict: v };
    return { ...base, audited: l7Audited, l7, actual: l7.kind, pass: l7.kind === c.expect, reason: { ...reason, summary }, verdict: v };
  }
  let pass = v.verdict === c.expect;
  if (c.expectMatchType !== null) pass &&= reason.matchType === c.expectMatchType;
  if (c.expectDropReason !== null) pass &&= reason.dropReason === c.expectDropReason;
  return { ...base, audited, actual: v.verdict, pass, reason, verdict: v };
}

function emptyReason(summary: string): CaseReason {
  return {
    direction: null,
    policy: null,
    kind: null,
    rule: null,
    path: null,
    file: null,
    line: null,
    matchType: "NONE",
    dropReason: null,
    summary,
  };
}

/** The rule behind a side's decision: the chosen entry's origin, or for a default-deny drop the policy that enforces. */
function reasonOf(v: FlowVerdict): CaseReason {
  const side = v.decidedBy;
  if (side === null) return emptyReason(v.note ?? "no policy applies");
  const rule =
    side.lookup.kind === "match"
      ? side.lookup.entry.derivedFrom.find((d): d is Extract<DerivedFrom, { kind: "rule" }> => d.kind === "rule")
      : undefined;
  const origin = rule?.origin ?? (side.lookup.kind === "none" && "by" in side.enforcement ? side.enforcement.by[0] : undefined);
  const policy = origin === undefined ? null : origin.namespace === null ? origin.name : `${origin.namespace}/${origin.name}`;
  return {
    direction: side.direction,
    policy,
    kind: origin?.policyKind ?? null,
    rule: origin?.ruleIndex ?? null,
    path: origin === undefined ? null : formatOriginPath(origin.path),
    file: origin?.file ?? null,
    line: origin?.pos.line ?? null,
    matchType: side.lookup.matchType,
    dropReason: side.dropReason?.name ?? null,
    summary: summarize(side),
  };
}

function formatOriginPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

function summarize(side: SideDecision): string {
  const where = `${side.direction} at ${side.endpoint}`;
  if (side.lookup.kind === "none")
    return `${where}: no entry allows identity ${side.peer.id} (default deny): ${side.dropReason?.desc}${side.audited ? " — AUDIT: audit mode lets it pass" : ""}`;
  const e = side.lookup.entry;
  const from = e.derivedFrom
    .map((d) =>
      d.kind === "rule" ? `${d.origin.policyKind} ${d.origin.namespace ? `${d.origin.namespace}/` : ""}${d.origin.name}` : d.label,
    )
    .join(", ");
  if (e.deny)
    return `${where}: denied by ${from} (${side.lookup.matchType}): ${side.dropReason?.desc}${side.audited ? " — AUDIT: audit mode lets it pass" : ""}`;
  return `${where}: allowed by ${from} (${side.lookup.matchType})${e.proxyPort ? `, redirected to the ${e.parser} proxy` : ""}`;
}
