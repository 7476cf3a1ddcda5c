import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const membrane = `${root}packages/cli/bin/membrane`;
const EXPORT = "test/fixtures/hubble-export.json";

function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(membrane, [...args], { cwd: root }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const uuidsOrTimes = async (args: readonly string[]): Promise<string[]> =>
  (await run(["observe", "--input-file", EXPORT, "-o", "json", ...args])).stdout
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => (JSON.parse(l) as { time: string }).time.slice(11, 23));

test("observe reads a Hubble JSON export and filters as Hubble does", async () => {
  assert.deepEqual(await uuidsOrTimes(["--verdict", "DROPPED"]), ["13:23:47.852", "13:23:49.000"]);
  assert.deepEqual(await uuidsOrTimes(["--not", "--verdict", "FORWARDED"]), ["13:23:47.852", "13:23:49.000"]);
  assert.deepEqual(await uuidsOrTimes(["--verdict", "DROPPED", "--verdict", "FORWARDED", "-n", "data-pipeline"]), [
    "13:24:01.100",
    "13:24:02.000",
  ]);
  assert.deepEqual(await uuidsOrTimes(["--from-pod", "default/x"]), ["13:23:47.852", "13:23:49.000"]);
  assert.deepEqual(await uuidsOrTimes(["--pod", "default/tiefighter"]), ["13:23:40.501", "13:23:40.502"]);
  assert.deepEqual(await uuidsOrTimes(["-t", "l7", "--http-status", "4+"]), ["13:23:49.000"]);
  assert.deepEqual(await uuidsOrTimes(["--drop-reason-desc", "POLICY_DENIED"]), ["13:23:47.852"]);
  assert.deepEqual(await uuidsOrTimes(["-l", "k8s:org=alliance"]), ["13:23:47.852", "13:23:49.000"]);
  assert.deepEqual(await uuidsOrTimes(["--to-label", "reserved:world"]), ["13:24:02.000"]);
  assert.deepEqual(await uuidsOrTimes(["--to-fqdn", "*.amazonaws.com"]), ["13:24:02.000"]);
  assert.deepEqual(await uuidsOrTimes(["--protocol", "dns"]), ["13:24:01.100"]);
  assert.deepEqual(await uuidsOrTimes(["--to-port", "443", "--traffic-direction", "egress"]), ["13:24:02.000"]);
  assert.deepEqual(await uuidsOrTimes(["--ip", "10.244.2.0/24", "--http-method", "GET"]), []);
  assert.deepEqual(await uuidsOrTimes(["--since", "2024-05-04T13:24:00Z", "--node-name", "kind-worker2"]), [
    "13:24:01.100",
    "13:24:02.000",
  ]);
  assert.deepEqual(await uuidsOrTimes(["--first", "1"]), ["13:23:40.501"]);
  assert.deepEqual(await uuidsOrTimes(["--last", "1"]), ["13:24:02.000"]);
});

test("observe -o json passes Hubble's fields through unchanged, so jq recipes keep working", async () => {
  const line = (await run(["observe", "--input-file", EXPORT, "-o", "json", "--drop-reason-desc", "POLICY_DENIED"])).stdout.trim();
  const rec = JSON.parse(line) as { flow: Record<string, unknown>; node_name: string };
  assert.equal(rec.node_name, "kind-worker");
  assert.deepEqual(rec.flow["interface"], { index: 12, name: "lxc1234" });
  assert.equal(rec.flow["trace_observation_point"], "UNKNOWN_POINT");
});

test("observe compact, dict and table output", async () => {
  const compact = (await run(["observe", "--input-file", EXPORT, "--drop-reason-desc", "POLICY_DENIED"])).stdout;
  assert.equal(
    compact,
    "May  4 13:23:47.852: default/xwing:42818 (ID:11222) <> default/deathstar-c74d84667-cx5kp:80 (ID:9863) Policy denied DROPPED (TCP Flags: SYN)\n",
  );
  const l7 = (await run(["observe", "--input-file", EXPORT, "--http-method", "POST", "-t", "l7", "--first", "1"])).stdout;
  assert.match(
    l7,
    /default\/tiefighter:42690 \(ID:30387\) -> default\/deathstar-c74d84667-cx5kp:80 \(ID:9863\) http-request FORWARDED \(HTTP\/1\.1 POST http:\/\/deathstar\.default\.svc\.cluster\.local\/v1\/request-landing\)/,
  );
  const dict = (await run(["observe", "--input-file", EXPORT, "-o", "dict", "--last", "1", "--print-policy-names"])).stdout;
  assert.match(dict, / {4}VERDICT: ALLOWED BY data-pipeline\/allow-s3-egress \(CiliumNetworkPolicy\)/);
  const table = (await run(["observe", "--input-file", EXPORT, "-o", "table", "--verdict", "DROPPED"])).stdout.split("\n");
  assert.match(table[0]!, /^TIMESTAMP +SOURCE +DESTINATION +TYPE +VERDICT +SUMMARY$/);
  assert.equal(table.length, 4);
});

test("test --flows records the simulated flows; a default-deny drop names the policy that caused it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "membrane-flows-"));
  const file = join(dir, "flows.json");
  assert.equal((await run(["test", "examples/star-wars", "--flows", file])).code, 0);
  const drops = (
    await run([
      "observe",
      "--input-file",
      file,
      "--verdict",
      "DROPPED",
      "-t",
      "policy-verdict",
      "--from-pod",
      "default/xwing",
      "--print-policy-names",
    ])
  ).stdout;
  assert.match(
    drops,
    /default\/xwing:\d+ \(ID:\d+\) -> default\/deathstar-c74d84667-cx5kp:80 \(ID:\d+\) policy-verdict:none INGRESS DENIED BY default\/rule1 \(CiliumNetworkPolicy\) \(TCP Flags: SYN\)/,
  );
  const json = (await run(["observe", "--input-file", file, "-o", "json", "-t", "l7", "--verdict", "DROPPED"])).stdout.trim().split("\n");
  const flow = (JSON.parse(json[0]!) as { flow: { l7: { http: { method: string; url: string } } } }).flow;
  assert.deepEqual(flow.l7.http, {
    method: "PUT",
    url: "http://deathstar.default.svc.cluster.local/v1/exhaust-port",
    protocol: "HTTP/1.1",
  });
});

test("observe without --input-file explains, and bad flags exit 2", async () => {
  assert.equal((await run(["observe"])).code, 2);
  assert.equal((await run(["observe", "--input-file", EXPORT, "-o", "xml"])).code, 2);
  assert.equal((await run(["observe", "--input-file", EXPORT, "--since", "yesterday"])).code, 2);
});

test("audit mode per policy: the would-be drop passes, is reported distinctly and shows AUDIT naming the policy", async () => {
  const dir = mkdtempSync(join(tmpdir(), "membrane-audit-"));
  const file = join(dir, "flows.json");
  const r = await run(["test", "test/fixtures/audit", "--flows", file]);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /AUDIT test\/fixtures\/audit: audit\[0\] shop\/db -> shop\/web TCP\/80: passes only because of audit mode/);
  assert.match(r.stdout, /2 passed, 0 failed, 0 unsupported, 1 audited/);
  const audit = (await run(["observe", "--input-file", file, "--verdict", "AUDIT", "--print-policy-names"])).stdout;
  assert.match(
    audit,
    /shop\/db:\d+ \(ID:\d+\) -> shop\/web:80 \(ID:\d+\) policy-verdict:none INGRESS AUDITED BY shop\/lock-web \(CiliumNetworkPolicy\)/,
  );
  const global = await run(["test", "test/fixtures/audit", "--policy-audit-mode", "-o", "json"]);
  const cases = (JSON.parse(global.stdout) as { cases: { audited: boolean; actual: string }[] }).cases;
  assert.deepEqual(
    cases.map((c) => [c.actual, c.audited]),
    [
      ["allow", true],
      ["allow", true],
    ],
  );
});

test("test --flows: a TLS SNI case is an L7 flow Hubble prints as l7-request, naming the server asked for", async () => {
  const dir = mkdtempSync(join(tmpdir(), "membrane-flows-"));
  try {
    const file = join(dir, "flows.json");
    assert.equal((await run(["test", "examples/tls-sni", "--flows", file])).code, 0);
    const l7 = (await run(["observe", "--input-file", file, "-t", "l7", "--verdict", "DROPPED"])).stdout;
    assert.match(
      l7,
      /payments\/checkout-7c9f8d6b5-q4w2e:\d+ \(ID:\d+\) -> 54\.187\.216\.72:443 .*l7-request DROPPED \(TLS ClientHello evil\.example\.com\)/,
    );
    assert.match(l7, /l7-request DROPPED \(TLS ClientHello \(no server name\)\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
