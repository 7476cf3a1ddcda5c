import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Consumer, Producer } from "kafkajs";
import { API_KEY } from "./messages.ts";
import { decodeResponse } from "./response.ts";
import { structsOf } from "./schema.ts";
import { rawExchange, responsesOf } from "./test-support/raw.ts";
import { metadata } from "./test-support/requests.ts";
import { TestBroker } from "./test-support/broker.ts";
import { ALLOW_ALL, KAFKA_CONTEXT, kafkaPolicy, startStack, type KafkaStack } from "./test-support/stack.ts";

/*
 * Real clients: kafkajs 2.2.4 producers and consumers talk to the test broker through the proxy
 * (the broker advertises the proxy's address, so every connection kafkajs opens goes through it).
 */

const AUTH_FAILED = "TOPIC_AUTHORIZATION_FAILED";

/** The Kafka error type of what kafkajs threw: its own `type`, or one its message or cause names. */
function errorType(e: unknown): string {
  let x: unknown = e;
  for (let depth = 0; depth < 5 && typeof x === "object" && x !== null; depth++) {
    const o = x as { type?: unknown; cause?: unknown; message?: unknown };
    if (typeof o.type === "string") return o.type;
    // kafkajs wraps non-retriable errors and keeps only the message of code 29.
    if (typeof o.message === "string" && o.message.includes("Topic authorization failed")) return AUTH_FAILED;
    x = o.cause;
  }
  return `unknown: ${String(e)}`;
}

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return assert.fail("expected the operation to fail");
}

/** Consumes `count` messages of `topic` with a fresh group; the values, or the consumer's crash. */
async function consume(stack: KafkaStack, topic: string, count: number, groupId: string): Promise<string[]> {
  const consumer = stack
    .client()
    .consumer({ groupId, maxWaitTimeInMs: 50, sessionTimeout: 6000, heartbeatInterval: 500, retry: { retries: 0 } });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    return await runUntil(consumer, count);
  } finally {
    await consumer.disconnect();
  }
}

function runUntil(consumer: Consumer, count: number): Promise<string[]> {
  const got: string[] = [];
  return new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out with ${got.length} of ${count} messages`)), 5000);
    consumer.on(consumer.events.CRASH, (e) => {
      clearTimeout(timer);
      reject(e.payload.error);
    });
    consumer
      .run({
        eachMessage: async ({ message }) => {
          got.push(String(message.value));
          if (got.length === count) {
            clearTimeout(timer);
            resolve(got);
          }
        },
      })
      .catch(reject);
  });
}

async function withProducer<T>(stack: KafkaStack, fn: (p: Producer) => Promise<T>, clientId?: string): Promise<T> {
  const producer = stack.client(clientId).producer();
  try {
    await producer.connect();
    return await fn(producer);
  } finally {
    await producer.disconnect();
  }
}

let stack: KafkaStack;

before(async () => {
  stack = await startStack(ALLOW_ALL);
});

after(async () => {
  await stack.close();
});

test("allow-all: a producer and a consumer group work through the proxy", async () => {
  stack.setPolicy(ALLOW_ALL);
  const sent = await withProducer(stack, (p) => p.send({ topic: "all-a", messages: [{ value: "1" }, { value: "2" }, { value: "3" }] }));
  assert.equal(sent[0]?.errorCode, 0);
  assert.equal(stack.broker.recordCount("all-a"), 3);
  assert.deepEqual(await consume(stack, "all-a", 3, "all-group"), ["1", "2", "3"]);
  assert.ok(stack.flows.length > 0);
  assert.ok(stack.flows.every((f) => f.verdict === "FORWARDED"));
  for (const f of stack.flows) assert.deepEqual(f.connection, KAFKA_CONTEXT);
  // Every request kafkajs sent through the proxy reached the broker.
  const forwardedRequests = stack.flows.filter((f) => f.type === "REQUEST").length;
  assert.equal(stack.broker.hits.length, forwardedRequests);
});

test("role produce, topic payments: payments is produced; orders fails with TOPIC_AUTHORIZATION_FAILED and never reaches the broker", async () => {
  stack.setPolicy(kafkaPolicy({ role: "produce", topic: "payments" }));
  const flowsBefore = stack.flows.length;
  await withProducer(stack, async (p) => {
    await p.send({ topic: "payments", messages: [{ value: "p1" }] });
    assert.equal(stack.broker.recordCount("payments"), 1);
    const e = await rejects(p.send({ topic: "orders", messages: [{ value: "o1" }] }));
    assert.equal(errorType(e), AUTH_FAILED);
    // kafkajs forgets the refused topic, so payments keeps working on the same connection.
    await p.send({ topic: "payments", messages: [{ value: "p2" }] });
  });
  assert.equal(stack.broker.recordCount("payments"), 2);
  assert.equal(stack.broker.recordCount("orders"), 0);
  assert.ok(
    stack.broker.hits.every((h) => !h.topics.includes("orders")),
    "nothing about orders reached the broker",
  );
  const dropped = stack.flows.slice(flowsBefore).filter((f) => f.verdict === "DROPPED");
  assert.deepEqual(
    dropped.map((f) => [f.type, f.kafka.apiKey, [...f.kafka.topics].sort(), f.kafka.errorCode]),
    [
      ["REQUEST", "metadata", ["orders", "payments"], 29],
      ["RESPONSE", "metadata", ["orders", "payments"], 29],
    ],
  );
});

test("a Produce to a refused topic is answered by the proxy with TOPIC_AUTHORIZATION_FAILED", async () => {
  // Metadata for any topic is allowed, so kafkajs gets as far as the Produce itself.
  stack.setPolicy(kafkaPolicy({ apiKey: "apiversions" }, { apiKey: "metadata" }, { apiKey: "produce", topic: "payments" }));
  const producesBefore = stack.broker.hitsOf(API_KEY.Produce).length;
  await withProducer(stack, async (p) => {
    const e = await rejects(p.send({ topic: "orders-2", messages: [{ value: "o" }] }));
    assert.equal(errorType(e), AUTH_FAILED);
  });
  assert.ok(
    stack.broker.hitsOf(API_KEY.Metadata).some((h) => h.topics.includes("orders-2")),
    "Metadata for orders-2 was allowed",
  );
  assert.equal(stack.broker.hitsOf(API_KEY.Produce).length, producesBefore, "the broker never saw the Produce");
  assert.equal(stack.broker.recordCount("orders-2"), 0);
  const last = stack.flows.filter((f) => f.kafka.apiKey === "produce").slice(-2);
  assert.deepEqual(
    last.map((f) => [f.type, f.verdict, f.kafka.apiVersion, f.kafka.topic, f.kafka.errorCode]),
    [
      ["REQUEST", "DROPPED", 7, "orders-2", 29],
      ["RESPONSE", "DROPPED", 7, "orders-2", 29],
    ],
  );
});

test("role consume, topic payments: the consumer receives what was produced, and is refused orders", async () => {
  stack.setPolicy(kafkaPolicy({ role: "produce", topic: "payments-c" }));
  await withProducer(stack, (p) => p.send({ topic: "payments-c", messages: [{ value: "a" }, { value: "b" }] }));
  stack.setPolicy(kafkaPolicy({ role: "consume", topic: "payments-c" }));
  assert.deepEqual(await consume(stack, "payments-c", 2, "consume-group"), ["a", "b"]);
  const e = await rejects(consume(stack, "orders", 1, "consume-group-2"));
  assert.equal(errorType(e), AUTH_FAILED);
  // The consumer cannot produce either.
  const produce = await rejects(withProducer(stack, (p) => p.send({ topic: "payments-c", messages: [{ value: "c" }] })));
  assert.ok(errorType(produce) !== "", String(produce));
  assert.equal(stack.broker.recordCount("payments-c"), 2);
});

test("a Fetch of a refused topic is answered by the proxy; kafkajs's consumer crashes with TOPIC_AUTHORIZATION_FAILED", async () => {
  stack.setPolicy(ALLOW_ALL);
  await withProducer(stack, (p) => p.send({ topic: "orders-f", messages: [{ value: "secret" }] }));
  const groupKeys = [
    "apiversions",
    "metadata",
    "findcoordinator",
    "joingroup",
    "syncgroup",
    "heartbeat",
    "leavegroup",
    "offsetfetch",
    "offsetcommit",
    "offsets",
  ];
  stack.setPolicy(kafkaPolicy(...groupKeys.map((apiKey) => ({ apiKey })), { apiKey: "fetch", topic: "payments" }));
  const fetchesBefore = stack.broker.hitsOf(API_KEY.Fetch).length;
  const e = await rejects(consume(stack, "orders-f", 1, "fetch-group"));
  assert.equal(errorType(e), AUTH_FAILED);
  assert.equal(stack.broker.hitsOf(API_KEY.Fetch).length, fetchesBefore, "no Fetch reached the broker");
  const fetches = stack.flows.filter((f) => f.kafka.apiKey === "fetch" && f.verdict === "DROPPED");
  assert.ok(fetches.some((f) => f.type === "RESPONSE" && f.kafka.topic === "orders-f" && f.kafka.errorCode === 29));
});

test("apiKey produce (no role) with a topic: ApiVersions and Metadata are refused too, so kafkajs cannot even connect", async () => {
  stack.setPolicy(kafkaPolicy({ apiKey: "produce", topic: "payments" }));
  const hitsBefore = stack.broker.hits.length;
  const e = await rejects(withProducer(stack, (p) => p.send({ topic: "payments", messages: [{ value: "x" }] })));
  // kafkajs's first request, ApiVersions, gets the proxy's TOPIC_AUTHORIZATION_FAILED.
  assert.equal(errorType(e), AUTH_FAILED);
  assert.equal(stack.broker.hits.length, hitsBefore);
  const last = stack.flows.at(-1);
  assert.equal(last?.kafka.apiKey, "apiversions");
  assert.equal(last?.verdict, "DROPPED");
  // Metadata, even for the allowed topic, is not the produce key either.
  const r = await rawExchange(stack.proxyPort, [metadata(5, ["payments"])]);
  const d = decodeResponse(responsesOf(r.data)[0]!.message, API_KEY.Metadata, 6);
  assert.ok(d.ok);
  assert.deepEqual(
    structsOf(d.value.body, "Topics")!.map((t) => [t["Name"], t["ErrorCode"]]),
    [["payments", 29]],
  );
  assert.equal(stack.broker.hits.length, hitsBefore);
});

test("clientID rules: only the named client is allowed", async () => {
  stack.setPolicy(kafkaPolicy({ role: "produce", topic: "billing", clientID: "billing-svc" }));
  await withProducer(stack, (p) => p.send({ topic: "billing", messages: [{ value: "ok" }] }), "billing-svc");
  assert.equal(stack.broker.recordCount("billing"), 1);
  const e = await rejects(withProducer(stack, (p) => p.send({ topic: "billing", messages: [{ value: "no" }] }), "other-svc"));
  assert.equal(errorType(e), AUTH_FAILED);
  assert.equal(stack.broker.recordCount("billing"), 1);
});

test("flow records: each request and response once, latency on responses, in order per connection", () => {
  for (const f of stack.flows) {
    assert.ok(f.time instanceof Date);
    if (f.type === "RESPONSE") assert.equal(typeof f.latencyNs, "bigint");
    assert.equal(f.kafka.topic, f.kafka.topics[0] ?? "");
    assert.equal(f.kafka.errorCode === undefined, f.verdict === "FORWARDED");
  }
  const requests = stack.flows.filter((f) => f.type === "REQUEST").length;
  const responses = stack.flows.filter((f) => f.type === "RESPONSE").length;
  assert.equal(requests, responses, "kafkajs sent no acks=0 Produce: every request got its response");
});

test("the oldest versions kafkajs implements (message sets, Metadata v0, Fetch v0, …) also pass the proxy", async () => {
  // A broker that advertises only kafkajs's lowest versions makes kafkajs use them.
  const oldest = new Map([
    [API_KEY.Produce, 2],
    [API_KEY.Fetch, 0],
    [API_KEY.ListOffsets, 0],
    [API_KEY.Metadata, 0],
    [API_KEY.OffsetCommit, 0],
    [API_KEY.OffsetFetch, 1],
    [API_KEY.FindCoordinator, 0],
    [API_KEY.JoinGroup, 0],
    [API_KEY.Heartbeat, 0],
    [API_KEY.LeaveGroup, 0],
    [API_KEY.SyncGroup, 0],
  ]);
  const old = await startStack(kafkaPolicy({ role: "produce", topic: "legacy" }, { role: "consume", topic: "legacy" }), {
    broker: { maxVersions: oldest },
  });
  try {
    await withProducer(old, async (p) => {
      await p.send({ topic: "legacy", messages: [{ value: "m1" }, { value: "m2" }] });
      assert.equal(errorType(await rejects(p.send({ topic: "orders", messages: [{ value: "x" }] }))), AUTH_FAILED);
    });
    assert.deepEqual(await consume(old, "legacy", 2, "legacy-group"), ["m1", "m2"]);
    const versions = new Map(old.broker.hits.map((h) => [h.apiKey, h.apiVersion]));
    for (const [key, v] of oldest) if (versions.has(key)) assert.equal(versions.get(key), v, `api key ${key}`);
    assert.ok(versions.has(API_KEY.Fetch) && versions.has(API_KEY.JoinGroup) && versions.has(API_KEY.Produce));
    assert.equal(old.errors.length, 0, old.errors.join("; "));
  } finally {
    await old.close();
  }
});

test("the test broker is a broker: kafkajs works against it directly too", async () => {
  const broker = await TestBroker.start();
  try {
    const { Kafka, logLevel } = await import("kafkajs");
    const kafka = new Kafka({ brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const p = kafka.producer();
    await p.connect();
    await p.send({ topic: "direct", messages: [{ value: "d" }] });
    await p.disconnect();
    assert.equal(broker.recordCount("direct"), 1);
  } finally {
    await broker.close();
  }
});
