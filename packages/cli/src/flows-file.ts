import { writeFile } from "node:fs/promises";
import { flowsOf, requestHost, type CaseResult, type Engine, type HubbleFlow, type FlowRecord } from "@membrane/engine";

/** The flows a decided case produced, as Hubble would have recorded them (one simulated source port per case). */
export function caseFlows(engine: Engine, r: CaseResult, time: string): HubbleFlow[] {
  if (r.verdict === null) return [];
  const l7 =
    r.case.l7 !== null && r.l7 !== null && r.l7.kind !== "unsupported"
      ? { request: r.case.l7, outcome: r.l7, host: requestHost(r.case.to, r.verdict.port) }
      : null;
  return flowsOf(engine, { verdict: r.verdict, protocol: r.case.protocol, sourcePort: 40000 + (r.index % 20000), l7, time });
}

/** Writes flows as `hubble observe -o json` lines: `{"flow": …, "node_name": …, "time": …}`. */
export async function writeFlowsFile(path: string, flows: readonly HubbleFlow[]): Promise<void> {
  const lines = flows.map((flow): string =>
    JSON.stringify({ flow, node_name: flow.node_name ?? "", time: flow.time ?? "" } satisfies FlowRecord),
  );
  await writeFile(path, lines.length === 0 ? "" : `${lines.join("\n")}\n`);
}
