import assert from "node:assert/strict";
import { connect, type AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import type { L7Policy } from "@membrane/engine";
import { StaticPolicySource } from "../http/policy-source.ts";
import type { TlsFlowRecord } from "./flow-record.ts";
import type { TlsProxyLimits } from "./limits.ts";
import { TlsProxy } from "./proxy-server.ts";
import { selfSignedCertificate } from "./self-signed.ts";
import { clientHelloMessage, inRecords, sniExtension } from "./test-support/hello.ts";

/*
 * The SNI proxy between real TLS clients (node:tls) and a real TLS server behind it: allowed
 * names complete their handshake with the server through the proxy; others are reset before a
 * byte reaches it. Hostile shapes never reach the upstream either.
 */

const CONTEXT = { sourceIdentity: 1234, destination: "default/api", port: 443, direction: "egress" } as const;
const SNI_POLICY: L7Policy = { kind: "tls", serverNames: ["api.example.com", "*.svc.example"] };

let upstream: TlsServer;
let upstreamPort = 0;
/** TCP connections the upstream accepted (whether or not their handshake completed). */
let accepted = 0;

before(async () => {
  const { cert, key } = selfSignedCertificate(["api.example.com", "*.svc.example"]);
  upstream = createTlsServer({ cert, key }, (s) => {
    s.on("error", () => undefined);
    s.write(`hello ${s.servername || "(no name)"}\n`);
    s.pipe(s);
  });
  upstream.on("connection", () => accepted++);
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamPort = (upstream.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

interface Running {
  readonly port: number;
  readonly flows: TlsFlowRecord[];
  readonly proxy: TlsProxy;
}

async function startProxy(policy: L7Policy, limits: Partial<TlsProxyLimits> = {}, audited = false): Promise<Running> {
  const flows: TlsFlowRecord[] = [];
  const proxy = new TlsProxy({
    policy: new StaticPolicySource(policy, audited),
    route: { context: CONTEXT, upstream: { host: "127.0.0.1", port: upstreamPort } },
    limits,
    onFlow: (r) => flows.push(r),
  });
  const bound = await proxy.listen("127.0.0.1", 0);
  if (!bound.ok) throw new Error(bound.error);
  after(() => proxy.close());
  return { port: bound.value.port, flows, proxy };
}

/** A TLS client through the proxy: the server's first line, or the error code that ended it. */
function greetingThrough(port: number, servername: string | undefined): Promise<{ line: string } | { error: string }> {
  return new Promise((resolve) => {
    const c = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...(servername === undefined ? {} : { servername }) });
    let data = "";
    c.on("data", (d: Buffer) => {
      data += d.toString();
      if (data.includes("\n")) {
        c.end();
        resolve({ line: data.trim() });
      }
    });
    c.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    c.on("close", () => resolve({ error: "closed" }));
  });
}

/** Raw bytes to the proxy: how the connection ended, and whether the upstream saw it. */
async function rawThrough(port: number, bytes: Buffer, end: boolean): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port }, () => {
      s.write(bytes);
      if (end) s.end();
    });
    s.on("data", () => resolve("data"));
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    s.on("close", () => resolve("closed"));
  });
}

describe("TLS SNI proxy", () => {
  it("passes a connection whose server name matches, handshake and data end to end", async () => {
    const { port, flows } = await startProxy(SNI_POLICY);
    assert.deepEqual(await greetingThrough(port, "api.example.com"), { line: "hello api.example.com" });
    assert.deepEqual(await greetingThrough(port, "API.Example.com"), { line: "hello API.Example.com" });
    assert.deepEqual(await greetingThrough(port, "orders.svc.example"), { line: "hello orders.svc.example" });
    assert.deepEqual(
      flows.map((f) => [f.serverName, f.verdict]),
      [
        ["api.example.com", "FORWARDED"],
        ["api.example.com", "FORWARDED"],
        ["orders.svc.example", "FORWARDED"],
      ],
    );
    assert.deepEqual(flows[0]!.connection, CONTEXT);
  });

  it("resets a connection whose server name matches nothing, or that names none; the upstream never sees it", async () => {
    const { port, flows } = await startProxy(SNI_POLICY);
    const before = accepted;
    assert.deepEqual(await greetingThrough(port, "evil.example.com"), { error: "ECONNRESET" });
    assert.deepEqual(await greetingThrough(port, "a.b.svc.example"), { error: "ECONNRESET" }, "*. matches exactly one label");
    assert.deepEqual(await greetingThrough(port, undefined), { error: "ECONNRESET" }, "no SNI never matches");
    assert.equal(accepted, before);
    assert.deepEqual(
      flows.map((f) => [f.serverName, f.verdict]),
      [
        ["evil.example.com", "DROPPED"],
        ["a.b.svc.example", "DROPPED"],
        [null, "DROPPED"],
      ],
    );
    assert.match(flows[2]!.why, /names no server/);
  });

  it("a peer allowed without TLS rules passes whatever it names; a port under another parser's policy fails closed", async () => {
    const open = await startProxy({ kind: "allow-all", parser: "tls", why: "a rule without L7 allows this peer" });
    assert.deepEqual(await greetingThrough(open.port, "anything.example"), { line: "hello anything.example" });
    const http = await startProxy({ kind: "http", rules: [] });
    assert.deepEqual(await greetingThrough(http.port, "api.example.com"), { error: "ECONNRESET" });
  });

  it("audit mode forwards a denied name and records it AUDIT", async () => {
    const { port, flows } = await startProxy(SNI_POLICY, {}, true);
    assert.deepEqual(await greetingThrough(port, "evil.example.com"), { line: "hello evil.example.com" });
    assert.deepEqual(
      flows.map((f) => [f.serverName, f.verdict]),
      [["evil.example.com", "AUDIT"]],
    );
  });

  it("policy is asked at each ClientHello: a change applies to the next connection", async () => {
    let policy: L7Policy = SNI_POLICY;
    const proxy = new TlsProxy({
      policy: { policyFor: () => policy },
      route: { context: CONTEXT, upstream: { host: "127.0.0.1", port: upstreamPort } },
    });
    const bound = await proxy.listen("127.0.0.1", 0);
    assert.ok(bound.ok);
    after(() => proxy.close());
    assert.deepEqual(await greetingThrough(bound.value.port, "new.example"), { error: "ECONNRESET" });
    policy = { kind: "tls", serverNames: ["new.example"] };
    assert.deepEqual(await greetingThrough(bound.value.port, "new.example"), { line: "hello new.example" });
  });
});

describe("TLS SNI proxy: hostile clients", () => {
  it("resets what is not TLS, broken ClientHellos and oversized ones; nothing reaches the upstream", async () => {
    const { port, flows } = await startProxy(SNI_POLICY, { maxHelloBytes: 4096 });
    const before = accepted;
    const shapes: [string, Buffer][] = [
      ["plain HTTP", Buffer.from("GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n")],
      ["two server names", inRecords(clientHelloMessage(sniExtension("evil.example", "api.example.com")))],
      ["the SNI extension twice", inRecords(clientHelloMessage([...sniExtension("evil.example"), ...sniExtension("api.example.com")]))],
      ["a name with a NUL", inRecords(clientHelloMessage(sniExtension("api.example.com\0.evil")))],
      ["a ClientHello over the limit", inRecords([1, 0, 0x20, 0, ...new Array<number>(100).fill(0)])],
    ];
    for (const [what, bytes] of shapes) assert.equal(await rawThrough(port, bytes, false), "ECONNRESET", what);
    assert.equal(accepted, before);
    assert.equal(flows.length, shapes.length);
    assert.ok(flows.every((f) => f.verdict === "DROPPED" && f.serverName === null));
  });

  it("a client that ends or stalls before its ClientHello is complete is reset", async () => {
    const { port, flows } = await startProxy(SNI_POLICY, { helloTimeoutMs: 200 });
    const hello = inRecords(clientHelloMessage(sniExtension("api.example.com")));
    const before = accepted;
    assert.equal(await rawThrough(port, hello.subarray(0, 20), true), "ECONNRESET", "truncated, then ended");
    const t = Date.now();
    assert.equal(await rawThrough(port, hello.subarray(0, 20), false), "ECONNRESET", "truncated, then silent");
    assert.ok(Date.now() - t >= 150, "held until the hello timeout");
    assert.equal(accepted, before);
    assert.match(flows.map((f) => f.why).join("; "), /ended before.*took too long/);
  });

  it("a crafted ClientHello with an allowed name reaches the upstream", async () => {
    const { port } = await startProxy(SNI_POLICY);
    const before = accepted;
    // The upstream's TLS stack rejects this hello (no key share it can use), but it got it.
    await rawThrough(port, inRecords(clientHelloMessage(sniExtension("api.example.com"))), false);
    assert.equal(accepted, before + 1);
  });
});
