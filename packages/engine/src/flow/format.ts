import { DROP_REASON_TEXT, EVENT_TYPE, matchTypeText, type Flow, type FlowEndpoint, type FlowPolicy } from "./flow.ts";

/**
 * Hubble's printer formats (hubble/pkg/printer): `compact` lines, `dict` blocks and `table` rows.
 * Time formatting is given by the caller (the engine reads no clock and no locale).
 */

/** Options of the printer. */
export interface PrintOptions {
  /** `--print-policy-names`: name the policies behind policy verdicts. */
  readonly policyNames: boolean;
  /** Prefix lines with the node name (`--print-node-name`). */
  readonly nodeName: boolean;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Hubble's default time format, `Jan  2 15:04:05.000` (UTC). */
export function stampMilli(iso: string | undefined): string {
  if (iso === undefined) return "N/A";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number, w = 2): string => String(n).padStart(w, "0");
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

function portOf(f: Flow, which: "source" | "destination"): number | undefined {
  const l4 = f.l4;
  if (l4 === undefined) return undefined;
  const p = "TCP" in l4 ? l4.TCP : "UDP" in l4 ? l4.UDP : "SCTP" in l4 ? l4.SCTP : undefined;
  return which === "source" ? p?.source_port : p?.destination_port;
}

const RESERVED_NAMES: Readonly<Record<number, string>> = {
  1: "host",
  2: "world",
  3: "unmanaged",
  4: "health",
  5: "init",
  6: "remote-node",
  7: "kube-apiserver",
  8: "ingress",
  9: "world-ipv4",
  10: "world-ipv6",
};

/** `ns/pod:port (ID:n)`, or `ip:port (world)` for reserved identities. */
function side(f: Flow, which: "source" | "destination"): string {
  const ep: FlowEndpoint | undefined = f[which];
  const ip = which === "source" ? f.IP?.source : f.IP?.destination;
  const port = portOf(f, which);
  const host = ep?.pod_name !== undefined && ep.pod_name !== "" ? `${ep.namespace}/${ep.pod_name}` : (ip ?? "N/A");
  const addr = port !== undefined && port !== 0 ? `${host}:${port}` : host;
  const id = ep?.identity;
  const tag = id === undefined ? "" : RESERVED_NAMES[id] !== undefined ? ` (${RESERVED_NAMES[id]})` : ` (ID:${id})`;
  return `${addr}${tag}`;
}

function policiesText(ps: readonly FlowPolicy[] | undefined): string {
  return (ps ?? []).map((p) => `${p.namespace ? `${p.namespace}/` : ""}${p.name} (${p.kind})`).join(", ");
}

/** The TYPE column: what kind of event this is. */
export function typeText(f: Flow): string {
  switch (f.event_type?.type) {
    case EVENT_TYPE.policyVerdict:
      return `policy-verdict:${matchTypeText(f.policy_match_type)} ${f.traffic_direction ?? ""}`.trim();
    case EVENT_TYPE.drop:
      return DROP_REASON_TEXT[f.drop_reason_desc ?? ""] ?? f.drop_reason_desc ?? "drop";
    case EVENT_TYPE.l7: {
      // Hubble's getFlowType: the record's protocol, or plain "l7" for a record of none (membrane's TLS SNI).
      const type = (f.l7?.type ?? "REQUEST").toLowerCase();
      if (f.l7?.http !== undefined) return `http-${type}`;
      if (f.l7?.dns !== undefined) return `dns-${type} proxy`;
      return f.l7?.kafka !== undefined ? `kafka-${type}` : `l7-${type}`;
    }
    case EVENT_TYPE.trace:
      return "to-endpoint";
    default:
      return f.Type ?? "UNKNOWN";
  }
}

/** The VERDICT column; policy verdicts say ALLOWED / DENIED / AUDITED, optionally naming the policies. */
export function verdictText(f: Flow, opts: PrintOptions): string {
  if (f.event_type?.type !== EVENT_TYPE.policyVerdict) return f.verdict ?? "VERDICT_UNKNOWN";
  const word = f.verdict === "DROPPED" ? "DENIED" : f.verdict === "AUDIT" ? "AUDITED" : "ALLOWED";
  if (!opts.policyNames) return word;
  const by =
    f.verdict === "DROPPED" || f.verdict === "AUDIT"
      ? [...(f.ingress_denied_by ?? []), ...(f.egress_denied_by ?? [])]
      : [...(f.ingress_allowed_by ?? []), ...(f.egress_allowed_by ?? [])];
  return by.length > 0 ? `${word} BY ${policiesText(by)}` : word;
}

function summaryText(f: Flow): string {
  const h = f.l7?.http;
  if (h !== undefined)
    return `${h.protocol ?? "HTTP"} ${h.code !== undefined && f.l7?.type === "RESPONSE" ? `${h.code} ` : ""}${h.method ?? ""} ${h.url ?? ""}`
      .replace(/\s+/g, " ")
      .trim();
  const d = f.l7?.dns;
  if (d !== undefined)
    return `DNS ${f.l7?.type === "RESPONSE" ? "Answer" : "Query"} ${d.query ?? ""} ${(d.qtypes ?? []).join(",")}${d.rcode ? ` rcode=${d.rcode}` : ""}`.trim();
  return f.Summary ?? "";
}

/** Hubble's compact line. */
export function compactLine(f: Flow, opts: PrintOptions): string {
  const node = opts.nodeName && f.node_name ? ` [${f.node_name}]` : "";
  const arrow = f.is_reply === true ? "<-" : f.is_reply === false ? "->" : "<>";
  const [src, dst] = f.is_reply === true ? [side(f, "destination"), side(f, "source")] : [side(f, "source"), side(f, "destination")];
  const summary = summaryText(f);
  return `${stampMilli(f.time)}${node}: ${src} ${arrow} ${dst} ${typeText(f)} ${verdictText(f, opts)}${summary ? ` (${summary})` : ""}`;
}

/** Hubble's dict block. */
export function dictBlock(f: Flow, opts: PrintOptions): string {
  const rows: [string, string][] = [
    ["TIMESTAMP", stampMilli(f.time)],
    ...(opts.nodeName ? ([["NODE", f.node_name ?? ""]] as [string, string][]) : []),
    ["SOURCE", side(f, "source")],
    ["DESTINATION", side(f, "destination")],
    ["TYPE", typeText(f)],
    ["VERDICT", verdictText(f, opts)],
    ["SUMMARY", summaryText(f)],
  ];
  return `${rows.map(([k, v]) => `${k.padStart(11)}: ${v}`).join("\n")}\n${"-".repeat(12)}`;
}

/** Hubble's table: a header, then a row per flow, aligned. */
export function tableRows(flows: readonly Flow[], opts: PrintOptions): string {
  const header = ["TIMESTAMP", ...(opts.nodeName ? ["NODE"] : []), "SOURCE", "DESTINATION", "TYPE", "VERDICT", "SUMMARY"];
  const rows = flows.map((f) => [
    stampMilli(f.time),
    ...(opts.nodeName ? [f.node_name ?? ""] : []),
    side(f, "source"),
    side(f, "destination"),
    typeText(f),
    verdictText(f, opts),
    summaryText(f),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("   ")).join("\n");
}
