import { formatLabel, type DirectionPolicy, type NumericIdentity } from "@membrane/engine";
import { formatData, isData, loadOrReport, table, type ScenarioArgs } from "../command-args.ts";
import type { Output } from "../output.ts";
import { describeDerivedFrom, describeEnforcement, describePort } from "./describe.ts";

/** Options of `membrane policy get`. */
export interface PolicyGetArgs extends ScenarioArgs {
  readonly endpoint: string;
}

/**
 * `membrane policy get <ns/pod>`: the endpoint's policy map, like `cilium-dbg bpf policy get`:
 * allow/deny, direction, peer identity and labels, port/protocol, proxy port, derived-from.
 */
export async function policyGet(args: PolicyGetArgs, out: Output): Promise<number> {
  const loaded = await loadOrReport(args, out, "policy get");
  if (loaded === undefined) return 2;
  const ep = loaded.engine.endpoint(args.endpoint);
  if (ep === undefined) {
    out.stderr(`membrane policy get: no endpoint ${args.endpoint} (write <namespace>/<pod>; host-network pods are not endpoints)`);
    return 2;
  }
  const policy = loaded.engine.policyOf(ep);
  const labelsOf = (id: NumericIdentity): string =>
    id === 0 ? "ANY" : (loaded.engine.cache.identity(id)?.labels.labels.map(formatLabel).join(",") ?? "");
  const rows = (dir: "ingress" | "egress", p: DirectionPolicy): string[][] =>
    p.map
      .entries()
      .map(({ key, entry }) => [
        entry.deny ? "Deny" : "Allow",
        dir === "ingress" ? "Ingress" : "Egress",
        String(key.identity),
        labelsOf(key.identity),
        describePort(key),
        entry.proxyPort === 0 ? "NONE" : `${entry.proxyPort} (${entry.parser})`,
        describeDerivedFrom(entry.derivedFrom),
      ]);
  if (isData(args.output)) {
    const dir = (p: DirectionPolicy): object => ({
      enforcement: p.enforcement,
      entries: p.map.entries(),
      unsupported: p.unsupported,
      errors: p.errors,
    });
    out.stdout(
      formatData(args.output, {
        endpoint: ep.key,
        identity: ep.identity.id,
        labels: ep.identity.labels.labels.map(formatLabel),
        ingress: dir(policy.ingress),
        egress: dir(policy.egress),
      }),
    );
    return 0;
  }
  out.stdout(`Endpoint ${ep.key}, identity ${ep.identity.id}: ${ep.identity.labels.labels.map(formatLabel).join(", ")}`);
  out.stdout(`Ingress: ${describeEnforcement(policy.ingress.enforcement)}`);
  out.stdout(`Egress: ${describeEnforcement(policy.egress.enforcement)}`);
  for (const u of [...policy.ingress.unsupported, ...policy.egress.unsupported]) out.stdout(`Warning: ${u}`);
  for (const e of [...policy.ingress.errors, ...policy.egress.errors]) out.stdout(`Error: ${e}`);
  out.stdout("");
  out.stdout(
    table(
      ["POLICY", "DIRECTION", "IDENTITY", "LABELS (source:key[=value])", "PORT/PROTO", "PROXY PORT", "DERIVED FROM"],
      [...rows("ingress", policy.ingress), ...rows("egress", policy.egress)],
    ),
  );
  return 0;
}
