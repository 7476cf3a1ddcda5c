import { buildCluster } from "../cluster/build-cluster.ts";
import type { Cluster } from "../cluster/types.ts";
import { loadManifests } from "../manifest/load-manifests.ts";
import { DEFAULT_VALIDATION_OPTIONS, type ValidationOptions } from "../policy-api/context.ts";
import type { Policy } from "../policy-api/types.ts";
import type { SourceDocument } from "../source/node.ts";
import { toProblem, type Problem } from "../source/problem.ts";
import { Reader } from "../source/reader.ts";
import { readConnectivityTest, type ConnectivityTest } from "./connectivity-test.ts";

/** A scenario: the cluster, its valid policies, the tests to run and every problem found. */
export interface Scenario {
  readonly cluster: Cluster;
  readonly policies: readonly Policy[];
  readonly tests: readonly ConnectivityTest[];
  readonly problems: readonly Problem[];
}

/** Reads a scenario from documents (`connectivity-test.md`): Kubernetes objects, policies and ConnectivityTests. */
export function loadScenario(
  documents: readonly SourceDocument[],
  clusterName = "default",
  options: ValidationOptions = DEFAULT_VALIDATION_OPTIONS,
): Scenario {
  const manifests = loadManifests(documents, options);
  const { cluster, problems } = buildCluster(
    manifests.objects.filter((o) => o.kind !== "ConnectivityTest"),
    clusterName,
  );
  const tests: ConnectivityTest[] = [];
  const testProblems: Problem[] = [];
  for (const o of manifests.objects.filter((x) => x.kind === "ConnectivityTest")) {
    const r = new Reader();
    const t = readConnectivityTest(r, o);
    if (t !== undefined) tests.push(t);
    for (const issue of r.issues)
      testProblems.push(toProblem(issue, { file: o.file, index: o.document }, { kind: o.kind, namespace: null, name: t?.name ?? null }));
  }
  return { cluster, policies: manifests.policies, tests, problems: [...manifests.problems, ...problems, ...testProblems] };
}
