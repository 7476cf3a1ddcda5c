import assert from "node:assert/strict";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { rawExchange } from "../../test-support/clients.ts";
import { startProxy, type TestProxy } from "../../test-support/proxy.ts";

/*
 * The raw keep-alive upstream pool against a scripted upstream: each request's path picks the
 * exact bytes the upstream answers with, so framing, 1xx and connection loss are under control.
 */

/** What the scripted upstream answers per path: bytes, then whether it closes the connection. */
const SCRIPTS: Record<string, { readonly reply: string; readonly close?: boolean }> = {
  "/len": { reply: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello" },
  "/chunked": { reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 9\r\n\r\n" },
  "/eof": { reply: "HTTP/1.1 200 OK\r\n\r\nuntil-close", close: true },
  "/info": {
    reply: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
  },
  "/cut": { reply: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-part", close: true },
  "/nohead": { reply: "", close: true },
  "/badhead": { reply: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx" },
  "/nocontent": { reply: "HTTP/1.1 204 No Content\r\n\r\n" },
  "/closehdr": { reply: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx" },
};

let server: Server;
let port: number;
let proxy: TestProxy;
const connections: Socket[] = [];
const paths: string[] = [];

before(async () => {
  server = createServer((socket) => {
    connections.push(socket);
    socket.on("error", () => undefined);
    let pending = "";
    socket.on("data", (d: Buffer) => {
      pending += d.toString("latin1");
      for (;;) {
        const end = pending.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = pending.slice(0, end);
        let rest = pending.slice(end + 4);
        // Skips the body: a length, or chunks (without extensions or trailers) through the last one.
        const length = /\r\ncontent-length: (\d+)/i.exec(head);
        let body = "";
        if (length !== null) {
          if (rest.length < Number(length[1])) return;
          body = rest.slice(0, Number(length[1]));
        } else if (/\r\ntransfer-encoding: chunked/i.test(head)) {
          const last = rest.indexOf("0\r\n\r\n");
          if (last < 0) return;
          body = rest.slice(0, last + 5);
        }
        rest = rest.slice(body.length);
        pending = rest;
        const [method = "", path = ""] = head.split(" ");
        paths.push(`${method} ${path} ${JSON.stringify(body)}`);
        const script = SCRIPTS[path] ?? SCRIPTS["/len"]!;
        // A HEAD request gets the head only.
        const reply = method === "HEAD" ? script.reply.slice(0, script.reply.indexOf("\r\n\r\n") + 4) : script.reply;
        if (script.close) socket.end(reply);
        else socket.write(reply);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  port = (server.address() as AddressInfo).port;
  proxy = await startProxy({ kind: "allow-all", parser: "http", why: "test" }, port);
});

after(async () => {
  await proxy.close();
  for (const s of connections) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const get = (path: string, method = "GET"): string => `${method} ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

test("keep-alive: sequential requests reuse one upstream connection; the head is sent in one piece", async () => {
  const before = connections.length;
  for (let i = 0; i < 3; i++) {
    const r = await rawExchange(proxy.port, [get("/len")], { waitMs: 300 });
    assert.match(r.data, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(r.data, /\r\nx-a: 1\r\n/);
    assert.match(r.data, /\r\n\r\nhello$/);
  }
  assert.equal(connections.length - before, 1);
  // Pipelined requests on one client connection go one at a time over the same upstream connection.
  const r = await rawExchange(proxy.port, [get("/len") + get("/nocontent") + get("/len", "HEAD") + get("/len")], { waitMs: 300 });
  assert.deepEqual(
    [...r.data.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]),
    ["200", "204", "200", "200"],
  );
  assert.equal(r.data.split("hello").length - 1, 2, "HEAD and 204 carry no body");
  assert.equal(connections.length - before, 1);
});

test("chunked responses are relayed with their trailers; close-delimited ones are re-chunked", async () => {
  const c = await rawExchange(proxy.port, [get("/chunked")], { waitMs: 300 });
  assert.match(c.data, /transfer-encoding: chunked\r\n/);
  assert.match(c.data, /\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nx-sum: 9\r\n\r\n$/);

  const before = connections.length;
  const e = await rawExchange(proxy.port, [get("/eof")], { waitMs: 300 });
  assert.match(e.data, /transfer-encoding: chunked\r\n/);
  assert.match(e.data, /\r\n\r\nb\r\nuntil-close\r\n0\r\n\r\n$/);
  // The connection that ended the body by closing is not reused: the next request opens another.
  await rawExchange(proxy.port, [get("/len")], { waitMs: 300 });
  assert.equal(connections.length - before, 1);

  const old = await rawExchange(proxy.port, ["GET /eof HTTP/1.0\r\n\r\n"], { waitMs: 1000 });
  assert.ok(old.closed);
  assert.match(old.data, /connection: close\r\n\r\nuntil-close$/);
});

test("1xx responses from upstream are skipped; the final response is relayed", async () => {
  const r = await rawExchange(proxy.port, [get("/info")], { waitMs: 300 });
  assert.match(r.data, /^HTTP\/1\.1 200 OK\r\n/);
  assert.doesNotMatch(r.data, /100 Continue|103/);
  assert.match(r.data, /\r\n\r\nok$/);
});

test("an upstream closing mid-response cuts the client connection; before the head it gives 503", async () => {
  const cut = await rawExchange(proxy.port, [get("/cut")], { waitMs: 1000 });
  assert.ok(cut.closed);
  assert.match(cut.data, /^HTTP\/1\.1 200 OK\r\n[^]*only-part$/);

  const none = await rawExchange(proxy.port, [get("/nohead")], { waitMs: 1000 });
  assert.match(none.data, /^HTTP\/1\.1 503 /);
  assert.match(none.data, /connection termination/);

  const bad = await rawExchange(proxy.port, [get("/badhead")], { waitMs: 1000 });
  assert.match(bad.data, /^HTTP\/1\.1 503 /);

  // The proxy still works, on a fresh connection where needed.
  const ok = await rawExchange(proxy.port, [get("/len")], { waitMs: 300 });
  assert.match(ok.data, /hello$/);
});

test("a response with Connection: close retires the upstream connection", async () => {
  const before = connections.length;
  await rawExchange(proxy.port, [get("/closehdr")], { waitMs: 300 });
  await rawExchange(proxy.port, [get("/len")], { waitMs: 300 });
  assert.equal(connections.length - before, 1);
});

test("request bodies are framed for the upstream: a length, chunks, or an empty POST", async () => {
  const before = paths.length;
  const r = await rawExchange(
    proxy.port,
    [
      "POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" +
        "POST /len HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" +
        "POST /len HTTP/1.1\r\nHost: x\r\n\r\n",
    ],
    { waitMs: 300 },
  );
  assert.equal([...r.data.matchAll(/HTTP\/1\.1 200 /g)].length, 3);
  assert.deepEqual(paths.slice(before), ['POST /len "abc"', 'POST /len "3\\r\\nabc\\r\\n0\\r\\n\\r\\n"', 'POST /len ""']);
});
