import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { decodeRequest } from "./request.ts";
import { arr, bool, byts, carr, cat, cbyts, cstr, frame, header, i16, i32, i64, str, tags0, uv } from "./test-support/bytes.ts";
import { RawUpstream, rawExchange, responsesOf } from "./test-support/raw.ts";
import { apiVersions, metadata, produce } from "./test-support/requests.ts";
import { ALLOW_ALL, startProxy, type TestKafkaProxy } from "./test-support/stack.ts";

/*
 * Hostile bytes against a proxy that allows every request: whatever it accepted would be
 * forwarded, so refusing must come from parsing alone. Every case must end the connection
 * without a byte reaching the upstream (or only the valid requests before it).
 */

let up: RawUpstream;
let px: TestKafkaProxy;

before(async () => {
  up = await RawUpstream.start();
  px = await startProxy(ALLOW_ALL, up.port, { maxFrameBytes: 1 << 20, frameTimeoutMs: 500 });
});

after(async () => {
  await px.close();
  await up.close();
});

/** Sends `input`, half-closes, and checks the connection ends with nothing (or exactly `forwarded`) upstream. */
async function assertRefused(name: string, input: Uint8Array, forwarded: readonly Uint8Array[] = []): Promise<void> {
  const framesBefore = up.allFrames.length;
  const bytesBefore = up.totalBytes;
  const r = await rawExchange(px.port, [input], { waitMs: 3000 });
  assert.ok(r.closed, `${name}: the proxy ends the connection`);
  assert.deepEqual(
    up.allFrames.slice(framesBefore).map((f) => Buffer.from(f).toString("hex")),
    forwarded.map((f) => Buffer.from(f).toString("hex")),
    `${name}: forwarded frames`,
  );
  assert.equal(
    up.totalBytes - bytesBefore,
    forwarded.reduce((n, f) => n + f.length, 0),
    `${name}: bytes upstream`,
  );
}

const H = (key: number, v: number): number[] => header(key, v, 1, "h");
const F = (...parts: number[][]): Uint8Array => frame(cat(...parts));
const produceV7 = (topics: number[]): Uint8Array => F(H(0, 7), str(null), i16(-1), i32(1000), topics);

test("the control case: a valid request is forwarded and answered", async () => {
  const r = await rawExchange(px.port, [apiVersions(1)]);
  assert.deepEqual(
    responsesOf(r.data).map((x) => x.correlationId),
    [1],
  );
});

test("bad sizes: negative, too small for a header, over the limit, 2^31-1", async () => {
  for (const [name, size] of [
    ["-1", -1],
    ["INT32_MIN", -0x80000000],
    ["0", 0],
    ["7", 7],
    ["limit + 1", (1 << 20) + 1],
    ["INT32_MAX", 0x7fffffff],
  ] as const) {
    await assertRefused(`size ${name}`, cat(i32(size), [0, 18, 0, 0, 0, 0, 0, 1, 0, 0]));
  }
});

test("other protocols: HTTP, TLS, zeros, 0xff", async () => {
  await assertRefused("HTTP", new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  await assertRefused("TLS ClientHello", Uint8Array.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
  await assertRefused("zeros", new Uint8Array(64));
  await assertRefused("0xff", new Uint8Array(64).fill(0xff));
});

test("truncated frames: every cut of a valid request is never forwarded", async () => {
  const req = produce(5, "payments");
  for (const cut of [1, 3, 4, 5, 12, 20, req.length - 5, req.length - 1]) await assertRefused(`cut at ${cut}`, req.subarray(0, cut));
});

test("headers: negative api key or version, client id running past the frame", async () => {
  await assertRefused("negative api key", F(i16(-1), i16(0), i32(1), str("c")));
  await assertRefused("negative version", F(i16(3), i16(-2), i32(1), str("c")));
  await assertRefused("client id too long", F(i16(3), i16(1), i32(1), i16(200), [0x61]));
  await assertRefused("client id length -2", F(i16(3), i16(1), i32(1), i16(-2)));
  await assertRefused("client id not UTF-8", F(i16(18), i16(0), i32(1), i16(2), [0xc3, 0x28]));
  await assertRefused("header v2 tags count huge", F(i16(18), i16(3), i32(1), str("c"), uv(0xfffffff), cstr("a"), cstr("b"), tags0));
});

test("bodies: counts and lengths that lie, nulls where none may be, trailing bytes", async () => {
  const cases: [string, Uint8Array][] = [
    ["topic count 2^31-1", produceV7(i32(0x7fffffff))],
    ["topic count -5", produceV7(i32(-5))],
    ["topic name length -2", produceV7([...i32(1), ...i16(-2)])],
    ["topic name past the end", produceV7([...i32(1), ...i16(100), 0x61])],
    ["topic name null", produceV7([...i32(1), ...str(null), ...arr([])])],
    ["topic name not UTF-8", produceV7([...i32(1), ...i16(1), 0xff, ...arr([])])],
    ["records length -2", produceV7(arr([[...str("t"), ...arr([[...i32(0), ...i32(-2)]])]]))],
    ["records past the end", produceV7(arr([[...str("t"), ...arr([[...i32(0), ...i32(1000), 1, 2]])]]))],
    ["a trailing byte", F(H(0, 7), str(null), i16(-1), i32(1000), arr([[...str("t"), ...arr([[...i32(0), ...byts([1])]])]]), [0])],
    ["Metadata v0 null list", F(H(3, 0), i32(-1))],
    ["Metadata v6 missing its bool", F(H(3, 6), arr([str("a")]))],
    [
      "Fetch v11 cut in a partition",
      F(H(1, 11), i32(-1), i32(1), i32(1), i32(1), [0], i32(0), i32(-1), arr([[...str("a"), ...i32(1), ...i32(0), ...i64(0)]])),
    ],
    ["ApiVersions v0 with a body", F(H(18, 0), [1])],
  ];
  for (const [name, bytes] of cases) {
    assert.equal(decodeRequest(bytes.subarray(4)).ok, false, `${name} is malformed`);
    await assertRefused(name, bytes);
  }
});

test("flexible bodies: varints too long, compact lengths that lie, tags out of order", async () => {
  const hv = (key: number, v: number): number[] => header(key, v, 1, "h", true);
  const meta9 = (...parts: number[][]): Uint8Array => F(hv(3, 9), ...parts);
  const cases: [string, Uint8Array][] = [
    ["varint of 6 bytes", meta9([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])],
    ["varint over 32 bits", meta9([0xff, 0xff, 0xff, 0xff, 0x7f])],
    ["compact array count huge", meta9(uv(1 << 30))],
    ["compact string past the end", meta9(carr([[...uv(50), 0x61]]))],
    ["tags out of order", meta9(carr([]), bool(true), bool(false), bool(false), uv(2), uv(1), uv(0), uv(0), uv(0))],
    ["a tag past the end", meta9(carr([]), bool(true), bool(false), bool(false), uv(1), uv(0), uv(9), [1])],
    ["missing the final tag section", meta9(carr([[...cstr("a"), ...tags0]]), bool(true), bool(false), bool(false))],
    [
      "records compact length past the end",
      F(hv(0, 9), cstr(null), i16(1), i32(1), carr([[...cstr("t"), ...carr([[...i32(0), ...uv(100), 1]])]])),
    ],
    [
      "compact bytes of JoinGroup metadata null",
      F(hv(11, 6), cstr("g"), i32(1), i32(1), cstr(""), cstr(null), cstr("c"), carr([[...cstr("p"), ...cbyts(null), ...tags0]]), tags0),
    ],
  ];
  for (const [name, bytes] of cases) {
    assert.equal(decodeRequest(bytes.subarray(4)).ok, false, `${name} is malformed`);
    await assertRefused(name, bytes);
  }
});

test("valid requests before a malformed one are served; nothing from the malformed one on is forwarded", async () => {
  const good = metadata(1, ["payments"]);
  const after = apiVersions(3);
  const bad = F(H(3, 6), i32(-7));
  const framesBefore = up.allFrames.length;
  const r = await rawExchange(px.port, [Buffer.concat([good, bad, after])], { waitMs: 3000 });
  assert.ok(r.closed);
  const forwarded = up.allFrames.slice(framesBefore);
  assert.ok(forwarded.length <= 1);
  if (forwarded.length === 1) assert.ok(Buffer.from(forwarded[0]!).equals(Buffer.from(good)));
  // The proxy is still well after all of this.
  const ok = await rawExchange(px.port, [apiVersions(9)]);
  assert.deepEqual(
    responsesOf(ok.data).map((x) => x.correlationId),
    [9],
  );
});
