import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeMessage, encodeMessage } from "./wire.ts";
import { encodeName, readName } from "./wire-name.ts";
import { RR_TYPE, type DnsMessage } from "./wire-types.ts";

const bytes = (...parts: (number | string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "number" ? [p] : typeof p === "string" ? [...p].map((c) => c.charCodeAt(0)) : p)));
const label = (s: string): (number | string)[] => [s.length, s];
const header = (id: number, flags: number, qd: number, an: number, ns = 0, ar = 0): number[] => [
  id >> 8,
  id & 0xff,
  flags >> 8,
  flags & 0xff,
  0,
  qd,
  0,
  an,
  0,
  ns,
  0,
  ar,
];

/** A response as a resolver sends it, compressed: www.example.com CNAME api.example.com (TTL 5), A 93.184.216.34 (TTL 30). */
const COMPRESSED = bytes(
  header(0x1234, 0x8180, 1, 2),
  // 12: question www.example.com A IN
  ...label("www"),
  ...label("example"),
  ...label("com"),
  0,
  [0, 1, 0, 1],
  // 33: CNAME, owner → 12, target "api" + → 16 (example.com)
  [0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 5, 0, 6],
  ...label("api"),
  [0xc0, 16],
  // 51: A, owner → 45 (api.example.com)
  [0xc0, 45, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 93, 184, 216, 34],
);

test("decodes a compressed answer: CNAME chain, pointers into the question and into record data", () => {
  const r = decodeMessage(COMPRESSED);
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  const m = r.value;
  assert.deepEqual(m.header, {
    id: 0x1234,
    qr: true,
    opcode: 0,
    aa: false,
    tc: false,
    rd: true,
    ra: true,
    z: false,
    ad: false,
    cd: false,
    rcode: 0,
  });
  assert.deepEqual(m.questions, [{ name: "www.example.com.", type: 1, class: 1 }]);
  assert.deepEqual(m.answers, [
    { name: "www.example.com.", type: 5, class: 1, ttl: 5, data: { kind: "cname", target: "api.example.com." } },
    { name: "api.example.com.", type: 1, class: 1, ttl: 30, data: { kind: "a", address: "93.184.216.34" } },
  ]);
  // Re-encoded without compression, it decodes to the same message.
  const again = encodeMessage(m);
  assert.ok(again.ok);
  assert.ok(again.value.length > COMPRESSED.length);
  assert.deepEqual(decodeMessage(again.value), r);
});

test("every truncation of a valid message is an error, never an exception", () => {
  for (let n = 0; n < COMPRESSED.length; n++) {
    const r = decodeMessage(COMPRESSED.slice(0, n));
    assert.equal(r.ok, false, `prefix of ${n} bytes`);
  }
});

/** Hostile inputs: each must come back as an error (the committed corpus of the codec). */
const HOSTILE: readonly (readonly [string, Uint8Array, RegExp])[] = [
  ["empty", bytes(), /shorter than a header/],
  ["header only, claims a question", bytes(header(1, 0, 1, 0)), /do not fit/],
  ["huge counts", bytes(header(1, 0, 0xff, 0xff, 0xff, 0xff), new Array<number>(64).fill(0)), /do not fit/],
  ["pointer to itself", bytes(header(1, 0, 1, 0), [0xc0, 12, 0, 1, 0, 1]), /does not point backwards/],
  ["label, then pointer back to it (a loop)", bytes(header(1, 0, 1, 0), ...label("a"), [0xc0, 12, 0, 1, 0, 1]), /does not point backwards/],
  ["two pointers to each other", bytes(header(1, 0, 1, 0), [0xc0, 14, 0xc0, 12, 0, 1, 0, 1]), /does not point backwards/],
  ["pointer forward", bytes(header(1, 0, 1, 0), [0xc0, 20, 0, 1, 0, 1], 0, 0), /does not point backwards/],
  ["pointer cut in half", bytes(header(1, 0, 0, 0), [0xc0]), /bytes after the last record/],
  ["reserved label type 0x40", bytes(header(1, 0, 1, 0), [0x41, 0x61, 0, 0, 1, 0, 1]), /unsupported label type/],
  ["label past the end", bytes(header(1, 0, 1, 0), [9, 0x61, 0x62, 0, 1]), /runs past the end/],
  ["question without type and class", bytes(header(1, 0, 1, 0), ...label("abcdefgh"), 0), /runs past the end/],
  [
    "name over 255 bytes",
    bytes(header(1, 0, 1, 0), ...Array.from({ length: 130 }, () => label("a")).flat(), 0, [0, 1, 0, 1]),
    /longer than 255/,
  ],
  ["A data of 5 bytes", bytes(header(1, 0x8000, 0, 1), 0, [0, 1, 0, 1, 0, 0, 0, 1, 0, 5, 1, 2, 3, 4, 5]), /A data is 5 bytes/],
  ["record data past the end", bytes(header(1, 0x8000, 0, 1), 0, [0, 16, 0, 1, 0, 0, 0, 1, 0, 50, 1, 2]), /runs past the end/],
  ["CNAME target shorter than its data", bytes(header(1, 0x8000, 0, 1), 0, [0, 5, 0, 1, 0, 0, 0, 1, 0, 3, 0, 9, 9]), /does not fill/],
  ["trailing bytes", bytes(header(1, 0, 1, 0), 0, [0, 1, 0, 1], [7, 7]), /2 bytes after the last record/],
  ["MX without its name", bytes(header(1, 0x8000, 0, 1), 0, [0, 15, 0, 1, 0, 0, 0, 1, 0, 2, 0, 10]), /runs past the record data/],
];

for (const [what, input, message] of HOSTILE) {
  test(`hostile input is an error: ${what}`, () => {
    const r = decodeMessage(input);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error.message, message);
  });
}

test("a long chain of backward pointers is followed (each jump goes further back)", () => {
  // After a header: the name "a.", then 40 names that are one label and a pointer to the previous one.
  const parts: number[] = [...header(1, 0, 0, 0), 1, 0x61, 0];
  let prev = 12;
  for (let i = 0; i < 40; i++) {
    const at = parts.length;
    parts.push(1, 0x62, 0xc0 | (prev >> 8), prev & 0xff);
    prev = at;
  }
  parts.push(0xc0 | (prev >> 8), prev & 0xff);
  const buf = Uint8Array.from(parts);
  const name = readName(buf, buf.length - 2);
  assert.ok(name.ok);
  assert.equal(name.value.name, `${"b.".repeat(40)}a.`);
  assert.equal(name.value.next, buf.length);
});

test("names with dots, backslashes and unprintable bytes inside labels round-trip through text", () => {
  const text = "a\\.b\\\\c\\032\\255.example.";
  const wire = encodeName(text);
  assert.ok(wire.ok);
  assert.deepEqual([...wire.value.slice(0, 9)], [7, 0x61, 0x2e, 0x62, 0x5c, 0x63, 0x20, 0xff, 7]);
  const back = readName(wire.value, 0);
  assert.ok(back.ok);
  assert.equal(back.value.name, text);
  assert.deepEqual(encodeName("EXAMPLE.com"), encodeName("EXAMPLE.com."));
  assert.deepEqual(encodeName("."), { ok: true, value: Uint8Array.of(0) });
});

test("bad names do not encode", () => {
  for (const bad of [
    "a..b",
    ".a",
    `${"x".repeat(64)}.com`,
    `${"abcdefg.".repeat(32)}`,
    "caf\u00e9.com",
    "a b.com",
    "a\\",
    "a\\25",
    "a\\256",
  ]) {
    assert.equal(encodeName(bad).ok, false, bad);
  }
  assert.equal(encodeName(`${"x".repeat(63)}.com`).ok, true);
});

const OPT_QUERY: DnsMessage = {
  header: { id: 0xbeef, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, z: false, ad: true, cd: false, rcode: 0 },
  questions: [{ name: "Api.Example.COM.", type: RR_TYPE.AAAA, class: 1 }],
  answers: [],
  authorities: [],
  additionals: [
    // EDNS: payload 1232, DO bit, a COOKIE option (code 10, 8 bytes).
    {
      name: ".",
      type: RR_TYPE.OPT,
      class: 1232,
      ttl: 0x8000,
      data: { kind: "opaque", bytes: bytes([0, 10, 0, 8], [1, 2, 3, 4, 5, 6, 7, 8]) },
    },
  ],
};

test("EDNS OPT records pass through unchanged, bit for bit", () => {
  const wire = encodeMessage(OPT_QUERY);
  assert.ok(wire.ok);
  const back = decodeMessage(wire.value);
  assert.deepEqual(back, { ok: true, value: OPT_QUERY });
  const again = encodeMessage(OPT_QUERY);
  assert.ok(again.ok);
  assert.deepEqual(again.value, wire.value);
});

test("names inside NS, MX and SOA data are expanded, so the data stands alone", () => {
  const m = bytes(
    header(7, 0x8400, 1, 1, 0, 0),
    ...label("example"),
    ...label("com"),
    0,
    [0, 15, 0, 1],
    // MX 10 mail.<example.com via pointer to 12>
    [0xc0, 12, 0, 15, 0, 1, 0, 0, 1, 0, 0, 9, 0, 10],
    ...label("mail"),
    [0xc0, 12],
  );
  const r = decodeMessage(m);
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  const mx = r.value.answers[0]!;
  const expected = encodeName("mail.example.com.");
  assert.ok(expected.ok);
  assert.deepEqual(mx.data, { kind: "opaque", bytes: Uint8Array.from([0, 10, ...expected.value]) });
  const re = encodeMessage(r.value);
  assert.ok(re.ok);
  assert.deepEqual(decodeMessage(re.value), r);
});

test("unknown types and classes stay opaque; A data is typed only in class IN", () => {
  const m: DnsMessage = {
    ...OPT_QUERY,
    header: { ...OPT_QUERY.header, qr: true },
    answers: [
      { name: "x.", type: 99, class: 1, ttl: 1, data: { kind: "opaque", bytes: bytes("hello") } },
      { name: "x.", type: RR_TYPE.A, class: 3, ttl: 1, data: { kind: "opaque", bytes: bytes([1, 2, 3, 4, 5, 6]) } },
      { name: "x.", type: RR_TYPE.AAAA, class: 1, ttl: 0xffffffff, data: { kind: "aaaa", address: "2001:db8::1" } },
    ],
    additionals: [],
  };
  const wire = encodeMessage(m);
  assert.ok(wire.ok);
  assert.deepEqual(decodeMessage(wire.value), { ok: true, value: m });
});

test("encoding rejects fields out of range and data that does not fit its type", () => {
  const base = OPT_QUERY;
  const rec = (data: DnsMessage["answers"][number]): DnsMessage => ({ ...base, answers: [data] });
  const cases: [string, DnsMessage][] = [
    ["id", { ...base, header: { ...base.header, id: 0x10000 } }],
    ["rcode", { ...base, header: { ...base.header, rcode: 16 } }],
    ["bad IPv4", rec({ name: "x.", type: 1, class: 1, ttl: 1, data: { kind: "a", address: "1.2.3.256" } })],
    ["bad IPv6", rec({ name: "x.", type: 28, class: 1, ttl: 1, data: { kind: "aaaa", address: "1:2:3" } })],
    ["A data on type 28", rec({ name: "x.", type: 28, class: 1, ttl: 1, data: { kind: "a", address: "1.2.3.4" } })],
    ["CNAME data on type 1", rec({ name: "x.", type: 1, class: 1, ttl: 1, data: { kind: "cname", target: "y." } })],
    ["TTL", rec({ name: "x.", type: 1, class: 1, ttl: 2 ** 32, data: { kind: "a", address: "1.2.3.4" } })],
    ["question name", { ...base, questions: [{ name: "a..b", type: 1, class: 1 }] }],
    ["too big", rec({ name: "x.", type: 16, class: 1, ttl: 1, data: { kind: "opaque", bytes: new Uint8Array(70000) } })],
  ];
  for (const [what, m] of cases) assert.equal(encodeMessage(m).ok, false, what);
});
