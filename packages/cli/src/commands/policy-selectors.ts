import { formatData, isData, loadOrReport, table, type ScenarioArgs } from "../command-args.ts";
import type { Output } from "../output.ts";

/** `membrane policy selectors`: every peer selector in use and the identities it selects (`cilium-dbg policy selectors`). */
export async function policySelectors(args: ScenarioArgs, out: Output): Promise<number> {
  const loaded = await loadOrReport(args, out, "policy selectors");
  if (loaded === undefined) return 2;
  for (const ep of loaded.engine.endpoints()) loaded.engine.policyOf(ep);
  const rows = loaded.engine.cache
    .entries()
    .map((e) => ({ selector: e.selector.key, identities: [...e.ids].sort((a, b) => a - b) }))
    .sort((a, b) => (a.selector < b.selector ? -1 : 1));
  if (isData(args.output)) out.stdout(formatData(args.output, rows));
  else
    out.stdout(
      table(
        ["SELECTOR", "IDENTITIES"],
        rows.map((r) => [r.selector, r.identities.join(" ") || "(none)"]),
      ),
    );
  return 0;
}
