import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { H2CClient } from "undici";
import { curl } from "../test-support/clients.ts";
import { greeterService, grpcClient, serverStream, startGreeter, unary, type TestGrpcServer } from "../test-support/grpc.ts";
import { startProxy, type TestProxy } from "../test-support/proxy.ts";
import { headerMatch, httpPolicy, httpRule } from "../test-support/rules.ts";
import { startHttp2Upstream, type TestUpstream } from "../test-support/upstreams.ts";

let h2: TestUpstream;
let greeter: TestGrpcServer;
const proxies: TestProxy[] = [];

before(async () => {
  h2 = await startHttp2Upstream();
  greeter = await startGreeter();
});

after(async () => {
  for (const p of proxies) await p.close();
  await h2.close();
  await greeter.close();
});

async function proxyTo(port: number, ...rules: Parameters<typeof httpPolicy>): Promise<TestProxy> {
  const p = await startProxy(httpPolicy(...rules), port);
  proxies.push(p);
  return p;
}

test("curl --http2-prior-knowledge: allowed requests reach the h2c upstream (trailers too), denied ones get 403", async () => {
  const p = await proxyTo(h2.port, httpRule({ method: "GET", path: "/public" }));
  const url = `http://127.0.0.1:${p.port}`;
  const before = h2.hits.length;
  const ok = await curl(["--http2-prior-knowledge", `${url}/public`]);
  assert.equal(ok.version, "2");
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("x-upstream"), "h2");
  // curl -i prints HTTP/2 trailers right after the body.
  const trailer = "x-trailer: done\r\n";
  assert.ok(ok.body.endsWith(trailer), ok.body);
  assert.equal((JSON.parse(ok.body.slice(0, -trailer.length)) as { url: string }).url, "/public");
  assert.equal(h2.hits.length, before + 1);

  const denied = await curl(["--http2-prior-knowledge", `${url}/public?x=1`]);
  assert.equal(denied.status, 403);
  assert.equal(denied.body, "Access denied\r\n");
  assert.equal(denied.headers.get("content-type"), "text/plain");
  const post = await curl(["--http2-prior-knowledge", "-d", "body", `${url}/public`]);
  assert.equal(post.status, 403);
  assert.equal(h2.hits.length, before + 1);
});

test("undici H2CClient: bodies, header actions and many streams on one session", async () => {
  const p = await proxyTo(
    h2.port,
    httpRule({
      method: "POST",
      path: "/echo",
      headerMatches: [headerMatch("X-Added", "1", "ADD"), headerMatch("X-Drop", "keep", "DELETE")],
    }),
  );
  const c = new H2CClient(`http://127.0.0.1:${p.port}`, { pipelining: 10 });
  try {
    const results = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const r = await c.request({ method: "POST", path: i % 3 === 0 ? "/nope" : "/echo", body: `body-${i}`, headers: { "x-drop": "x" } });
        return { status: r.statusCode, body: await r.body.text(), i };
      }),
    );
    for (const r of results) {
      if (r.i % 3 === 0) {
        assert.equal(r.status, 403);
        assert.equal(r.body, "Access denied\r\n");
      } else {
        assert.equal(r.status, 200);
        const echo = JSON.parse(r.body) as { body: string; headers: Record<string, string> };
        assert.equal(echo.body, `body-${r.i}`);
        assert.equal(echo.headers["x-added"], "1");
        assert.equal(echo.headers["x-drop"], undefined);
      }
    }
    const flows = p.flows.filter((f) => f.type === "REQUEST");
    assert.equal(flows.length, 10);
    assert.ok(flows.every((f) => f.http.protocol === "HTTP/2"));
  } finally {
    await c.close();
  }
});

test("gRPC: an allowed method works, a denied one fails with PERMISSION_DENIED and never reaches the server", async () => {
  const service = greeterService();
  const p = await proxyTo(greeter.port, httpRule({ method: "POST", path: "/membrane\\.test\\.Greeter/(SayHello|Count)" }));
  const client = grpcClient(p.port);
  try {
    const hello = await unary(client, service.SayHello, { name: "tie" });
    assert.deepEqual(hello, { ok: true, reply: { message: "hello tie" } });

    const before = greeter.calls.length;
    const bye = await unary(client, service.SayGoodbye, { name: "x" });
    assert.equal(bye.ok, false);
    assert.equal(bye.ok ? -1 : bye.code, status.PERMISSION_DENIED);
    assert.match(bye.ok ? "" : bye.details, /Access denied/);
    assert.equal(greeter.calls.length, before);

    const counted = await serverStream(client, service.Count, { upTo: 5 });
    assert.equal(counted.code, status.OK);
    assert.deepEqual(
      counted.messages.map((m) => m["n"]),
      [1, 2, 3, 4, 5],
    );

    const parallel = await Promise.all(
      Array.from({ length: 20 }, (_, i) => unary(client, i % 2 === 0 ? service.SayHello : service.SayGoodbye, { name: String(i) })),
    );
    assert.equal(parallel.filter((r) => r.ok).length, 10);
    assert.ok(parallel.every((r) => r.ok || r.code === status.PERMISSION_DENIED));

    const responses = p.flows.filter((f) => f.type === "RESPONSE" && f.verdict === "DROPPED");
    assert.ok(responses.length >= 11);
    assert.ok(responses.every((f) => f.type === "RESPONSE" && f.http.code === 403));
  } finally {
    client.close();
  }
});

test("gRPC through an allow-all policy: every method passes", async () => {
  const service = greeterService();
  const p = await startProxy({ kind: "allow-all", parser: "http", why: "test" }, greeter.port);
  proxies.push(p);
  const client = grpcClient(p.port);
  try {
    assert.deepEqual(await unary(client, service.SayGoodbye, { name: "y" }), { ok: true, reply: { message: "bye y" } });
  } finally {
    client.close();
  }
});

test("gRPC with a conflicting policy: everything is denied", async () => {
  const service = greeterService();
  const p = await startProxy({ kind: "conflict", message: "test" }, greeter.port);
  proxies.push(p);
  const client = grpcClient(p.port);
  try {
    const r = await unary(client, service.SayHello, { name: "z" });
    assert.equal(r.ok ? -1 : r.code, status.PERMISSION_DENIED);
  } finally {
    client.close();
  }
});
