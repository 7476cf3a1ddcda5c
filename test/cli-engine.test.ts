import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const membrane = `${root}packages/cli/bin/membrane`;

/** Runs the real `membrane` binary from the repository root. */
function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(membrane, [...args], { cwd: root }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

test("test: a failing case exits 1 and names both verdicts and the deciding rule", async () => {
  const r = await run(["test", "test/fixtures/failing"]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /FAIL test\/fixtures\/failing: shop\[1\] shop\/db -> shop\/web TCP\/80: expected deny, got allow/);
  assert.match(r.stdout, /1 scenario\(s\), 1 test\(s\): 2 passed, 1 failed, 0 unsupported/);
});

test("test -o json: the connectivity-test.md shape, index counted from 0 per test", async () => {
  const r = await run(["test", "-o", "json", "test/fixtures/failing"]);
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout) as { passed: number; failed: number; cases: Record<string, unknown>[] };
  assert.equal(out.passed, 2);
  assert.equal(out.failed, 1);
  const third = out.cases[2]!;
  assert.deepEqual(
    {
      test: third["test"],
      index: third["index"],
      from: third["from"],
      to: third["to"],
      port: third["port"],
      protocol: third["protocol"],
      expect: third["expect"],
      actual: third["actual"],
      pass: third["pass"],
    },
    { test: "shop", index: 2, from: "shop/web", to: "shop/db", port: 22, protocol: "TCP", expect: "deny", actual: "deny", pass: true },
  );
  assert.deepEqual(
    {
      direction: (third["reason"] as Record<string, unknown>)["direction"],
      policy: (third["reason"] as Record<string, unknown>)["policy"],
      rule: (third["reason"] as Record<string, unknown>)["rule"],
    },
    { direction: "ingress", policy: "shop/db-from-web", rule: 0 },
  );
});

test("test -o junit: one testsuite per ConnectivityTest, a failure element per failing case", async () => {
  const r = await run(["test", "-o", "junit", "test/fixtures/failing"]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /<testsuite name="test\/fixtures\/failing: shop" tests="3" failures="1" skipped="0">/);
  assert.equal((r.stdout.match(/<failure /g) ?? []).length, 1);
});

test("test: invalid input exits 2 without running cases", async () => {
  const r = await run(["test", "test/fixtures/mixed.yaml"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no case was run/);
});

test("trace: step by step, both directions, the chosen entry and the verdict", async () => {
  const r = await run(["trace", "examples/star-wars", "--from", "default/xwing", "--to", "service:default/deathstar", "--port", "80"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Service translation: -> default\/deathstar-c74d84667-cx5kp port 80/);
  assert.match(r.stdout, /1\. Egress at default\/xwing\n {2}not enforced/);
  assert.match(
    r.stdout,
    /2\. Ingress at default\/deathstar-c74d84667-cx5kp\n {2}enforced \(default deny\) because of: CiliumNetworkPolicy default\/rule1/,
  );
  assert.match(r.stdout, /=> DROPPED: Policy denied/);
  assert.match(r.stdout, /Verdict: DENIED \(ingress at default\/deathstar-c74d84667-cx5kp\)/);
  const ok = await run([
    "trace",
    "examples/star-wars",
    "--from",
    "default/tiefighter",
    "--to",
    "default/deathstar-c74d84667-cx5kp",
    "--port",
    "80",
    "-o",
    "json",
  ]);
  const j = JSON.parse(ok.stdout) as { verdict: string; ingress: { matchType: string; outcome: string } };
  assert.deepEqual([j.verdict, j.ingress.matchType, j.ingress.outcome], ["allow", "L3_L4", "redirect"]);
});

test("matrix: rows from, columns to", async () => {
  const r = await run(["matrix", "test/fixtures/failing", "--port", "5432", "-o", "json"]);
  const m = JSON.parse(r.stdout) as { pods: string[]; allowed: boolean[][] };
  assert.deepEqual(m.pods, ["shop/db", "shop/web"]);
  assert.deepEqual(m.allowed, [
    [true, true],
    [true, true],
  ]);
  const p80 = JSON.parse((await run(["matrix", "test/fixtures/failing", "--port", "80", "-o", "json"])).stdout) as { allowed: boolean[][] };
  assert.deepEqual(p80.allowed, [
    [true, true],
    [false, true],
  ]);
});

test("policy get, endpoint list, identity list, policy selectors", async () => {
  const get = await run(["policy", "get", "shop/db", "test/fixtures/failing"]);
  assert.match(get.stdout, /Ingress: enforced \(default deny\) because of: NetworkPolicy shop\/db-from-web/);
  assert.match(get.stdout, /Allow +Ingress +1 +reserved:host +ANY +NONE +allow-localhost-ingress/);
  assert.match(get.stdout, /Allow +Ingress +\d+ +k8s:app=web,[^ ]* +TCP\/5432 +NONE +NetworkPolicy shop\/db-from-web spec\.ingress\[0\]/);
  const eps = JSON.parse((await run(["endpoint", "list", "test/fixtures/failing", "-o", "json"])).stdout) as {
    endpoint: string;
    ingress: string;
  }[];
  assert.deepEqual(
    eps.map((e) => [e.endpoint, e.ingress]),
    [
      ["shop/db", "Enabled"],
      ["shop/web", "Disabled"],
    ],
  );
  const ids = await run(["identity", "list", "test/fixtures/failing", "-o", "yaml"]);
  assert.match(ids.stdout, /- id: 1\n {2}labels:\n {4}- reserved:host/);
  const sels = await run(["policy", "selectors", "test/fixtures/failing"]);
  assert.match(sels.stdout, /SELECTOR +IDENTITIES/);
  assert.equal((await run(["policy", "get", "shop/nope", "test/fixtures/failing"])).code, 2);
});

test("trace explains the L7 decision of a redirected connection", async () => {
  const args = ["trace", "examples/star-wars", "--from", "default/tiefighter", "--to", "service:default/deathstar", "--port", "80"];
  const denied = await run([...args, "--http-method", "PUT", "--http-path", "/v1/exhaust-port"]);
  assert.match(
    denied.stdout,
    /L7 \(http\): ingress proxy at default\/deathstar-c74d84667-cx5kp: no HTTP rule matches PUT \/v1\/exhaust-port: 403 Access denied/,
  );
  assert.match(denied.stdout, /Verdict: DENIED \(L7\)/);
  const allowed = JSON.parse(
    (await run([...args, "--http-method", "POST", "--http-path", "/v1/request-landing", "-o", "json"])).stdout,
  ) as { verdict: string };
  assert.equal(allowed.verdict, "allow");
});

test("TLS SNI: `tls: {serverName}` cases are decided by the serverNames rules, and trace explains them", async () => {
  const r = JSON.parse((await run(["test", "examples/tls-sni", "-o", "json"])).stdout) as {
    passed: number;
    unsupported: number;
    cases: { actual: string; reason: { summary: string } }[];
  };
  assert.equal(r.unsupported, 0);
  assert.equal(r.passed, r.cases.length);
  assert.match(r.cases[1]!.reason.summary, /server name evil\.example\.com matches none of api\.stripe\.com: reset/);
  assert.match(r.cases[2]!.reason.summary, /the ClientHello names no server: reset/);
  const args = [
    "trace",
    "examples/tls-sni",
    "--from",
    "payments/checkout-7c9f8d6b5-q4w2e",
    "--to",
    "service:payments/ledger",
    "--port",
    "443",
  ];
  const wildcard = await run([...args, "--tls-server-name", "v2.ledger.payments.svc"]);
  assert.match(
    wildcard.stdout,
    /L7 \(tls\): ingress proxy at payments\/ledger-6b8d7f5c4-m3n8p: server name v2\.ledger\.payments\.svc matches \*\.ledger\.payments\.svc/,
  );
  assert.match(wildcard.stdout, /Verdict: ALLOWED/);
  const twoLabels = await run([...args, "--tls-server-name", "a.b.ledger.payments.svc"]);
  assert.match(twoLabels.stdout, /Verdict: DENIED \(L7\)/);
  // A plain HTTP request on the SNI port is reset too: the proxy only passes ClientHellos.
  const http = await run([...args, "--http-method", "GET", "--http-path", "/"]);
  assert.match(http.stdout, /the TLS SNI proxy resets a connection that does not begin with a ClientHello/);
});

test("test: a tls case with a non-string serverName is bad input naming its field", async () => {
  const dir = mkdtempSync(join(tmpdir(), "membrane-tls-case-"));
  try {
    writeFileSync(
      join(dir, "t.yaml"),
      `apiVersion: membrane.dev/v1alpha1
kind: ConnectivityTest
metadata: { name: t }
spec:
  cases:
    - { from: payments/checkout-7c9f8d6b5-q4w2e, to: service:payments/ledger, port: 443, tls: { serverName: [a] }, expect: allow }
`,
    );
    const r = await run(["test", "examples/tls-sni/cluster.yaml", "examples/tls-sni/tls-sni.yaml", join(dir, "t.yaml")]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /t\.yaml:6:.*spec\.cases\[0\]\.tls\.serverName/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
