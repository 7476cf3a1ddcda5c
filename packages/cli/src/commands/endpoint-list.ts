import { formatLabel } from "@membrane/engine";
import { formatData, isData, loadOrReport, table, type ScenarioArgs } from "../command-args.ts";
import type { Output } from "../output.ts";

/** Options of `membrane endpoint list`. */
export interface EndpointListArgs extends ScenarioArgs {
  readonly namespace: string | null;
}

/** `membrane endpoint list`: endpoints with identity, enforcement per direction and addresses (`cilium-dbg endpoint list`). */
export async function endpointList(args: EndpointListArgs, out: Output): Promise<number> {
  const loaded = await loadOrReport(args, out, "endpoint list");
  if (loaded === undefined) return 2;
  const eps = loaded.engine
    .endpoints()
    .filter((e) => args.namespace === null || e.pod.namespace === args.namespace)
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((e) => {
      const p = loaded.engine.policyOf(e);
      const on = (k: string): string => (k === "not-enforced" ? "Disabled" : "Enabled");
      return {
        endpoint: e.key,
        identity: e.identity.id,
        ingress: on(p.ingress.enforcement.kind),
        egress: on(p.egress.enforcement.kind),
        ips: e.pod.ips,
        node: e.pod.nodeName,
        labels: e.identity.labels.labels.map(formatLabel),
      };
    });
  if (isData(args.output)) {
    out.stdout(formatData(args.output, eps));
    return 0;
  }
  const wide = args.output === "wide";
  const header = ["ENDPOINT", "IDENTITY", "POLICY (ingress)", "POLICY (egress)", "IPS", "NODE", ...(wide ? ["LABELS"] : [])];
  out.stdout(
    table(
      header,
      eps.map((e) => [
        e.endpoint,
        String(e.identity),
        e.ingress,
        e.egress,
        e.ips.join(","),
        e.node ?? "",
        ...(wide ? [e.labels.join(",")] : []),
      ]),
    ),
  );
  return 0;
}
