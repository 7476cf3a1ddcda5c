import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/**
 * The README's live claim, as a user runs it: every example case — TCP, UDP, ICMP, HTTP, gRPC,
 * Kafka, DNS and TLS (SNI) requests, FQDN and entity destinations — decided on the wire in a lab, agreeing with the
 * engine, none left unsupported.
 */
const root = fileURLToPath(new URL("../", import.meta.url));

test("membrane test --live examples/: every case runs on the wire and passes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "membrane-examples-live-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const flowsFile = join(dir, "flows.json");
  const { stdout } = await promisify(execFile)(
    join(root, "packages/cli/bin/membrane"),
    ["test", "--live", "examples/", "-o", "json", "--flows", flowsFile],
    { cwd: root, maxBuffer: 64 * 1024 * 1024 },
  );
  const r = JSON.parse(stdout) as {
    passed: number;
    failed: number;
    unsupported: number;
    cases: { protocol: string; pass: boolean; reason: { summary: string } }[];
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
  // DNS over TCP through the node's transparent TCP DNS proxy: answered, and REFUSED.
  const tcpDns = r.cases.filter((c) => c.protocol === "TCP").map((c) => c.reason.summary);
  assert.ok(tcpDns.some((s) => s.includes("on the wire: the dns request was answered")));
  assert.ok(tcpDns.some((s) => s.includes("denied by the L7 proxy (DNS REFUSED)")));
  // FQDN destinations: the name went through the source's DNS proxy before the connection.
  assert.ok(r.cases.some((c) => /on the wire: the tls request was answered; api\.stripe\.com resolved first/.test(c.reason.summary)));
  // The proxies' records reached the flows as Hubble L7 flows: TLS (no Hubble record of its own) and Kafka.
  const l7 = readFileSync(flowsFile, "utf8")
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as { flow: { Type?: string; verdict: string; Summary?: string; l7?: { kafka?: unknown } } }).flow)
    .filter((f) => f.Type === "L7");
  assert.ok(l7.some((f) => f.verdict === "DROPPED" && f.Summary?.startsWith("TLS ClientHello evil.example.com")));
  assert.ok(l7.some((f) => f.verdict === "FORWARDED" && f.Summary?.startsWith("TLS ClientHello ledger.payments.svc")));
  assert.ok(l7.some((f) => f.l7?.kafka !== undefined && f.verdict === "DROPPED"));
});
