import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { L7Policy } from "@membrane/engine";
import { decideKafka } from "./decide.ts";
import { KafkaProxy } from "./proxy-server.ts";
import { decodeResponse } from "./response.ts";
import { structsOf } from "./schema.ts";
import { RawUpstream, rawExchange, response, responsesOf, until } from "./test-support/raw.ts";
import { apiVersions, describeGroups, fetch, metadata, produce } from "./test-support/requests.ts";
import { ALLOW_ALL, KAFKA_CONTEXT, kafkaPolicy, startProxy, type TestKafkaProxy } from "./test-support/stack.ts";

/*
 * The proxy at the byte level: ordering of forwarded and local responses, acks = 0, connections
 * the proxy must end, bounds, upstream misbehaviour, policy sources, and flow records.
 */

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function setup(
  policy: L7Policy | { policyFor: () => L7Policy; auditedFor?: () => boolean },
  upstreamOptions = {},
  limits = {},
): Promise<{ up: RawUpstream; px: TestKafkaProxy }> {
  const up = await RawUpstream.start(upstreamOptions);
  const px = await startProxy(policy, up.port, limits);
  cleanups.push(
    () => px.close(),
    () => up.close(),
  );
  return { up, px };
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

test("pipelined requests: denied ones are answered by the proxy in order, behind slower forwarded ones", async () => {
  const { up, px } = await setup(kafkaPolicy({ role: "produce", topic: "payments" }), { delayMs: 40 });
  const reqs = [
    metadata(1, ["payments"]),
    metadata(2, ["orders"]),
    apiVersions(3),
    produce(4, "orders"),
    produce(5, "payments"),
    metadata(6, ["payments", "orders"]),
  ];
  const r = await rawExchange(px.port, [Buffer.concat(reqs)]);
  const got = responsesOf(r.data);
  assert.deepEqual(
    got.map((x) => x.correlationId),
    [1, 2, 3, 4, 5, 6],
  );
  assert.ok(r.closed, "the proxy ends the connection after the last response to a half-closed client");
  // Only the allowed requests reached the upstream, byte for byte.
  assert.deepEqual(
    up.allFrames.map((f) => Buffer.from(f).toString("hex")),
    [reqs[0]!, reqs[2]!, reqs[4]!].map((f) => Buffer.from(f).toString("hex")),
  );
  const orders = decodeResponse(got[1]!.message, 3, 6);
  assert.ok(orders.ok);
  assert.deepEqual(
    structsOf(orders.value.body, "Topics")!.map((t) => [t["Name"], t["ErrorCode"]]),
    [["orders", 29]],
  );
  const produceDenied = decodeResponse(got[3]!.message, 0, 7);
  assert.ok(produceDenied.ok);
  assert.equal(structsOf(structsOf(produceDenied.value.body, "Responses")![0]!, "PartitionResponses")![0]!["ErrorCode"], 29);
  const both = decodeResponse(got[5]!.message, 3, 6);
  assert.ok(both.ok);
  assert.deepEqual(
    structsOf(both.value.body, "Topics")!.map((t) => [t["Name"], t["ErrorCode"]]),
    [
      ["payments", 29],
      ["orders", 29],
    ],
    "one refused topic refuses the whole request",
  );
  assert.deepEqual(
    px.flows.map(
      (f) => `${f.type} ${f.verdict} ${f.kafka.apiKey} ${f.kafka.correlationId} ${f.kafka.topics.join(",")} ${f.kafka.errorCode ?? "-"}`,
    ),
    [
      "REQUEST FORWARDED metadata 1 payments -",
      "REQUEST DROPPED metadata 2 orders 29",
      "REQUEST FORWARDED apiversions 3  -",
      "REQUEST DROPPED produce 4 orders 29",
      "REQUEST FORWARDED produce 5 payments -",
      "REQUEST DROPPED metadata 6 payments,orders 29",
      "RESPONSE FORWARDED metadata 1 payments -",
      "RESPONSE DROPPED metadata 2 orders 29",
      "RESPONSE FORWARDED apiversions 3  -",
      "RESPONSE DROPPED produce 4 orders 29",
      "RESPONSE FORWARDED produce 5 payments -",
      "RESPONSE DROPPED metadata 6 payments,orders 29",
    ],
  );
  const first = px.flows.find((f) => f.type === "RESPONSE" && f.kafka.correlationId === 1);
  assert.ok(first?.type === "RESPONSE" && first.latencyNs >= 30_000_000n, "latency covers the upstream's delay");
  for (const f of px.flows) {
    assert.deepEqual(f.connection, KAFKA_CONTEXT);
    assert.ok(f.time instanceof Date);
    assert.equal(f.kafka.apiVersion, f.kafka.apiKey === "apiversions" ? 2 : f.kafka.apiKey === "produce" ? 7 : 6);
  }
});

test("Produce with acks = 0: no response is waited for, forwarded or denied", async () => {
  const { up, px } = await setup(kafkaPolicy({ role: "produce", topic: "payments" }));
  const r = await rawExchange(px.port, [Buffer.concat([produce(1, "payments", 0), produce(2, "orders", 0), apiVersions(3)])]);
  assert.deepEqual(
    responsesOf(r.data).map((x) => x.correlationId),
    [3],
  );
  assert.equal(up.allFrames.length, 2, "the allowed acks=0 Produce and ApiVersions");
  assert.ok(same(up.allFrames[0]!, produce(1, "payments", 0)));
  assert.deepEqual(
    px.flows.map((f) => `${f.type} ${f.verdict} ${f.kafka.correlationId}`),
    ["REQUEST FORWARDED 1", "REQUEST DROPPED 2", "REQUEST FORWARDED 3", "RESPONSE FORWARDED 3"],
  );
});

test("a denied request the proxy cannot answer ends the connection after the responses before it", async () => {
  const { up, px } = await setup(kafkaPolicy({ role: "produce", topic: "payments" }), { delayMs: 20 });
  const r = await rawExchange(px.port, [
    Buffer.concat([metadata(1, ["payments"]), metadata(2, ["orders"]), describeGroups(3), apiVersions(4)]),
  ]);
  assert.ok(r.closed);
  assert.deepEqual(
    responsesOf(r.data).map((x) => x.correlationId),
    [1, 2],
  );
  assert.equal(up.allFrames.length, 1, "nothing after the unanswerable request is forwarded");
  assert.match(px.errors.join("\n"), /cannot answer a denied describegroups v0 request/);
});

test("allow-all forwards APIs the proxy does not read, and relays their responses", async () => {
  const { up, px } = await setup(ALLOW_ALL, { body: () => Uint8Array.of(0, 0, 0, 0) });
  const r = await rawExchange(px.port, [describeGroups(9)]);
  assert.deepEqual(
    responsesOf(r.data).map((x) => [x.correlationId, x.message.length]),
    [[9, 8]],
  );
  assert.equal(up.allFrames.length, 1);
  assert.equal(px.flows[0]?.kafka.apiKey, "describegroups");
});

test("a kafka rule without a topic allows what the proxy does not read; one with a topic does not", async () => {
  const { up, px } = await setup(kafkaPolicy({ apiKey: "describegroups" }, { apiKey: "fetch", topic: "payments" }));
  const r = await rawExchange(px.port, [Buffer.concat([describeGroups(1), fetch(2, "payments"), fetch(3, "orders")])]);
  assert.deepEqual(
    responsesOf(r.data).map((x) => x.correlationId),
    [1, 2, 3],
  );
  assert.equal(up.allFrames.length, 2);
});

test("audit mode: a request the rules deny is forwarded and recorded AUDIT, its response relayed", async () => {
  const { up, px } = await setup({ policyFor: () => kafkaPolicy({ role: "produce", topic: "payments" }), auditedFor: () => true });
  const r = await rawExchange(px.port, [Buffer.concat([produce(1, "payments"), fetch(2, "orders")])]);
  assert.deepEqual(
    responsesOf(r.data).map((x) => x.correlationId),
    [1, 2],
  );
  assert.equal(up.allFrames.length, 2, "both reached the broker");
  assert.deepEqual(
    px.flows.filter((f) => f.type === "REQUEST").map((f) => [f.kafka.apiKey, f.kafka.topic, f.verdict]),
    [
      ["produce", "payments", "FORWARDED"],
      ["fetch", "orders", "AUDIT"],
    ],
  );
});

test("in-flight bound: at most maxInFlight requests await the upstream; reading resumes as responses come", async () => {
  const { up, px } = await setup(ALLOW_ALL, { mode: "manual" }, { maxInFlight: 2 });
  const pending = rawExchange(px.port, [Buffer.concat([1, 2, 3, 4, 5].map((c) => apiVersions(c)))], { waitMs: 3000 });
  await wait(100);
  assert.equal(up.allFrames.length, 2);
  const conn = up.connections[0]!;
  conn.socket.write(response(1));
  await wait(50);
  assert.equal(up.allFrames.length, 3);
  for (const c of [2, 3, 4, 5]) {
    await until(() => up.allFrames.length >= Math.min(c + 1, 5));
    conn.socket.write(response(c));
  }
  const r = await pending;
  assert.deepEqual(
    responsesOf(r.data).map((x) => x.correlationId),
    [1, 2, 3, 4, 5],
  );
});

test("an upstream response out of order ends the connection", async () => {
  const { up, px } = await setup(ALLOW_ALL, { mode: "manual" });
  const pending = rawExchange(px.port, [Buffer.concat([apiVersions(1), apiVersions(2)])]);
  await until(() => up.allFrames.length >= 2);
  up.connections[0]!.socket.write(response(2));
  const r = await pending;
  assert.ok(r.closed);
  assert.equal(r.data.length, 0, "no byte of the unexpected response reaches the client");
  assert.match(px.errors.join("\n"), /correlation id 2, expected 1/);
});

test("an upstream response with an impossible size ends the connection", async () => {
  const { up, px } = await setup(ALLOW_ALL, { mode: "manual" });
  const pending = rawExchange(px.port, [apiVersions(1)]);
  await until(() => up.allFrames.length >= 1);
  up.connections[0]!.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1]));
  const r = await pending;
  assert.ok(r.closed);
  assert.equal(r.data.length, 0);
});

test("an unreachable upstream ends the client connection", async () => {
  const up = await RawUpstream.start();
  const port = up.port;
  await up.close();
  const px = await startProxy(ALLOW_ALL, port);
  cleanups.push(() => px.close());
  const r = await rawExchange(px.port, [apiVersions(1)], { end: false });
  assert.ok(r.closed);
  assert.match(px.errors.join("\n"), /upstream 127\.0\.0\.1/);
});

test("the upstream is not contacted until a request is allowed", async () => {
  const { up, px } = await setup(kafkaPolicy({ role: "produce", topic: "payments" }));
  const r = await rawExchange(px.port, [Buffer.concat([metadata(1, ["orders"]), metadata(2, null)])]);
  assert.deepEqual(
    responsesOf(r.data).map((x) => x.correlationId),
    [1, 2],
  );
  assert.equal(up.connections.length, 0);
});

test("the policy is asked per request: a change applies to an open connection", async () => {
  let policy: L7Policy = ALLOW_ALL;
  const { up, px } = await setup({ policyFor: () => policy });
  const first = rawExchange(px.port, [metadata(1, ["a"])], { end: false, waitMs: 300 });
  await until(() => up.allFrames.length >= 1);
  policy = { kind: "http", rules: [] };
  await first;
  const r = await rawExchange(px.port, [metadata(2, ["a"])]);
  assert.equal(up.allFrames.length, 1);
  const d = decodeResponse(responsesOf(r.data)[0]!.message, 3, 6);
  assert.ok(d.ok);
  assert.equal(structsOf(d.value.body, "Topics")![0]!["ErrorCode"], 29);
});

test("a policy source that throws denies", async () => {
  const { up, px } = await setup({
    policyFor: () => {
      throw new Error("boom");
    },
  });
  const r = await rawExchange(px.port, [apiVersions(1)]);
  assert.deepEqual(
    responsesOf(r.data).map((x) => x.correlationId),
    [1],
  );
  assert.equal(up.connections.length, 0);
  assert.equal(px.flows[0]?.verdict, "DROPPED");
});

test("decideKafka: allow-all allows, kafka applies its rules, every other kind denies", () => {
  const req = { apiKey: 0, apiVersion: 7, clientID: "c", topics: ["payments"] };
  assert.equal(decideKafka(ALLOW_ALL, req).kind, "allow");
  assert.equal(decideKafka({ kind: "allow-all", parser: "http", why: "l3 rule" }, req).kind, "allow");
  assert.equal(decideKafka(kafkaPolicy({ role: "produce", topic: "payments" }), req).kind, "allow");
  assert.equal(decideKafka(kafkaPolicy({ role: "produce", topic: "orders" }), req).kind, "deny");
  assert.equal(decideKafka(kafkaPolicy(), req).kind, "deny", "no rules: nothing is allowed");
  const others: L7Policy[] = [
    { kind: "not-redirected" },
    { kind: "http", rules: [] },
    { kind: "dns", rules: [] },
    { kind: "l7proto", l7proto: "x", rules: [] },
    { kind: "tls", serverNames: [] },
    { kind: "conflict", message: "m" },
  ];
  for (const p of others) assert.equal(decideKafka(p, req).kind, "deny", p.kind);
});

test("a frame over maxFrameBytes ends the connection before any upstream contact", async () => {
  const { up, px } = await setup(ALLOW_ALL, {}, { maxFrameBytes: 64 });
  const big = produce(1, "payments", -1, new Uint8Array(100));
  const r = await rawExchange(px.port, [big.subarray(0, 10)], { end: false });
  assert.ok(r.closed);
  assert.equal(up.connections.length, 0);
  assert.match(px.errors.join("\n"), /exceeds the limit of 64/);
});

test("a frame that does not arrive in frameTimeoutMs ends the connection", async () => {
  const { up, px } = await setup(ALLOW_ALL, {}, { frameTimeoutMs: 100 });
  const started = Date.now();
  const r = await rawExchange(px.port, [apiVersions(1).subarray(0, 6)], { end: false, waitMs: 2000 });
  assert.ok(r.closed);
  assert.ok(Date.now() - started < 1500);
  assert.equal(up.connections.length, 0);
});

test("an idle connection is closed after idleTimeoutMs, not while a response is awaited", async () => {
  const { up, px } = await setup(ALLOW_ALL, { mode: "manual" }, { idleTimeoutMs: 100 });
  const idle = await rawExchange(px.port, [], { end: false, waitMs: 2000 });
  assert.ok(idle.closed);
  const pending = rawExchange(px.port, [apiVersions(1)], { end: false, waitMs: 400 });
  await until(() => up.allFrames.length >= 1);
  await wait(250);
  up.connections[0]!.socket.write(response(1));
  const r = await pending;
  assert.deepEqual(
    responsesOf(r.data).map((x) => x.correlationId),
    [1],
  );
});

test("large requests and responses pass intact", async () => {
  const records = Uint8Array.from({ length: 3 << 20 }, (_, i) => (i * 7) & 0xff);
  const body = Uint8Array.from({ length: 2 << 20 }, (_, i) => (i * 13) & 0xff);
  const { up, px } = await setup(ALLOW_ALL, { body: () => body });
  const req = produce(1, "payments", -1, records);
  const r = await rawExchange(px.port, [req.subarray(0, 1000), req.subarray(1000)], { waitMs: 5000 });
  assert.ok(same(up.allFrames[0]!, req));
  const got = responsesOf(r.data);
  assert.equal(got.length, 1);
  assert.ok(same(got[0]!.message.subarray(4), body));
});

test("a route resolver that finds no route closes the connection unserved; close() ends every connection", async () => {
  const up = await RawUpstream.start({ mode: "manual" });
  cleanups.push(() => up.close());
  let calls = 0;
  const proxy = new KafkaProxy({
    policy: { policyFor: () => ALLOW_ALL },
    route: () => (++calls === 1 ? null : { context: KAFKA_CONTEXT, upstream: { host: "127.0.0.1", port: up.port } }),
  });
  const bound = await proxy.listen("127.0.0.1", 0);
  assert.ok(bound.ok);
  assert.deepEqual(proxy.address, bound.value);
  const refused = await rawExchange(bound.value.port, [apiVersions(1)], { end: false });
  assert.ok(refused.closed);
  assert.equal(up.connections.length, 0);
  const open = rawExchange(bound.value.port, [apiVersions(2)], { end: false, waitMs: 2000 });
  await until(() => up.allFrames.length >= 1);
  assert.equal(proxy.connections, 1);
  await proxy.close();
  assert.ok((await open).closed);
  await up.connections[0]!.closed;
  assert.equal(proxy.connections, 0);
  const again = new KafkaProxy({ policy: { policyFor: () => ALLOW_ALL }, route: () => null });
  const clash = await again.listen("127.0.0.1", up.port);
  assert.ok(!clash.ok && /cannot listen/.test(clash.error));
  await again.close();
});
