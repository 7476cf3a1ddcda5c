import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { formatIp } from "@membrane/engine";
import { decodeMessage, encodeMessage } from "./wire.ts";
import type { DnsHeader, DnsMessage, DnsQuestion, DnsRecord } from "./wire-types.ts";

/**
 * Properties of the codec: no byte string makes decoding throw, whatever decodes re-encodes to the
 * same message, and random valid messages round-trip. CI runs a bounded number of cases;
 * FUZZ_RUNS raises it.
 */
/** Plain objects, so generated messages deep-equal decoded ones. */
const NO_NULL_PROTO = { noNullPrototype: true } as const;
const RUNS = Number(process.env["FUZZ_RUNS"] ?? 2000);

/** Label bytes to presentation text, written independently of the codec's escaper. */
const labelText = (b: Uint8Array): string =>
  [...b]
    .map((c) =>
      c === 0x2e ? "\\." : c === 0x5c ? "\\\\" : c > 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\${String(c).padStart(3, "0")}`,
    )
    .join("");

const labelBytes = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,12}$/).map((s) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)))) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 63 }) },
);
const name = fc
  .array(labelBytes, { maxLength: 5 })
  .filter((ls) => ls.reduce((n, l) => n + l.length + 1, 1) <= 255)
  .map((ls) => (ls.length === 0 ? "." : `${ls.map(labelText).join(".")}.`));
const u16 = fc.integer({ min: 0, max: 0xffff });
const header: fc.Arbitrary<DnsHeader> = fc.record(
  {
    id: u16,
    qr: fc.boolean(),
    opcode: fc.integer({ min: 0, max: 15 }),
    aa: fc.boolean(),
    tc: fc.boolean(),
    rd: fc.boolean(),
    ra: fc.boolean(),
    z: fc.boolean(),
    ad: fc.boolean(),
    cd: fc.boolean(),
    rcode: fc.integer({ min: 0, max: 15 }),
  },
  NO_NULL_PROTO,
);
const question: fc.Arbitrary<DnsQuestion> = fc.record({ name, type: u16, class: u16 }, NO_NULL_PROTO);
const ttl = fc.integer({ min: 0, max: 0xffffffff });
const record: fc.Arbitrary<DnsRecord> = fc.oneof(
  fc.record(
    { name, type: fc.constant(1), class: fc.constant(1), ttl, data: fc.ipV4().map((address) => ({ kind: "a" as const, address })) },
    NO_NULL_PROTO,
  ),
  fc.record(
    {
      name,
      type: fc.constant(28),
      class: fc.constant(1),
      ttl,
      data: fc
        .uint8Array({ minLength: 16, maxLength: 16 })
        .map((b) => ({ kind: "aaaa" as const, address: formatIp({ family: 6, bytes: b }) })),
    },
    NO_NULL_PROTO,
  ),
  fc.record(
    { name, type: fc.constant(5), class: u16, ttl, data: name.map((target) => ({ kind: "cname" as const, target })) },
    NO_NULL_PROTO,
  ),
  fc.record(
    {
      name,
      // Types whose data the codec keeps as bytes (no embedded compressible names).
      type: fc.constantFrom(16, 33, 41, 43, 46, 65, 99, 257, 65280),
      class: u16,
      ttl,
      data: fc.uint8Array({ maxLength: 40 }).map((bytes) => ({ kind: "opaque" as const, bytes })),
    },
    NO_NULL_PROTO,
  ),
);
const message: fc.Arbitrary<DnsMessage> = fc.record(
  {
    header,
    questions: fc.array(question, { maxLength: 3 }),
    answers: fc.array(record, { maxLength: 5 }),
    authorities: fc.array(record, { maxLength: 3 }),
    additionals: fc.array(record, { maxLength: 3 }),
  },
  NO_NULL_PROTO,
);

/** Decoding never throws; what decodes re-encodes, and decodes again to the same message. */
function checkBytes(b: Uint8Array): void {
  const r = decodeMessage(b);
  if (!r.ok) {
    assert.equal(typeof r.error.message, "string");
    assert.ok(r.error.offset >= 0 && r.error.offset <= b.length);
    return;
  }
  const again = encodeMessage(r.value);
  assert.ok(again.ok, again.ok ? "" : again.error.message);
  assert.deepEqual(decodeMessage(again.value), r);
}

test("random bytes never make decoding throw", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), checkBytes), { numRuns: RUNS });
});

test("random bytes behind a plausible header (small counts) never make decoding throw", () => {
  const small = fc.integer({ min: 0, max: 4 });
  const plausible = fc
    .tuple(u16, u16, small, small, small, small, fc.uint8Array({ maxLength: 300 }))
    .map(([id, flags, qd, an, ns, ar, rest]) =>
      Uint8Array.from([id >> 8, id & 0xff, flags >> 8, flags & 0xff, 0, qd, 0, an, 0, ns, 0, ar, ...rest]),
    );
  fc.assert(fc.property(plausible, checkBytes), { numRuns: RUNS });
});

test("random valid messages round-trip", () => {
  fc.assert(
    fc.property(message, (m) => {
      const wire = encodeMessage(m);
      assert.ok(wire.ok, wire.ok ? "" : wire.error.message);
      assert.deepEqual(decodeMessage(wire.value), { ok: true, value: m });
    }),
    { numRuns: RUNS },
  );
});

test("valid messages with a few bytes changed never make decoding throw", () => {
  const mutated = fc
    .tuple(message, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }))
    .map(([m, edits]) => {
      const wire = encodeMessage(m);
      if (!wire.ok) return new Uint8Array(0);
      const b = wire.value.slice();
      for (const [at, v] of edits) b[at % b.length] = v;
      return b;
    });
  fc.assert(fc.property(mutated, checkBytes), { numRuns: RUNS });
});
