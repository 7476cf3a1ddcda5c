import { decide, type FlowProtocol } from "@membrane/engine";
import { formatData, isData, loadOrReport, type ScenarioArgs } from "../command-args.ts";
import type { Output } from "../output.ts";

/** Options of `membrane matrix`. */
export interface MatrixArgs extends ScenarioArgs {
  readonly port: string | null;
  readonly protocol: string;
  readonly namespace: string | null;
}

/**
 * `membrane matrix`: the pod-to-pod truth table for one port (default 80/TCP), like
 * policy-assistant's: rows are sources, columns destinations, `.` allowed and `X` denied.
 */
export async function matrix(args: MatrixArgs, out: Output): Promise<number> {
  const port = args.port === null ? 80 : Number(args.port);
  const protocol = args.protocol.toUpperCase() as FlowProtocol;
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !["TCP", "UDP", "SCTP", "ICMP"].includes(protocol)) {
    out.stderr("membrane matrix: --port must be 0-65535 and --protocol TCP, UDP, SCTP or ICMP");
    return 2;
  }
  const loaded = await loadOrReport(args, out, "matrix");
  if (loaded === undefined) return 2;
  const pods = loaded.engine
    .endpoints()
    .filter((e) => args.namespace === null || e.pod.namespace === args.namespace)
    .map((e) => e.key)
    .sort();
  const cells = pods.map((from) =>
    pods.map((to) => {
      const [fns, fname] = from.split("/");
      const [tns, tname] = to.split("/");
      const r = decide(loaded.engine, {
        from: { kind: "pod", namespace: fns!, name: fname! },
        to: { kind: "pod", namespace: tns!, name: tname! },
        port,
        protocol,
      });
      return r.ok && r.value.verdict === "allow";
    }),
  );
  if (isData(args.output)) {
    out.stdout(formatData(args.output, { port, protocol, pods, allowed: cells }));
    return 0;
  }
  const lines = [`${protocol}/${port}  (rows: from, columns: to; . allowed, X denied)`, ""];
  pods.forEach((p, i) => lines.push(`${String(i).padStart(3)}  ${p}`));
  lines.push("", `${" ".repeat(5)}${pods.map((_, i) => String(i).padStart(3)).join("")}`);
  cells.forEach((row, i) => lines.push(`${String(i).padStart(3)}  ${row.map((a) => (a ? "  ." : "  X")).join("")}`));
  out.stdout(lines.join("\n"));
  return 0;
}
