import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { startDnsmasq } from "../dns/test-support/dnsmasq.ts";
import { lookupError, resolverFor } from "../dns/test-support/proxy-fixtures.ts";
import { curl } from "../test-support/clients.ts";
import { selfSignedCertificate } from "../tls/self-signed.ts";
import { startHttp1Upstream } from "../test-support/upstreams.ts";
import { parseProxyArgs } from "./args.ts";
import { runStandalone } from "./run.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const STAR_WARS = fileURLToPath(new URL("../../../../examples/star-wars", import.meta.url));
const DEATHSTAR = "default/deathstar-c74d84667-cx5kp";
const DNS_EGRESS = fileURLToPath(new URL("../../../../examples/dns-egress-s3", import.meta.url));
/** Every flag a dns proxy needs (no --port: 53 is the default). */
const DNS_ARGS = ["dns", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:53", "--from", "a/b", "--to", "c/d", "--policy", "p"];

test("arguments: required flags, several policy paths, limits", () => {
  const base = ["http", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:8080", "--from", "a/b", "--to", "c/d", "--port", "80"];
  const r = parseProxyArgs([...base, "--policy", "x.yaml", "dir", "--flows", "--headers-timeout-ms", "500"]);
  assert.ok(r.ok);
  assert.deepEqual(r.value.policyPaths, ["x.yaml", "dir"]);
  assert.equal(r.value.flows, true);
  assert.deepEqual(r.value.limits, { headersTimeoutMs: 500 });
  assert.equal(r.value.direction, "ingress");
  const wrong: [string[], RegExp][] = [
    [[], /missing command/],
    [[...DNS_ARGS, "--direction", "ingress"], /egress/],
    [[...DNS_ARGS, "--idle-timeout-ms", "5"], /http only/],
    [["tls", ...DNS_ARGS.slice(1)], /missing --port/],
    [["tls", ...base.slice(1), "--policy", "p", "--headers-timeout-ms", "5"], /tls: --headers-timeout-ms applies to http only/],
    [["http", ...DNS_ARGS.slice(1)], /missing --port/],
    [["tcp"], /unknown command/],
    [base, /missing --policy/],
    [[...base, "--policy", "p", "--bogus"], /unknown flag/],
    [
      ["http", "--listen", "nope", "--upstream", "127.0.0.1:1", "--from", "a/b", "--to", "c/d", "--port", "80", "--policy", "p"],
      /--listen/,
    ],
    [[...base.slice(0, -1), "70000", "--policy", "p"], /--port/],
    [[...base, "--policy", "p", "--direction", "sideways"], /--direction/],
  ];
  for (const [argv, message] of wrong) {
    const w = parseProxyArgs(argv);
    assert.ok(!w.ok, argv.join(" "));
    assert.match(w.error, message);
  }
});

test("arguments: dns is egress on port 53 unless told", () => {
  const r = parseProxyArgs(DNS_ARGS);
  assert.ok(r.ok);
  assert.equal(r.value.command, "dns");
  assert.equal(r.value.port, 53);
  assert.equal(r.value.direction, "egress");
});

test("runStandalone reports unknown pods and unreadable paths with exit code 1", async () => {
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
  const common = ["http", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--port", "80"];
  assert.equal(await runStandalone([...common, "--from", "default/nobody", "--to", DEATHSTAR, "--policy", STAR_WARS], io), 1);
  assert.match(lines.join("\n"), /no pod endpoint default\/nobody/);
  assert.equal(
    await runStandalone([...common, "--from", "default/tiefighter", "--to", DEATHSTAR, "--policy", "/nonexistent/path.yaml"], io),
    1,
  );
  assert.equal(await runStandalone(["http"], io), 2);
});

test("main.ts: the star-wars policy lets the tiefighter land and keeps it off the exhaust port", async () => {
  const upstream = await startHttp1Upstream();
  const child = spawn(
    process.execPath,
    [
      MAIN,
      "http",
      "--listen",
      "127.0.0.1:0",
      "--upstream",
      `127.0.0.1:${upstream.port}`,
      "--policy",
      STAR_WARS,
      "--from",
      "default/tiefighter",
      "--to",
      DEATHSTAR,
      "--port",
      "80",
      "--flows",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  try {
    const lines = createInterface({ input: child.stdout });
    const iterator = lines[Symbol.asyncIterator]();
    const first = await iterator.next();
    const ready = JSON.parse(String(first.value)) as { listening: string; policy: string; context: { direction: string } };
    assert.equal(ready.policy, "http");
    assert.equal(ready.context.direction, "ingress");
    const url = `http://${ready.listening}`;
    const land = await curl(["--http1.1", "-X", "POST", `${url}/v1/request-landing`]);
    assert.equal(land.status, 200);
    const exhaust = await curl(["--http1.1", "-X", "PUT", `${url}/v1/exhaust-port`]);
    assert.equal(exhaust.status, 403);
    assert.equal(exhaust.body, "Access denied\r\n");
    assert.equal(upstream.hits.length, 1);
    const flows: { type: string; verdict: string }[] = [];
    for (let i = 0; i < 4; i++) flows.push(JSON.parse(String((await iterator.next()).value)) as { type: string; verdict: string });
    assert.deepEqual(
      flows.map((f) => `${f.type} ${f.verdict}`),
      ["REQUEST FORWARDED", "RESPONSE FORWARDED", "REQUEST DROPPED", "RESPONSE DROPPED"],
    );
    lines.close();
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
    await upstream.close();
  }
});

test("main.ts dns: the uploader resolves api.example.com through the proxy and is refused blocked.test", async () => {
  const dnsmasq = await startDnsmasq();
  const child = spawn(
    process.execPath,
    [
      MAIN,
      "dns",
      "--listen",
      "127.0.0.1:0",
      "--upstream",
      `127.0.0.1:${dnsmasq.port}`,
      "--policy",
      DNS_EGRESS,
      "--from",
      "data-pipeline/uploader-6f9b8d7c5-m4xqz",
      "--to",
      "kube-system/coredns-5d78c9869d-8xk2p",
      "--flows",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  try {
    const lines = createInterface({ input: child.stdout });
    const iterator = lines[Symbol.asyncIterator]();
    const ready = JSON.parse(String((await iterator.next()).value)) as {
      listening: string;
      policy: string;
      context: { direction: string; port: number };
    };
    assert.equal(ready.policy, "dns");
    assert.deepEqual([ready.context.direction, ready.context.port], ["egress", 53]);
    const resolver = resolverFor(Number(ready.listening.split(":").pop()));
    assert.deepEqual(await resolver.resolve4("api.example.com"), ["93.184.216.34"]);
    assert.equal(await lookupError(resolver.resolve4("x.blocked.test")), "EREFUSED");
    const flows: { type: string; verdict: string; dns: { query: string } }[] = [];
    for (let i = 0; i < 3; i++) flows.push(JSON.parse(String((await iterator.next()).value)) as (typeof flows)[number]);
    assert.deepEqual(
      flows.map((f) => `${f.type} ${f.verdict} ${f.dns.query}`),
      ["REQUEST FORWARDED api.example.com.", "RESPONSE FORWARDED api.example.com.", "REQUEST DROPPED x.blocked.test."],
    );
    lines.close();
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
    await dnsmasq.stop();
  }
});

test("main.ts tls: curl reaches the ledger over HTTPS for its own name only; another name is reset", async () => {
  const { cert, key } = selfSignedCertificate(["ledger.payments.svc"]);
  const upstream = createHttpsServer({ cert, key }, (_req, res) => res.end("ledger\n"));
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const args = [MAIN, "tls", "--listen", "127.0.0.1:0", "--upstream", `127.0.0.1:${(upstream.address() as AddressInfo).port}`];
  const scenario = fileURLToPath(new URL("../../../../examples/tls-sni", import.meta.url));
  const child = spawn(
    process.execPath,
    [
      ...args,
      "--policy",
      scenario,
      "--from",
      "payments/checkout-7c9f8d6b5-q4w2e",
      "--to",
      "payments/ledger-6b8d7f5c4-m3n8p",
      "--port",
      "8443",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  try {
    const lines = createInterface({ input: child.stdout });
    const ready = JSON.parse(String((await lines[Symbol.asyncIterator]().next()).value)) as { listening: string; policy: string };
    assert.equal(ready.policy, "tls");
    const port = ready.listening.split(":").at(-1)!;
    const as = (name: string): string[] => ["-k", "--resolve", `${name}:${port}:127.0.0.1`, `https://${name}:${port}/`];
    const ok = await curl(as("ledger.payments.svc"));
    assert.equal(ok.status, 200);
    assert.equal(ok.body, "ledger\n");
    await assert.rejects(curl(as("api.stripe.com")), /reset|SSL_ERROR_SYSCALL|\(35\)|\(56\)/i);
    lines.close();
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  }
});
