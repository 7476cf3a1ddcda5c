import {
  decide,
  decideL7,
  flowsOf,
  parsePeerText,
  PROTO,
  requestHost,
  type CaseL7,
  type FlowProtocol,
  type SideDecision,
} from "@membrane/engine";
import { formatData, isData, loadOrReport, type ScenarioArgs } from "../command-args.ts";
import { writeFlowsFile } from "../flows-file.ts";
import type { Output } from "../output.ts";
import { describeDerivedFrom, describeEnforcement, describeIdentity, describePort } from "./describe.ts";

/** Options of `membrane trace`. */
export interface TraceArgs extends ScenarioArgs {
  readonly from: string;
  readonly to: string;
  readonly port: string;
  readonly protocol: string;
  /** The request to judge at L7, when the connection is redirected to a proxy. */
  readonly l7: CaseL7 | null;
  /** Where to write the flow's events (Hubble JSON lines), if anywhere. */
  readonly flows: string | null;
}

const PROTOCOLS: readonly FlowProtocol[] = ["TCP", "UDP", "SCTP", "ICMP", "ICMPv6"];

/**
 * `membrane trace`: the step-by-step reasoning behind one flow's verdict — each side's identity,
 * whether each direction is enforced and why, the candidate entries, the chosen one and the
 * verdict (what `cilium policy trace` once gave, egress included).
 */
export async function trace(args: TraceArgs, out: Output): Promise<number> {
  const from = parsePeerText(args.from, false);
  const to = parsePeerText(args.to, true);
  const protocol = args.protocol.toUpperCase() === "ICMPV6" ? "ICMPv6" : (args.protocol.toUpperCase() as FlowProtocol);
  const port = Number(args.port);
  const bad = !from.ok
    ? `--from: ${from.error}`
    : !to.ok
      ? `--to: ${to.error}`
      : !PROTOCOLS.includes(protocol)
        ? `--protocol must be one of ${PROTOCOLS.join(", ")}`
        : !Number.isInteger(port) || port < 0 || port > 65535
          ? "--port must be 0-65535"
          : undefined;
  if (bad !== undefined || !from.ok || !to.ok) {
    out.stderr(`membrane trace: ${bad}`);
    return 2;
  }
  const loaded = await loadOrReport(args, out, "trace");
  if (loaded === undefined) return 2;
  const result = decide(loaded.engine, { from: from.value, to: to.value, port, protocol });
  if (!result.ok) {
    out.stderr(`membrane trace: ${result.error.message}`);
    return 2;
  }
  const v = result.value;
  const l7 =
    args.l7 !== null && v.verdict === "allow" && protocol !== "ICMP" && protocol !== "ICMPv6"
      ? decideL7(loaded.engine, v, to.value, args.l7, protocol)
      : null;
  const verdict = l7 === null ? v.verdict : l7.kind;
  if (args.flows !== null) {
    const l7Flow =
      args.l7 !== null && l7 !== null && l7.kind !== "unsupported"
        ? { request: args.l7, outcome: l7, host: requestHost(to.value, v.port) }
        : null;
    await writeFlowsFile(
      args.flows,
      flowsOf(loaded.engine, { verdict: v, protocol, sourcePort: 40000, l7: l7Flow, time: new Date().toISOString() }),
    );
  }
  if (isData(args.output)) {
    const side = (s: SideDecision | null): object | null =>
      s && {
        direction: s.direction,
        endpoint: s.endpoint,
        peerIdentity: s.peer.id,
        enforcement: s.enforcement,
        candidates: candidatesOf(loaded.engine, s, protocol, v.port),
        chosen: s.lookup.kind === "match" ? { key: s.lookup.key, entry: s.lookup.entry } : null,
        matchType: s.lookup.matchType,
        outcome: s.outcome,
        dropReason: s.dropReason,
      };
    out.stdout(
      formatData(args.output, {
        verdict,
        l7,
        port: v.port,
        note: v.note,
        source: v.source.display,
        destination: v.destination.display,
        egress: side(v.egress),
        ingress: side(v.ingress),
      }),
    );
    return 0;
  }
  const lines: string[] = [`Flow: ${args.from} -> ${args.to} ${protocol}/${port}`];
  if (v.destination.display !== args.to || v.port !== port)
    lines.push(`Service translation: -> ${v.destination.display} port ${v.port} (policy sees the backend and its target port)`);
  for (const [title, p] of [
    ["Source", v.source],
    ["Destination", v.destination],
  ] as const) {
    lines.push(
      `${title}: ${p.display}${p.ip ? ` ${p.ip}` : ""}${p.node ? ` on node ${p.node}` : ""}${p.endpoint ? "" : " (not an endpoint: no policy map)"}`,
    );
    lines.push(`  identity ${describeIdentity(p.identityFrom(p.node))}`);
  }
  let step = 1;
  for (const s of [v.egress, v.ingress]) {
    if (s === null) continue;
    lines.push("", `${step++}. ${s.direction === "egress" ? "Egress" : "Ingress"} at ${s.endpoint}`);
    lines.push(`  ${describeEnforcement(s.enforcement)}`);
    lines.push(`  peer: identity ${describeIdentity(s.peer)}`);
    const cands = candidatesOf(loaded.engine, s, protocol, v.port);
    lines.push(
      cands.length === 0
        ? "  candidate entries: none cover this identity and port"
        : "  candidate entries (this identity or any, covering the port):",
    );
    for (const c of cands) lines.push(`    - ${c.text}`);
    if (s.lookup.kind === "match")
      lines.push(
        `  chosen: ${s.lookup.entry.deny ? "DENY" : "ALLOW"} ${describePort(s.lookup.key)} for ${s.lookup.key.identity === 0 ? "any identity" : `identity ${s.lookup.key.identity}`} (match type ${s.lookup.matchType}; a deny beats every allow, then the higher precedence, then the longer prefix, then the identity-specific entry)`,
      );
    else lines.push("  chosen: none");
    lines.push(
      `  => ${s.outcome === "deny" ? `DROPPED: ${s.dropReason?.desc}` : s.outcome === "redirect" ? `ALLOWED, redirected to the ${s.lookup.kind === "match" ? s.lookup.entry.parser : ""} proxy` : "ALLOWED"}`,
    );
  }
  if (v.note !== null) lines.push("", `Note: ${v.note}`);
  if (l7 !== null)
    lines.push(
      "",
      `${step}. L7 (${args.l7!.kind}): ${l7.why}`,
      `  => ${l7.kind === "allow" ? "request ALLOWED" : l7.kind === "deny" ? "request DENIED" : "not decided offline"}`,
    );
  const final = verdict === "allow" ? "ALLOWED" : verdict === "deny" ? "DENIED" : "UNSUPPORTED";
  lines.push(
    "",
    `Verdict: ${final}${l7 === null && v.decidedBy ? ` (${v.decidedBy.direction} at ${v.decidedBy.endpoint})` : l7 !== null ? " (L7)" : ""}`,
  );
  out.stdout(lines.join("\n"));
  return 0;
}

function candidatesOf(engine: Parameters<typeof decide>[0], s: SideDecision, protocol: FlowProtocol, port: number): { text: string }[] {
  const ep = s.endpoint.startsWith("node:") ? engine.hostPolicyOf(s.endpoint.slice(5)) : engine.policyOf(engine.endpoint(s.endpoint)!);
  const proto = PROTO[protocol];
  return ep[s.direction].map.candidates(s.peer.id, proto, port).map(({ key, entry }) => ({
    text: `${entry.deny ? "DENY " : "ALLOW"} ${describePort(key).padEnd(12)} ${key.identity === 0 ? "any identity" : `identity ${key.identity}`}${entry.proxyPort ? ` redirect to ${entry.parser} proxy :${entry.proxyPort}` : ""} <- ${describeDerivedFrom(entry.derivedFrom)}`,
  }));
}
