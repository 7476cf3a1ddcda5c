import { formatLabel } from "@membrane/engine";
import { formatData, isData, loadOrReport, table, type ScenarioArgs } from "../command-args.ts";
import type { Output } from "../output.ts";

/** `membrane identity list`: every identity and its labels (`cilium-dbg identity list`). */
export async function identityList(args: ScenarioArgs, out: Output): Promise<number> {
  const loaded = await loadOrReport(args, out, "identity list");
  if (loaded === undefined) return 2;
  const ids = [...loaded.engine.cache.identities()]
    .sort((a, b) => a.id - b.id)
    .map((i) => ({ id: i.id, labels: i.labels.labels.map(formatLabel) }));
  if (isData(args.output)) out.stdout(formatData(args.output, ids));
  else
    out.stdout(
      table(
        ["ID", "LABELS"],
        ids.map((i) => [String(i.id), i.labels.join(", ")]),
      ),
    );
  return 0;
}
