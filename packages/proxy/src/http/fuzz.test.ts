import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { rawExchange } from "../test-support/clients.ts";
import { startProxy, type TestProxy } from "../test-support/proxy.ts";
import { startHttp1Upstream, type TestUpstream, type UpstreamHit } from "../test-support/upstreams.ts";

/*
 * Byte garbage and mutated requests against a proxy that allows everything. Two properties:
 * the proxy never crashes (a valid request still works after every input), and whatever it
 * forwards, Node's own strict parser (llhttp, fed the same bytes directly) reads the same way —
 * the same requests in the same order with the same bodies. A disagreement is what request
 * smuggling is made of.
 */

let upstream: TestUpstream;
let oracle: TestUpstream;
let proxy: TestProxy;

before(async () => {
  upstream = await startHttp1Upstream();
  oracle = await startHttp1Upstream();
  proxy = await startProxy({ kind: "allow-all", parser: "http", why: "fuzz" }, upstream.port, {
    headersTimeoutMs: 500,
    idleTimeoutMs: 500,
  });
});

after(async () => {
  await proxy.close();
  await upstream.close();
  await oracle.close();
});

const TEMPLATES = [
  "GET /a?b=c HTTP/1.1\r\nHost: h\r\n\r\n",
  "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
  "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n",
  "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n",
  "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /y HTTP/1.1\r\nHost: h\r\n\r\n",
  "GET http://h/abs HTTP/1.1\r\nHost: h\r\n\r\n",
  "GET / HTTP/1.0\r\n\r\n",
];

const NASTY = [
  "Transfer-Encoding: chunked\r\n",
  "Content-Length: 0\r\n",
  "Content-Length: 3\r\n",
  "Content-Length: 3, 3\r\n",
  "Transfer-Encoding: identity\r\n",
  "Transfer-Encoding: chunked, chunked\r\n",
  " folded\r\n",
  "Host: other\r\n",
  "Connection: close\r\n",
  "Expect: 100-continue\r\n",
  "\r\n",
  "0\r\n\r\n",
];

const BYTES = [" ", "\t", "\r", "\n", "\0", ":", ",", ";", "0", "a", "/", "\x7f", "\xff", "\x0b"];

type Mutation = { pos: number; op: "delete" } | { pos: number; op: "insert" | "replace"; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ pos: fc.nat(), op: fc.constant("delete" as const) }),
  fc.record({ pos: fc.nat(), op: fc.constantFrom("insert" as const, "replace" as const), text: fc.constantFrom(...BYTES) }),
  fc.record({ pos: fc.nat(), op: fc.constant("insert" as const), text: fc.constantFrom(...NASTY) }),
);

function mutate(text: string, ms: readonly Mutation[]): string {
  let s = text;
  for (const m of ms) {
    const at = m.pos % (s.length + 1);
    if (m.op === "delete") s = s.slice(0, at) + s.slice(at + 1);
    else if (m.op === "insert") s = s.slice(0, at) + m.text + s.slice(at);
    else s = s.slice(0, at) + m.text + s.slice(at + 1);
  }
  return s;
}

const input: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString("latin1")) },
  {
    weight: 4,
    arbitrary: fc.tuple(fc.constantFrom(...TEMPLATES), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([t, ms]) => mutate(t, ms)),
  },
);

/** What a request looked like to its receiver, comparable across the proxy and the oracle. */
function shape(h: UpstreamHit): string {
  const url = h.url.replace(/^http:\/\/[^/]*/i, "") || "/";
  return `${h.method} ${url} ${JSON.stringify(h.body)}`;
}

test("garbage never crashes the proxy, and what it forwards the strict reference parser reads alike", async () => {
  let forwarded = 0;
  await fc.assert(
    fc.asyncProperty(input, async (text) => {
      const bytes = Buffer.from(text, "latin1");
      const p0 = upstream.hits.length;
      const o0 = oracle.hits.length;
      await rawExchange(proxy.port, [bytes], { end: true, waitMs: 1500 });
      await rawExchange(oracle.port, [bytes], { end: true, waitMs: 1500 });
      await new Promise((resolve) => setTimeout(resolve, 10));
      const viaProxy = upstream.hits.slice(p0).filter((h) => h.complete);
      const direct = oracle.hits.slice(o0).filter((h) => h.complete);
      forwarded += viaProxy.length;
      assert.ok(
        viaProxy.length <= direct.length,
        `forwarded ${viaProxy.length} requests, the reference parser read ${direct.length}: ${JSON.stringify(text)}`,
      );
      assert.deepEqual(viaProxy.map(shape), direct.slice(0, viaProxy.length).map(shape), JSON.stringify(text));
    }),
    { numRuns: Number(process.env["FUZZ_RUNS"] ?? 120), seed: Number(process.env["FUZZ_SEED"] ?? 20240611) },
  );
  // The inputs must exercise forwarding, not only refusals.
  assert.ok(forwarded > 10, `only ${forwarded} inputs were forwarded`);
  const ok = await rawExchange(proxy.port, ["GET /still-alive HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"], { waitMs: 2000 });
  assert.match(ok.data, /^HTTP\/1\.1 200 OK/);
});
