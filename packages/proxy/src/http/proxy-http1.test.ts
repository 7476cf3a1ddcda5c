import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import { Client } from "undici";
import { curl, rawExchange } from "../test-support/clients.ts";
import { startProxy, TEST_CONTEXT, type TestProxy } from "../test-support/proxy.ts";
import { headerMatch, httpPolicy, httpRule } from "../test-support/rules.ts";
import { startHttp1Upstream, type TestUpstream } from "../test-support/upstreams.ts";

let upstream: TestUpstream;
const proxies: TestProxy[] = [];

before(async () => {
  upstream = await startHttp1Upstream();
});

after(async () => {
  for (const p of proxies) await p.close();
  await upstream.close();
});

async function proxyFor(...rules: Parameters<typeof httpPolicy>): Promise<TestProxy> {
  const p = await startProxy(httpPolicy(...rules), upstream.port);
  proxies.push(p);
  return p;
}

/** Runs `fn` and returns how many requests reached the upstream meanwhile. */
async function hitsDuring(fn: () => Promise<void>): Promise<number> {
  const before = upstream.hits.length;
  await fn();
  return upstream.hits.length - before;
}

test("curl: an allowed request is forwarded, a denied one gets Envoy's 403 and never reaches upstream", async () => {
  const p = await proxyFor(httpRule({ method: "GET", path: "/public" }));
  const url = `http://127.0.0.1:${p.port}`;
  let ok!: Awaited<ReturnType<typeof curl>>;
  assert.equal(
    await hitsDuring(async () => {
      ok = await curl(["--http1.1", `${url}/public`]);
    }),
    1,
  );
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("x-upstream"), "h1");
  assert.equal((JSON.parse(ok.body) as { url: string }).url, "/public");

  let denied!: Awaited<ReturnType<typeof curl>>;
  assert.equal(
    await hitsDuring(async () => {
      denied = await curl(["--http1.1", "-X", "POST", "-d", "x", `${url}/public`]);
    }),
    0,
  );
  assert.equal(denied.status, 403);
  assert.equal(denied.body, "Access denied\r\n");
  assert.equal(denied.headers.get("content-type"), "text/plain");
  assert.equal(denied.headers.get("content-length"), "15");
});

test("path is a full match that includes the query string", async () => {
  const p = await proxyFor(httpRule({ path: "/public" }), httpRule({ path: "/api/v[0-9]+/.*" }));
  const c = new Client(`http://127.0.0.1:${p.port}`);
  try {
    const status = async (path: string): Promise<number> => {
      const r = await c.request({ method: "GET", path });
      await r.body.text();
      return r.statusCode;
    };
    const hits = await hitsDuring(async () => {
      assert.equal(await status("/public"), 200);
      assert.equal(await status("/public?x=1"), 403);
      assert.equal(await status("/public/"), 403);
      assert.equal(await status("/publicx"), 403);
      assert.equal(await status("/api/v2/items?id=3"), 200);
      assert.equal(await status("/api/vx/items"), 403);
    });
    assert.equal(hits, 2);
  } finally {
    await c.close();
  }
});

test("method is an anchored regex: alternation allows each named method only (unknown methods are refused)", async () => {
  const p = await proxyFor(httpRule({ method: "GET|HEAD", path: "/m" }), httpRule({ method: "(PUT|PATCH)", path: "/m" }));
  const c = new Client(`http://127.0.0.1:${p.port}`);
  try {
    const want: [string, number][] = [
      ["GET", 200],
      ["HEAD", 200],
      ["PUT", 200],
      ["PATCH", 200],
      ["POST", 403],
      ["DELETE", 403],
      ["OPTIONS", 403],
      ["GETX", 400],
    ];
    for (const [method, status] of want) {
      const r = await c.request({ method, path: "/m" });
      await r.body.text();
      assert.equal(r.statusCode, status, method);
    }
  } finally {
    await c.close();
  }
});

test("host is an anchored regex over Host (with its port)", async () => {
  const p = await proxyFor(httpRule({ host: "api\\.example\\.com(:[0-9]+)?" }));
  const url = `http://127.0.0.1:${p.port}/`;
  assert.equal((await curl(["--http1.1", "-H", "Host: api.example.com", url])).status, 200);
  assert.equal((await curl(["--http1.1", "-H", "Host: api.example.com:8080", url])).status, 200);
  assert.equal((await curl(["--http1.1", "-H", "Host: apiXexample.com", url])).status, 403);
  assert.equal((await curl(["--http1.1", "-H", "Host: evil.api.example.com", url])).status, 403);
  assert.equal((await curl(["--http1.1", url])).status, 403);
});

test("headers: presence and exact (case-sensitive) value", async () => {
  const p = await proxyFor(httpRule({ path: "/p", headers: ["X-Token"] }), httpRule({ path: "/e", headers: ["X-Env: prod"] }));
  const url = `http://127.0.0.1:${p.port}`;
  assert.equal((await curl(["--http1.1", "-H", "x-token: anything", `${url}/p`])).status, 200);
  assert.equal((await curl(["--http1.1", "-H", "X-Token;", `${url}/p`])).status, 200);
  assert.equal((await curl(["--http1.1", `${url}/p`])).status, 403);
  assert.equal((await curl(["--http1.1", "-H", "X-Env: prod", `${url}/e`])).status, 200);
  assert.equal((await curl(["--http1.1", "-H", "X-Env: Prod", `${url}/e`])).status, 403);
  assert.equal((await curl(["--http1.1", "-H", "X-Env: production", `${url}/e`])).status, 403);
});

test("header actions ADD, DELETE and REPLACE edit the request the upstream sees; LOG only records", async () => {
  const p = await proxyFor(
    httpRule({
      path: "/edit",
      headerMatches: [
        headerMatch("X-Added", "yes", "ADD"),
        headerMatch("X-Secret", "expected", "DELETE"),
        headerMatch("X-Role", "user", "REPLACE"),
        headerMatch("X-Audit", "on", "LOG"),
      ],
    }),
  );
  const r = await curl([
    "--http1.1",
    "-H",
    "X-Secret: wrong",
    "-H",
    "X-Role: admin",
    "-H",
    "X-Audit: off",
    `http://127.0.0.1:${p.port}/edit`,
  ]);
  assert.equal(r.status, 200);
  const seen = upstream.hits.at(-1)!.headers;
  assert.equal(seen["x-added"], "yes");
  assert.equal(seen["x-secret"], undefined);
  assert.equal(seen["x-role"], "user");
  assert.equal(seen["x-audit"], "off");
  const req = p.flows.find((f) => f.type === "REQUEST");
  assert.ok(req !== undefined && req.type === "REQUEST");
  assert.deepEqual(
    req.actions.map((a) => a.kind),
    ["add", "delete", "replace", "log"],
  );
});

test("keep-alive: many requests, allowed and denied, share one client connection", async () => {
  const p = await proxyFor(httpRule({ path: "/ok" }));
  const c = new Client(`http://127.0.0.1:${p.port}`, { pipelining: 1 });
  let connections = 0;
  c.on("connect", () => connections++);
  try {
    for (let i = 0; i < 10; i++) {
      const r = await c.request({
        method: i % 2 === 0 ? "GET" : "POST",
        path: i % 2 === 0 ? "/ok" : "/no",
        body: i % 2 === 0 ? null : "body",
      });
      assert.equal(r.statusCode, i % 2 === 0 ? 200 : 403);
      await r.body.text();
    }
    assert.equal(connections, 1);
  } finally {
    await c.close();
  }
});

test("bodies stream both ways: a 1 MiB chunked upload and a 1 MiB download", async () => {
  const p = await proxyFor(httpRule({}));
  const c = new Client(`http://127.0.0.1:${p.port}`);
  try {
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 16; i++) yield chunk;
      })(),
    );
    const up = await c.request({ method: "POST", path: "/upload", body });
    await up.body.text();
    assert.equal(up.statusCode, 200);
    const hit = upstream.hits.at(-1)!;
    assert.equal(hit.body.length, 1 << 20);
    assert.equal(hit.headers["transfer-encoding"], "chunked");

    const down = await c.request({ method: "GET", path: "/big" });
    assert.equal((await down.body.arrayBuffer()).byteLength, 1 << 20);

    const chunked = await c.request({ method: "GET", path: "/chunked" });
    assert.equal(await chunked.body.text(), "one,two,three");
    assert.equal(chunked.trailers["x-checksum"], "abc");
  } finally {
    await c.close();
  }
});

test("Expect: 100-continue is answered by the proxy for allowed requests", async () => {
  const p = await proxyFor(httpRule({ path: "/ok" }));
  const r = await curl(["--http1.1", "-H", "Expect: 100-continue", "--data-binary", "payload", `http://127.0.0.1:${p.port}/ok`]);
  assert.equal(r.status, 200);
  assert.equal((JSON.parse(r.body) as { body: string }).body, "payload");
  const denied = await curl(["--http1.1", "-H", "Expect: 100-continue", "--data-binary", "payload", `http://127.0.0.1:${p.port}/no`]);
  assert.equal(denied.status, 403);
});

test("pipelined requests are answered in order; HTTP/1.0 closes after its response", async () => {
  const p = await proxyFor(httpRule({ path: "/a|/c" }));
  const req = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
  const r = await rawExchange(p.port, [req("/a") + req("/b") + req("/c") + "GET /d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"], {
    waitMs: 3000,
  });
  const statuses = [...r.data.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => m[1]);
  assert.deepEqual(statuses, ["200", "403", "200", "403"]);
  assert.ok(r.closed);
  const old = await rawExchange(p.port, ["GET /a HTTP/1.0\r\n\r\n"], { waitMs: 3000 });
  assert.match(old.data, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(old.data, /connection: close\r\n/);
  assert.ok(old.closed);
});

test("flow records: REQUEST and RESPONSE per request, with verdict, code, url and context", async () => {
  const p = await proxyFor(httpRule({ path: "/ok(\\?.*)?" }));
  await curl(["--http1.1", `http://127.0.0.1:${p.port}/ok?q=1`]);
  await curl(["--http1.1", `http://127.0.0.1:${p.port}/no`]);
  const summary = p.flows.map((f) => [
    f.type,
    f.verdict,
    f.http.method,
    f.http.url.replace(/:\d+/, ":P"),
    f.type === "RESPONSE" ? f.http.code : null,
  ]);
  assert.deepEqual(summary, [
    ["REQUEST", "FORWARDED", "GET", "http://127.0.0.1:P/ok?q=1", null],
    ["RESPONSE", "FORWARDED", "GET", "http://127.0.0.1:P/ok?q=1", 200],
    ["REQUEST", "DROPPED", "GET", "http://127.0.0.1:P/no", null],
    ["RESPONSE", "DROPPED", "GET", "http://127.0.0.1:P/no", 403],
  ]);
  for (const f of p.flows) {
    assert.deepEqual(f.connection, TEST_CONTEXT);
    assert.equal(f.http.protocol, "HTTP/1.1");
    if (f.type === "RESPONSE") assert.ok(f.latencyNs >= 0n);
  }
});

test("audit mode: a request the rules deny is forwarded and recorded AUDIT; the response is the upstream's", async () => {
  const p = await startProxy(httpPolicy(httpRule({ method: "GET", path: "/public" })), upstream.port, {}, true);
  try {
    let r!: Awaited<ReturnType<typeof curl>>;
    assert.equal(
      await hitsDuring(async () => {
        r = await curl(["--http1.1", "-X", "DELETE", `http://127.0.0.1:${p.port}/public`]);
      }),
      1,
    );
    assert.equal(r.status, 200);
    assert.deepEqual(
      p.flows.map((f) => [f.type, f.verdict]),
      [
        ["REQUEST", "AUDIT"],
        ["RESPONSE", "FORWARDED"],
      ],
    );
  } finally {
    await p.close();
  }
});

test("a gRPC request denied over HTTP/1.1 gets the trailers-only PERMISSION_DENIED reply", async () => {
  const p = await proxyFor(httpRule({ path: "/ok" }));
  const r = await curl([
    "--http1.1",
    "-H",
    "content-type: application/grpc",
    "--data-binary",
    "x",
    `http://127.0.0.1:${p.port}/pkg.Svc/Call`,
  ]);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("grpc-status"), "7");
  assert.equal(r.headers.get("grpc-message"), "Access denied%0D%0A");
});

test("an unreachable upstream gives 503, as Envoy reports a connection failure", async () => {
  const closed = await startHttp1Upstream();
  const port = closed.port;
  await closed.close();
  const p = await startProxy({ kind: "allow-all", parser: "http", why: "test" }, port);
  proxies.push(p);
  const r = await curl(["--http1.1", `http://127.0.0.1:${p.port}/`]);
  assert.equal(r.status, 503);
  assert.match(r.body, /^upstream connect error or disconnect\/reset before headers/);
});
