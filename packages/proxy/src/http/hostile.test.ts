import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { rawExchange, type RawResult } from "../test-support/clients.ts";
import { startProxy, type TestProxy } from "../test-support/proxy.ts";
import { startHttp1Upstream, type TestUpstream } from "../test-support/upstreams.ts";

// Every request the proxy accepted would be forwarded: hostile input must be refused by parsing alone.
let upstream: TestUpstream;
let proxy: TestProxy;

before(async () => {
  upstream = await startHttp1Upstream();
  proxy = await startProxy({ kind: "allow-all", parser: "http", why: "test" }, upstream.port, {
    headersTimeoutMs: 300,
    idleTimeoutMs: 600,
  });
});

after(async () => {
  await proxy.close();
  await upstream.close();
});

const H = "Host: example\r\n";

/** Sends `input`, half-closes, and checks the proxy refused it (a 4xx or 505 then close, or just close) without contacting upstream. */
async function assertRefused(input: string | (string | Buffer)[], options: { end?: boolean; status?: number } = {}): Promise<RawResult> {
  const before = upstream.hits.length;
  const r = await rawExchange(proxy.port, typeof input === "string" ? [input] : input, { end: options.end ?? true, waitMs: 3000 });
  assert.ok(r.closed, `the proxy should close the connection: ${JSON.stringify(input).slice(0, 120)}`);
  const status = /^HTTP\/1\.1 (\d{3})/.exec(r.data)?.[1];
  if (status !== undefined) assert.match(status, /^(4\d\d|505)$/, JSON.stringify(input).slice(0, 120));
  if (options.status !== undefined) assert.equal(Number(status), options.status, JSON.stringify(input).slice(0, 120));
  assert.equal(upstream.hits.length, before, `nothing may reach upstream: ${JSON.stringify(input).slice(0, 120)}`);
  return r;
}

test("a valid request on the same proxy is forwarded (the control case)", async () => {
  const before = upstream.hits.length;
  const r = await rawExchange(proxy.port, [`GET /ok HTTP/1.1\r\n${H}Connection: close\r\n\r\n`], { waitMs: 3000 });
  assert.match(r.data, /^HTTP\/1\.1 200 OK/);
  assert.equal(upstream.hits.length, before + 1);
});

test("request smuggling shapes are refused with 400", async () => {
  const shapes = [
    `POST / HTTP/1.1\r\n${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`,
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nG`,
    `POST / HTTP/1.1\r\n${H}Content-Length: 0\r\nContent-Length: 5\r\n\r\nhello`,
    `POST / HTTP/1.1\r\n${H}Content-Length: 5, 0\r\n\r\nhello`,
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n`,
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n`,
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n`,
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`,
    `POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`,
    `GET / HTTP/1.1\r\n${H}X: a\r\n folded\r\n\r\n`,
    `GET / HTTP/1.1\r\n${H}X: a\r\n\tfolded\r\n\r\n`,
    `GET / HTTP/1.1\n${H}\n`,
    `GET / HTTP/1.1\r\n${H}X: a\rb\r\n\r\n`,
    `GET / HTTP/1.1\r\n${H}X: a\x00b\r\n\r\n`,
    `GET / HTTP/1.1\r\n${H}${H}\r\n`,
    `GET / HTTP/1.1\r\n\r\n`,
  ];
  for (const s of shapes) await assertRefused(s, { status: 400 });
});

test("invalid chunked bodies never reach upstream whole", async () => {
  for (const body of [
    "Z\r\nhello\r\n0\r\n\r\n",
    " 5\r\nhello\r\n0\r\n\r\n",
    "5 \r\nhello\r\n0\r\n\r\n",
    "5\nhello\r\n0\r\n\r\n",
    "0x5\r\nhello\r\n0\r\n\r\n",
  ]) {
    await assertRefused(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${body}`, { status: 400 });
  }
  // A good first chunk is streamed on; the bad one after it aborts the upstream request unfinished.
  const before = upstream.hits.length;
  const r = await rawExchange(proxy.port, [`POST /part HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nQQ\r\n`], {
    end: true,
    waitMs: 3000,
  });
  assert.ok(r.closed);
  assert.match(r.data, /^(HTTP\/1\.1 400 |$)/);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(upstream.hits.slice(before).every((h) => !h.complete));
});

test("malformed request lines and targets are refused", async () => {
  const lines = [
    "GET /a b HTTP/1.1",
    "GET /a\tb HTTP/1.1",
    "GET /a#x HTTP/1.1",
    "GET /%zz HTTP/1.1",
    "GET /\x7f HTTP/1.1",
    "GET /\xff HTTP/1.1",
    "GE(T / HTTP/1.1",
    "GET\t/ HTTP/1.1",
    "GET / HTTP/1.1 extra",
    "GET / HTTP/1.2",
    "GET / FOO/1.1",
    "GET",
    "CONNECT example:443 HTTP/1.1",
    "GET https://example/ HTTP/1.1",
  ];
  for (const l of lines) await assertRefused(`${l}\r\n${H}\r\n`);
});

test("header limits: too many fields, too large a head, too long a request line", async () => {
  const many = Array.from({ length: 101 }, (_, i) => `X-${i}: v\r\n`).join("");
  await assertRefused(`GET / HTTP/1.1\r\n${H}${many}\r\n`, { status: 431 });
  await assertRefused(`GET / HTTP/1.1\r\n${H}X-Big: ${"a".repeat(70 * 1024)}\r\n\r\n`, { status: 431, end: false });
  await assertRefused(`GET /${"a".repeat(20 * 1024)} HTTP/1.1\r\n${H}\r\n`, { status: 414, end: false });
});

test("truncated requests: a head or a body cut short", async () => {
  await assertRefused(`GET / HTTP/1.1\r\n${H}`, { status: 400 });
  await assertRefused("GET / HT", { status: 400 });
  const before = upstream.hits.length;
  const r = await rawExchange(proxy.port, [`POST /t HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\nabc`], { end: true, waitMs: 3000 });
  assert.ok(r.closed);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(
    upstream.hits.slice(before).every((h) => !h.complete),
    "a cut body never completes upstream",
  );
});

test("slowloris: a head that does not complete within the header timeout gets 408 and a close", async () => {
  const before = upstream.hits.length;
  const started = Date.now();
  const drip = Array.from({ length: 30 }, (_, i) => `X-${i}: v\r\n`);
  const r = await rawExchange(proxy.port, [`GET / HTTP/1.1\r\n${H}`, ...drip], { gapMs: 50, waitMs: 3000 });
  assert.ok(r.closed);
  assert.match(r.data, /^HTTP\/1\.1 408 /);
  assert.ok(Date.now() - started < 1500, "closed soon after the header timeout");
  assert.equal(upstream.hits.length, before);
});

test("an idle connection is closed after the idle timeout", async () => {
  const started = Date.now();
  const r = await rawExchange(proxy.port, [], { waitMs: 3000 });
  assert.ok(r.closed);
  assert.equal(r.data, "");
  assert.ok(Date.now() - started < 2000);
});

test("a slow upstream holds the client back: the proxy does not buffer an unbounded body", async () => {
  const total = 64 * 1024 * 1024;
  const socket = connect(proxy.port, "127.0.0.1");
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.on("error", () => undefined);
  socket.write(`POST /stall HTTP/1.1\r\n${H}Content-Length: ${total}\r\n\r\n`);
  const flushed = socket.write(Buffer.alloc(total, 0x61));
  assert.equal(flushed, false);
  await new Promise((resolve) => setTimeout(resolve, 400));
  // Kernel buffers hold a few MiB at most; the rest must still wait in the client.
  assert.ok(socket.writableLength > total / 2, `client still holds ${socket.writableLength} bytes`);
  socket.destroy();
});

test("HTTP/2: a bad preface continuation or garbage frames close the connection, nothing is forwarded", async () => {
  const preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  await assertRefused([preface, Buffer.from("garbage-that-is-not-a-settings-frame")]);
  await assertRefused([preface, Buffer.alloc(64, 0xff)]);
  await assertRefused(["PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"]);
});
