import type { Dialer } from "../common/dial.ts";
import { disposition, type Disposition } from "../common/disposition.ts";
import type { ConnectionRoute } from "./connection.ts";
import type { HttpRequest, L7Policy } from "@membrane/engine";
import type { RequestDecider, RequestVerdict } from "./decide.ts";
import type { FlowRecorder } from "./flow-recorder.ts";
import type { ProxyLimits } from "./limits.ts";
import type { L7PolicySource } from "./policy-source.ts";

/** What serving one connection needs from the proxy. */
export interface ServeDeps {
  readonly route: ConnectionRoute;
  readonly policy: L7PolicySource;
  readonly decider: RequestDecider;
  readonly limits: ProxyLimits;
  readonly flows: FlowRecorder;
  readonly dial: Dialer;
}

/** The verdict on a request on this connection; a policy source that throws denies (fail closed). */
export function verdictFor(deps: ServeDeps, request: HttpRequest): RequestVerdict {
  let policy: L7Policy;
  try {
    policy = deps.policy.policyFor(deps.route.context);
  } catch (e) {
    return { kind: "deny", reason: `policy source failed: ${String(e)}` };
  }
  const verdict = deps.decider.decide(policy, request);
  // Audit mode forwards a denied request, recorded with why it would have been denied.
  if (verdict.kind === "deny" && disposition(false, deps.policy, deps.route.context) === "AUDIT")
    return { kind: "allow", rule: null, actions: [], audited: verdict.reason };
  return verdict;
}

/** What becomes of a request given its verdict from {@link verdictFor}. */
export function dispositionOf(verdict: RequestVerdict): Disposition {
  return verdict.kind === "deny" ? "DROPPED" : verdict.audited === undefined ? "FORWARDED" : "AUDIT";
}
