/**
 * `npm run bench`: runs every benchmark in its own process (so memory figures are its own), prints
 * a table of figures against their goals, and as the last line one JSON object of all figures.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

interface Goal {
  readonly figure: string;
  readonly goal: string;
  readonly ok: (v: number) => boolean;
}

const BENCHMARKS: readonly { readonly file: string; readonly goals: readonly Goal[] }[] = [
  {
    file: "validate-10k.ts",
    goals: [
      { figure: "validate_10k_policies_s", goal: "<= 2 s", ok: (v) => v <= 2 },
      { figure: "validate_10k_policies_rss_mib", goal: "<= 500 MiB", ok: (v) => v <= 500 },
    ],
  },
  {
    file: "engine-full.ts",
    goals: [
      { figure: "engine_full_compute_s", goal: "<= 10 s", ok: (v) => v <= 10 },
      { figure: "engine_full_compute_rss_mib", goal: "<= 2048 MiB", ok: (v) => v <= 2048 },
    ],
  },
  {
    file: "engine-incremental.ts",
    goals: [{ figure: "engine_incremental_p99_ms", goal: "<= 20 ms", ok: (v) => v <= 20 }],
  },
  {
    file: "engine-verdicts.ts",
    goals: [
      { figure: "engine_verdicts_per_s", goal: ">= 5,000,000", ok: (v) => v >= 5_000_000 },
      { figure: "test_cases_per_s", goal: ">= 100,000", ok: (v) => v >= 100_000 },
    ],
  },
  {
    file: "observe.ts",
    goals: [{ figure: "observe_flows_per_s", goal: ">= 1,000,000", ok: (v) => v >= 1_000_000 }],
  },
  {
    file: "observe-follow.ts",
    // The issue names no goal: Hubble's own pipeline is the comparison (tens of ms is usual).
    goals: [{ figure: "observe_follow_latency_ms", goal: "(reported)", ok: () => true }],
  },
  {
    file: "http-proxy.ts",
    goals: [
      { figure: "http_proxy_rps_vs_nginx", goal: ">= 0.5", ok: (v) => v >= 0.5 },
      { figure: "http_proxy_added_p99_ms", goal: "<= 1 ms", ok: (v) => v <= 1 },
      // The reference proxy by the same measure: what this machine allows.
      { figure: "http_nginx_added_p99_ms_at_half_its_peak", goal: "(reported)", ok: () => true },
    ],
  },
  {
    file: "dns-proxy.ts",
    goals: [
      { figure: "dns_proxy_qps", goal: ">= 20,000", ok: (v) => v >= 20_000 },
      { figure: "dns_proxy_p99_ms_at_1k_qps", goal: "<= 5 ms", ok: (v) => v <= 5 },
    ],
  },
  {
    file: "datapath.ts",
    goals: [
      { figure: "datapath_tput_ratio_10k", goal: ">= 0.95", ok: (v) => v >= 0.95 },
      { figure: "datapath_vs_nft_linear_10k", goal: ">= 5", ok: (v) => v >= 5 },
      // The same rules behind nft's conntrack shortcut, and what no program at all reaches there.
      { figure: "datapath_vs_nft_ct_linear_10k", goal: "(reported)", ok: () => true },
      { figure: "datapath_nft_ct_ceiling_10k", goal: "(reported)", ok: () => true },
      { figure: "policy_to_kernel_p99_ms", goal: "<= 100 ms", ok: (v) => v <= 100 },
    ],
  },
  {
    file: "datapath-packet.ts",
    // What the throughput ratio rests on, timed by the kernel without the lab's drift.
    goals: [
      { figure: "datapath_ns_egress_established", goal: "(reported)", ok: () => true },
      { figure: "datapath_ns_ingress_established", goal: "(reported)", ok: () => true },
      { figure: "datapath_ns_egress_reply", goal: "(reported)", ok: () => true },
      { figure: "datapath_ns_egress_new", goal: "(reported)", ok: () => true },
      { figure: "datapath_ns_netdev_to_pod", goal: "(reported)", ok: () => true },
    ],
  },
];

const figures: Record<string, number> = {};
const rows: string[][] = [];
for (const b of BENCHMARKS) {
  const out = execFileSync(process.execPath, [fileURLToPath(new URL(b.file, import.meta.url))], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const result = JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, number>;
  Object.assign(figures, result);
  for (const g of b.goals) {
    const v = result[g.figure]!;
    rows.push([g.figure, String(v), g.goal, g.ok(v) ? "ok" : "MISSED"]);
  }
}
const widths = [0, 1, 2, 3].map((i) => Math.max(...[["figure", "value", "goal", ""], ...rows].map((r) => r[i]!.length)));
for (const r of [["figure", "value", "goal", ""], ...rows])
  console.log(
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
console.log(JSON.stringify(figures));
