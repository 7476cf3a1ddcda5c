/**
 * Benchmark: parse and validate 10,000 mixed policies (`validate_10k_policies_s`,
 * `validate_10k_policies_rss_mib`). Runs in its own process so RSS is its own; prints one JSON line.
 */
import { loadManifests } from "@membrane/engine";
import { parseManifest } from "@membrane/manifest";
import { policyStream } from "./generate-policies.ts";

const N = 10_000;
const text = policyStream(N);
const start = performance.now();
const parsed = parseManifest("bench.yaml", text);
const parseSeconds = (performance.now() - start) / 1000;
const manifests = loadManifests(parsed.documents);
const seconds = (performance.now() - start) / 1000;
const errors = parsed.issues.length + manifests.problems.filter((p) => p.severity === "error").length;
if (manifests.policies.length !== N || errors > 0) {
  console.error(`validate-10k: expected ${N} valid policies, got ${manifests.policies.length} and ${errors} errors`);
  console.error(JSON.stringify(manifests.problems.slice(0, 3)));
  process.exit(1);
}
const rssMiB = process.resourceUsage().maxRSS / 1024;
console.log(
  JSON.stringify({
    validate_10k_policies_s: Number(seconds.toFixed(3)),
    validate_10k_policies_rss_mib: Number(rssMiB.toFixed(1)),
    manifest_parse_10k_s: Number(parseSeconds.toFixed(3)),
    input_mib: Number((text.length / 1048576).toFixed(2)),
  }),
);
