import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { RequestFrameReader, ResponseSplitter } from "./framing.ts";
import { API_SPECS } from "./messages.ts";
import { decodeRequest, encodeRequest } from "./request.ts";
import { decodeResponse, deniedResponse, encodeResponse } from "./response.ts";
import type { FieldSpec, KafkaStruct, KafkaValue } from "./schema.ts";
import { RawUpstream, rawExchange, responsesOf } from "./test-support/raw.ts";
import { apiVersions, fetch, metadata, produce } from "./test-support/requests.ts";
import { ALLOW_ALL, startProxy, type TestKafkaProxy } from "./test-support/stack.ts";

/**
 * Properties: no bytes make the codec throw; generated messages of every API and version round
 * trip; and through a real proxy that allows everything, random and mutated byte streams never
 * crash it and never reach the upstream unless they parse as requests — what the upstream gets is
 * always a prefix of the stream's leading valid frames. FUZZ_RUNS raises the number of cases.
 */
const RUNS = Number(process.env["FUZZ_RUNS"] ?? 1500);
const SOCKET_RUNS = Math.max(100, Math.floor(RUNS / 6));

const inRange = (r: { min: number; max: number } | null, v: number): boolean => r !== null && v >= r.min && v <= r.max;

/** Values of every field of `fields` present at `version`, shaped as the decoder returns them. */
function structArb(fields: readonly FieldSpec[], version: number, depth = 0): fc.Arbitrary<KafkaStruct> {
  const model: Record<string, fc.Arbitrary<KafkaValue>> = {};
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    const one: fc.Arbitrary<KafkaValue> =
      typeof f.type !== "string"
        ? structArb(f.type, version, depth + 1)
        : {
            int8: fc.integer({ min: -128, max: 127 }),
            int16: fc.integer({ min: -32768, max: 32767 }),
            int32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
            int64: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
            bool: fc.boolean(),
            uuid: fc.uint8Array({ minLength: 16, maxLength: 16 }),
            string: fc.string({ maxLength: 12, unit: "grapheme" }),
            bytes: fc.uint8Array({ maxLength: 12 }),
            records: fc.uint8Array({ maxLength: 12 }),
          }[f.type];
    const value: fc.Arbitrary<KafkaValue> = f.array ? fc.array(one, { maxLength: depth > 1 ? 1 : 3 }) : one;
    model[f.name] = inRange(f.nullable, version) || (f.type === "records" && !f.array) ? fc.option(value, { nil: null }) : value;
  }
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<KafkaStruct>;
}

/** An API the proxy reads, a version of it, and a request body for it. */
const requestArb = fc
  .constantFrom(...API_SPECS.values())
  .chain((spec) => fc.integer({ min: spec.versions.min, max: spec.versions.max }).map((v) => ({ spec, v })))
  .chain(({ spec, v }) =>
    fc.record({
      bytes: fc
        .tuple(
          structArb(spec.request, v),
          fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
          fc.option(fc.string({ maxLength: 8 }), { nil: null }),
        )
        .map(([body, correlationId, clientId]) => encodeRequest({ apiKey: spec.apiKey, apiVersion: v, correlationId, clientId }, body)),
      spec: fc.constant(spec),
      v: fc.constant(v),
    }),
  );

/** Bytes that are mostly Kafka: valid requests, with bytes flipped, cut, or inserted. */
const mutated = fc
  .tuple(
    requestArb,
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "cut", "insert")), { maxLength: 3 }),
  )
  .map(([{ bytes }, edits]) => {
    let b = Uint8Array.from(bytes);
    for (const [at, value, kind] of edits) {
      const i = at % Math.max(1, b.length);
      if (kind === "set") b[i] = value;
      else if (kind === "cut") b = b.subarray(0, i);
      else b = Uint8Array.from([...b.subarray(0, i), value, ...b.subarray(i)]);
    }
    return b;
  });

test("the codec never throws: random bytes and mutated requests", () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated), (bytes) => {
      const d = decodeRequest(bytes.subarray(Math.min(4, bytes.length)));
      if (d.ok && d.value.expectsResponse) deniedResponse(d.value);
      new RequestFrameReader(1 << 16).push(bytes);
      new ResponseSplitter().push(bytes);
      for (const spec of API_SPECS.values()) decodeResponse(bytes, spec.apiKey, spec.versions.max);
    }),
    { numRuns: RUNS },
  );
});

test("generated requests and responses of every API and version round trip; denials decode", () => {
  fc.assert(
    fc.property(requestArb, ({ bytes, spec, v }) => {
      const d = decodeRequest(bytes.subarray(4));
      assert.ok(d.ok, d.ok ? "" : JSON.stringify(d.error));
      const again = encodeRequest(d.value.header, d.value.body!);
      assert.deepEqual(again, bytes);
      if (d.value.expectsResponse) {
        const denied = deniedResponse(d.value);
        assert.ok(denied !== null);
        assert.ok(decodeResponse(denied.subarray(4), spec.apiKey, v).ok);
      }
    }),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(
      fc
        .constantFrom(...API_SPECS.values())
        .chain((spec) =>
          fc
            .integer({ min: spec.versions.min, max: spec.versions.max })
            .chain((v) => structArb(spec.response, v).map((body) => ({ spec, v, body }))),
        ),
      ({ spec, v, body }) => {
        const bytes = encodeResponse(spec.apiKey, v, 3, body)!;
        const back = decodeResponse(bytes.subarray(4), spec.apiKey, v);
        assert.ok(back.ok);
        assert.deepEqual(back.value.body, body);
      },
    ),
    { numRuns: RUNS },
  );
});

/** The frames a proxy that allows everything may forward: the leading whole frames that parse as requests. */
function validPrefix(stream: Uint8Array): Buffer {
  const r = new RequestFrameReader(1 << 20).push(stream);
  const frames = r.ok ? r.value : [];
  const out: Uint8Array[] = [];
  for (const f of frames) {
    if (!decodeRequest(f.message).ok) break;
    out.push(f.bytes);
  }
  return Buffer.concat(out);
}

let up: RawUpstream;
let px: TestKafkaProxy;

before(async () => {
  up = await RawUpstream.start();
  px = await startProxy(ALLOW_ALL, up.port, { maxFrameBytes: 1 << 20, frameTimeoutMs: 1000 });
});

after(async () => {
  await px.close();
  await up.close();
});

test("through the proxy: random and mutated streams never crash it and reach the upstream only as parsed requests", async () => {
  const stream = fc.array(
    fc.oneof(
      { weight: 3, arbitrary: requestArb.map((r) => r.bytes) },
      { weight: 2, arbitrary: mutated },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
      { weight: 1, arbitrary: fc.constantFrom(apiVersions(1), metadata(2, ["t"]), produce(3, "t", 0), fetch(4, "t")) },
    ),
    { minLength: 1, maxLength: 4 },
  );
  let forwardedRuns = 0;
  await fc.assert(
    fc.asyncProperty(stream, fc.integer({ min: 1, max: 64 }), async (parts, chunk) => {
      const bytes = Buffer.concat(parts);
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
      const before = up.connections.length;
      await rawExchange(px.port, chunks, { waitMs: 3000 });
      const conns = up.connections.slice(before);
      assert.ok(conns.length <= 1, "one upstream connection per client connection");
      await Promise.all(conns.map((c) => c.closed));
      const got = Buffer.concat(conns.flatMap((c) => c.received));
      const allowed = validPrefix(bytes);
      assert.ok(allowed.subarray(0, got.length).equals(got), "the upstream got a prefix of the leading valid requests");
      if (got.length > 0) forwardedRuns++;
    }),
    { numRuns: SOCKET_RUNS },
  );
  assert.ok(forwardedRuns > SOCKET_RUNS / 4, `only ${forwardedRuns} of ${SOCKET_RUNS} streams reached the upstream`);
  const ok = await rawExchange(px.port, [apiVersions(77)]);
  assert.deepEqual(
    responsesOf(ok.data).map((x) => x.correlationId),
    [77],
  );
});
