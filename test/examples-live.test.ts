import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/**
 * The README's live claim, as a user runs it: every example case — TCP, UDP, ICMP, HTTP, gRPC,
 * Kafka, DNS and TLS (SNI) requests, FQDN and entity destinations — decided on the wire in a lab, agreeing with the
 * engine, none left unsupported.
 */
const root = fileURLToPath(new URL("../", import.meta.url));

test("membrane test --live examples/: every case runs on the wire and passes", async () => {
  const { stdout } = await promisify(execFile)(join(root, "packages/cli/bin/membrane"), ["test", "--live", "examples/", "-o", "json"], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  const r = JSON.parse(stdout) as {
    passed: number;
    failed: number;
    unsupported: number;
    cases: { pass: boolean; reason: { summary: string } }[];
  };
  assert.deepEqual(
    r.cases.filter((c) => !c.pass).map((c) => c.reason.summary),
    [],
  );
  assert.equal(r.unsupported, 0);
  assert.ok(r.passed >= 200, `${r.passed} passed`);
  // Every kind of L7 exchange was among them.
  for (const kind of ["http", "grpc", "kafka", "dns", "tls"])
    assert.ok(
      r.cases.some((c) => c.reason.summary.includes(`on the wire: the ${kind} request was answered`)),
      kind,
    );
  // The SNI proxy's own denial (a reset after the ClientHello), not a kernel drop.
  assert.ok(r.cases.some((c) => c.reason.summary.includes("denied by the L7 proxy (the connection was reset after its ClientHello)")));
  // Envoy's answer to a denied gRPC call, as a gRPC client sees it.
  assert.ok(r.cases.some((c) => c.reason.summary.includes("denied by the L7 proxy (gRPC PERMISSION_DENIED Access denied)")));
});
