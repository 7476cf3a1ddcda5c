/**
 * Hubble's Flow, as its JSON (flow.proto with proto field names, enums as strings) — so `jq`
 * recipes written for `hubble observe -o json` work on membrane's flows, and Hubble exports read
 * back in. Only the fields membrane sets or filters on are typed; others pass through untouched.
 */

/** Flow verdicts (flow.proto Verdict). */
export type FlowVerdictName = "VERDICT_UNKNOWN" | "FORWARDED" | "DROPPED" | "ERROR" | "AUDIT" | "REDIRECTED" | "TRACED" | "TRANSLATED";

/** An endpoint as Hubble shows it. */
export interface FlowEndpoint {
  readonly ID?: number;
  readonly identity?: number;
  readonly cluster_name?: string;
  readonly namespace?: string;
  readonly labels?: readonly string[];
  readonly pod_name?: string;
  readonly workloads?: readonly { readonly name: string; readonly kind: string }[];
}

/** A policy named as behind a verdict (`*_allowed_by`, `*_denied_by`). */
export interface FlowPolicy {
  readonly name: string;
  readonly namespace: string;
  readonly labels: readonly string[];
  readonly revision: number;
  readonly kind: string;
}

/** TCP flags. */
export type TcpFlags = Partial<Record<"FIN" | "SYN" | "RST" | "PSH" | "ACK" | "URG" | "ECE" | "CWR" | "NS", boolean>>;

/** Layer 4, one of its protocols. */
export type FlowL4 =
  | { readonly TCP: { readonly source_port?: number; readonly destination_port?: number; readonly flags?: TcpFlags } }
  | { readonly UDP: { readonly source_port?: number; readonly destination_port?: number } }
  | { readonly SCTP: { readonly source_port?: number; readonly destination_port?: number } }
  | { readonly ICMPv4: { readonly type?: number; readonly code?: number } }
  | { readonly ICMPv6: { readonly type?: number; readonly code?: number } };

/** Layer 7: one HTTP, DNS or Kafka record. */
export interface FlowL7 {
  readonly type?: "UNKNOWN_L7_TYPE" | "REQUEST" | "RESPONSE" | "SAMPLE";
  readonly latency_ns?: number;
  readonly http?: {
    readonly code?: number;
    readonly method?: string;
    readonly url?: string;
    readonly protocol?: string;
    readonly headers?: readonly { key: string; value: string }[];
  };
  readonly dns?: {
    readonly query?: string;
    readonly ips?: readonly string[];
    readonly ttl?: number;
    readonly cnames?: readonly string[];
    readonly rcode?: number;
    readonly qtypes?: readonly string[];
    readonly rrtypes?: readonly string[];
  };
  readonly kafka?: {
    readonly error_code?: number;
    readonly api_version?: number;
    readonly api_key?: string;
    readonly correlation_id?: number;
    readonly topic?: string;
  };
}

/** A flow. */
export interface Flow {
  readonly time?: string;
  readonly uuid?: string;
  readonly verdict?: FlowVerdictName;
  readonly drop_reason?: number;
  readonly drop_reason_desc?: string;
  readonly IP?: {
    readonly source?: string;
    readonly destination?: string;
    readonly ipVersion?: "IP_NOT_USED" | "IPv4" | "IPv6";
    readonly encrypted?: boolean;
  };
  readonly l4?: FlowL4;
  readonly source?: FlowEndpoint;
  readonly destination?: FlowEndpoint;
  readonly Type?: "UNKNOWN_TYPE" | "L3_L4" | "L7" | "SOCK";
  readonly node_name?: string;
  readonly source_names?: readonly string[];
  readonly destination_names?: readonly string[];
  readonly l7?: FlowL7;
  readonly event_type?: { readonly type?: number; readonly sub_type?: number };
  readonly source_service?: { readonly name?: string; readonly namespace?: string };
  readonly destination_service?: { readonly name?: string; readonly namespace?: string };
  readonly traffic_direction?: "TRAFFIC_DIRECTION_UNKNOWN" | "INGRESS" | "EGRESS";
  readonly policy_match_type?: number;
  readonly is_reply?: boolean;
  readonly proxy_port?: number;
  readonly egress_allowed_by?: readonly FlowPolicy[];
  readonly ingress_allowed_by?: readonly FlowPolicy[];
  readonly egress_denied_by?: readonly FlowPolicy[];
  readonly ingress_denied_by?: readonly FlowPolicy[];
  readonly policy_log?: readonly string[];
  readonly Summary?: string;
}

/** One line of `hubble observe -o json` / `membrane observe -o json`. */
export interface FlowRecord {
  readonly flow: Flow;
  readonly node_name?: string;
  readonly time?: string;
}

/** Cilium monitor message types (pkg/monitor/api/types.go). */
export const EVENT_TYPE = { drop: 1, debug: 2, capture: 3, trace: 4, policyVerdict: 5, traceSock: 7, l7: 129, agent: 130 } as const;

/** Policy match types as numbers (pkg/monitor/api/types.go) and back. */
export const MATCH_TYPE_NUMBER = { NONE: 0, L3_ONLY: 1, L3_L4: 2, L4_ONLY: 3, ALL: 4, L3_PROTO: 5, PROTO_ONLY: 6 } as const;

/** Hubble's printed name of a match type number (`policy-verdict:L3-L4`). */
export function matchTypeText(n: number | undefined): string {
  return ["none", "L3-Only", "L3-L4", "L4-Only", "all", "L3-Proto", "Proto-Only"][n ?? 0] ?? "none";
}

/** Human descriptions of the drop reasons membrane produces (bpf/lib/drop_reasons.h). */
export const DROP_REASON_TEXT: Readonly<Record<string, string>> = {
  POLICY_DENIED: "Policy denied",
  POLICY_DENY: "Policy denied by denylist",
  AUTH_REQUIRED: "Authentication required",
};
