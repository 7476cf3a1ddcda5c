import { LabelSet, parseLabel } from "../labels/label-set.ts";
import { compileDnsPattern } from "../l7/dns-pattern.ts";
import { parseIp, parsePrefix, prefixContains } from "../net/ip.ts";
import { compileRe2 } from "../regex/re2.ts";
import { err, ok, type Result } from "../result.ts";
import { matchesAll } from "../selector/match.ts";
import { EVENT_TYPE, type Flow, type FlowEndpoint } from "./flow.ts";
import { parseSelectorText } from "./label-selector-text.ts";

/** A flow predicate. */
export type FlowPredicate = (f: Flow) => boolean;

/** Which side(s) of a flow a filter looks at: `--pod` either, `--from-pod` source, `--to-pod` destination. */
export type Side = "either" | "from" | "to";

/** The kinds of filter `observe` takes (Hubble's flags). */
export type FilterKind =
  | "namespace"
  | "pod"
  | "label"
  | "identity"
  | "ip"
  | "fqdn"
  | "port"
  | "verdict"
  | "drop-reason-desc"
  | "type"
  | "protocol"
  | "http-status"
  | "http-method"
  | "http-path"
  | "traffic-direction"
  | "node-name";

/**
 * Builds the predicate of one flag: its values OR together (Hubble: repeated values of one flag
 * match any). Flags then AND together, and `--not` negates one flag.
 */
export function flowFilter(kind: FilterKind, side: Side, values: readonly string[]): Result<FlowPredicate, string> {
  const sides = (f: Flow): (FlowEndpoint | undefined)[] =>
    side === "from" ? [f.source] : side === "to" ? [f.destination] : [f.source, f.destination];
  const ips = (f: Flow): (string | undefined)[] =>
    side === "from" ? [f.IP?.source] : side === "to" ? [f.IP?.destination] : [f.IP?.source, f.IP?.destination];
  const any = (pred: (v: string) => FlowPredicate): FlowPredicate => {
    const preds = values.map(pred);
    return (f) => preds.some((p) => p(f));
  };
  switch (kind) {
    case "namespace":
      return ok(any((ns) => (f) => sides(f).some((e) => e?.namespace === ns)));
    case "pod":
      return ok(
        any((v) => {
          const [ns, prefix] = v.includes("/") ? [v.slice(0, v.indexOf("/")), v.slice(v.indexOf("/") + 1)] : ["default", v];
          return (f) => sides(f).some((e) => e?.namespace === ns && (e.pod_name ?? "").startsWith(prefix));
        }),
      );
    case "label": {
      const parsed = values.map(parseSelectorText);
      const bad = parsed.find((p) => !p.ok);
      if (bad !== undefined && !bad.ok) return err(bad.error);
      const reqs = parsed.map((p) => (p.ok ? p.value : []));
      return ok((f) =>
        sides(f).some((e) => e !== undefined && reqs.some((r) => matchesAll(r, LabelSet.of((e.labels ?? []).map(parseLabel))))),
      );
    }
    case "identity": {
      const ids = values.map(Number);
      if (ids.some((n) => !Number.isInteger(n))) return err("identity must be a number");
      return ok((f) => sides(f).some((e) => e?.identity !== undefined && ids.includes(e.identity)));
    }
    case "ip": {
      const prefixes = values.map((v) => parsePrefix(v.includes("/") ? v : `${v}/${v.includes(":") ? 128 : 32}`));
      if (prefixes.some((p) => p === undefined)) return err("ip must be an address or a CIDR");
      return ok((f) =>
        ips(f).some((ip) => {
          const a = ip === undefined ? undefined : parseIp(ip);
          return a !== undefined && prefixes.some((p) => prefixContains(p!, a));
        }),
      );
    }
    case "fqdn": {
      const pats = values.map(compileDnsPattern);
      const names = (f: Flow): readonly string[] =>
        side === "from"
          ? (f.source_names ?? [])
          : side === "to"
            ? (f.destination_names ?? [])
            : [...(f.source_names ?? []), ...(f.destination_names ?? [])];
      return ok((f) => names(f).some((n) => pats.some((p) => p(n))));
    }
    case "port":
      return ok(any((v) => (f) => portsOf(f, side).includes(Number(v))));
    case "verdict":
      return ok(any((v) => (f) => f.verdict === v.toUpperCase()));
    case "drop-reason-desc":
      return ok(any((v) => (f) => f.drop_reason_desc === v.toUpperCase()));
    case "type":
      return ok(any((v) => typePredicate(v)));
    case "protocol":
      return ok(any((v) => (f) => protocolsOf(f).includes(v.toLowerCase())));
    case "http-status":
      return ok(
        any((v) => (f) => {
          const code = f.l7?.http?.code;
          return code !== undefined && (v.endsWith("+") ? String(code).startsWith(v.slice(0, -1)) : String(code) === v);
        }),
      );
    case "http-method":
      return ok(any((v) => (f) => f.l7?.http?.method?.toUpperCase() === v.toUpperCase()));
    case "http-path": {
      const res = values.map(compileRe2);
      const bad = res.find((r) => !r.ok);
      if (bad !== undefined && !bad.ok) return err(`http-path: ${bad.error}`);
      return ok((f) => {
        const url = f.l7?.http?.url;
        if (url === undefined) return false;
        const path = url.replace(/^[a-z]+:\/\/[^/]*/, "");
        return res.some((r) => r.ok && r.value.fullMatch(path));
      });
    }
    case "traffic-direction":
      return ok(any((v) => (f) => f.traffic_direction === v.toUpperCase()));
    case "node-name":
      return ok(
        any((v) => {
          const m = compileDnsPattern(v);
          return (f) => f.node_name !== undefined && (f.node_name === v || m(f.node_name));
        }),
      );
  }
}

function portsOf(f: Flow, side: Side): number[] {
  const l4 = f.l4;
  if (l4 === undefined) return [];
  const p = "TCP" in l4 ? l4.TCP : "UDP" in l4 ? l4.UDP : "SCTP" in l4 ? l4.SCTP : undefined;
  if (p === undefined) return [];
  const out: number[] = [];
  if (side !== "to" && p.source_port !== undefined) out.push(p.source_port);
  if (side !== "from" && p.destination_port !== undefined) out.push(p.destination_port);
  return out;
}

function protocolsOf(f: Flow): string[] {
  const out: string[] = [];
  const l4 = f.l4;
  if (l4 !== undefined) out.push(Object.keys(l4)[0]!.toLowerCase().replace("icmpv4", "icmp"));
  if (f.l7?.http !== undefined) out.push("http");
  if (f.l7?.dns !== undefined) out.push("dns");
  if (f.l7?.kafka !== undefined) out.push("kafka");
  return out;
}

/** `-t/--type`: `drop`, `l7`, `policy-verdict`, `trace`, `trace:to-endpoint`, `capture`, `trace-sock`, `agent`. */
function typePredicate(v: string): FlowPredicate {
  const [name, sub] = v.split(":");
  const type = {
    drop: EVENT_TYPE.drop,
    debug: EVENT_TYPE.debug,
    capture: EVENT_TYPE.capture,
    trace: EVENT_TYPE.trace,
    "policy-verdict": EVENT_TYPE.policyVerdict,
    "trace-sock": EVENT_TYPE.traceSock,
    l7: EVENT_TYPE.l7,
    agent: EVENT_TYPE.agent,
  }[name ?? ""];
  const subs: Record<string, number> = {
    "to-endpoint": 0,
    "to-proxy": 1,
    "to-host": 2,
    "to-stack": 3,
    "to-overlay": 4,
    "from-endpoint": 5,
    "from-proxy": 6,
    "from-host": 7,
    "from-stack": 8,
    "from-overlay": 9,
    "from-network": 10,
    "to-network": 11,
  };
  return (f) => f.event_type?.type === type && (sub === undefined || (f.event_type?.sub_type ?? 0) === subs[sub]);
}
