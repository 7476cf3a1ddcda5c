import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const membrane = `${root}packages/cli/bin/membrane`;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `membrane` binary from the repository root. */
function run(args: readonly string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(membrane, [...args], { cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
    child.stdin!.end(stdin ?? "");
  });
}

test("validate: the bundled examples are all valid", async () => {
  const r = await run(["validate", "examples/"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, / 0 error\(s\)/);
});

test("validate: one bad policy does not hide the others; lines name file, line, column, kind and path", async () => {
  const r = await run(["validate", "test/fixtures/mixed.yaml"]);
  assert.equal(r.code, 2);
  const lines = r.stdout.trim().split("\n");
  assert.deepEqual(lines, [
    "test/fixtures/mixed.yaml:28:15: error: CiliumNetworkPolicy prod/bad-one: spec.ingress[0].toPorts[0].ports[0].protocol: L7 rules can only apply to TCP (not ANY) except for DNS rules: set protocol: TCP",
    "test/fixtures/mixed.yaml:34:7: warning: ConfigMap ignored: kind: kind ConfigMap is not used by membrane; ignored",
    "1 file(s), 4 document(s): 2 valid policies, 1 error(s), 1 warning(s)",
  ]);
});

test("validate -o json: problems as data", async () => {
  const r = await run(["validate", "-o", "json", "test/fixtures/mixed.yaml"]);
  assert.equal(r.code, 2);
  const problems = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.deepEqual(problems[0], {
    severity: "error",
    code: "cilium.l7-protocol",
    file: "test/fixtures/mixed.yaml",
    line: 28,
    column: 15,
    document: 1,
    kind: "CiliumNetworkPolicy",
    namespace: "prod",
    name: "bad-one",
    path: "spec.ingress[0].toPorts[0].ports[0].protocol",
    message: "L7 rules can only apply to TCP (not ANY) except for DNS rules: set protocol: TCP",
  });
});

test("validate: malformed YAML reports its line and spares the other documents", async () => {
  const r = await run(["validate", "-o", "json", "test/fixtures/broken-yaml.yaml"]);
  assert.equal(r.code, 2);
  const problems = JSON.parse(r.stdout) as { code: string; line: number; document: number }[];
  assert.equal(problems.length, 1, r.stdout);
  assert.match(problems[0]!.code, /^yaml\./);
  assert.equal(problems[0]!.document, 1);
  assert.ok(problems[0]!.line >= 13 && problems[0]!.line <= 14, `line ${problems[0]!.line}`);
  const text = await run(["validate", "test/fixtures/broken-yaml.yaml"]);
  assert.match(text.stdout, /3 document\(s\)|2 document\(s\)/);
  assert.match(text.stdout, /2 valid policies/);
});

test("validate: a JSON List is unpacked, with item paths", async () => {
  const r = await run(["validate", "-o", "json", "test/fixtures/list.json"]);
  assert.equal(r.code, 2);
  const problems = JSON.parse(r.stdout) as { path: string; name: string; line: number }[];
  assert.deepEqual(
    problems.map((p) => [p.name, p.path, p.line]),
    [["from-json", "items[0].spec.ingress[0].ports[0].port", 9]],
  );
});

test("validate -: reads stdin", async () => {
  const policy =
    "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: s, namespace: x}\nspec:\n  endpointSelector: {}\n  ingress: [{}]\n";
  const ok = await run(["validate", "-"], policy);
  assert.equal(ok.code, 0, ok.stdout);
  const bad = await run(["validate", "-"], policy.replace("ingress", "ingres"));
  assert.equal(bad.code, 2);
  assert.match(bad.stdout, /^<stdin>:6:3: error: CiliumNetworkPolicy x\/s: spec\.ingres: unknown field "ingres"$/m);
});

test("validate: an unreadable path is an error, and other paths are still read", async () => {
  const r = await run(["validate", "no/such/file.yaml", "examples/kafka-topic-control/kafka-policy.yaml"]);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /^no\/such\/file\.yaml:1:1: error: cannot read path/m);
  assert.match(r.stdout, /1 valid policy,/);
});

test("usage errors exit 2", async () => {
  assert.equal((await run(["validate"])).code, 2);
  assert.equal((await run(["frobnicate"])).code, 2);
  assert.equal((await run(["validate", "-o", "xml", "examples/"])).code, 2);
});
