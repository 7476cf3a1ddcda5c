import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { DEFAULT_PROXY_LIMITS } from "../limits.ts";
import { ChunkedReader, LengthReader, type BodyReader } from "./body-reader.ts";

/** Feeds `pieces` in order; the body and the unconsumed rest, or the refusal's reason. */
function feed(reader: BodyReader, pieces: readonly Buffer[]): { body: string; rest: string; done: boolean } | string {
  let body = "";
  let rest = "";
  for (const p of pieces) {
    if (reader.done) {
      rest += p.toString("latin1");
      continue;
    }
    const step = reader.read(p);
    if (step.kind === "invalid") return step.error.reason;
    for (const c of step.chunks) body += c.toString("latin1");
    rest += p.subarray(step.consumed).toString("latin1");
  }
  return { body, rest, done: reader.done };
}

const chunked = (text: string): { body: string; rest: string; done: boolean } | string =>
  feed(new ChunkedReader(DEFAULT_PROXY_LIMITS), [Buffer.from(text, "latin1")]);

test("chunked bodies that are accepted", () => {
  const accept: [string, string, string][] = [
    ["5\r\nhello\r\n0\r\n\r\n", "hello", ""],
    ["5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET", "hello world", "GET"],
    ["A\r\n0123456789\r\n0\r\n\r\n", "0123456789", ""],
    ["a;name=value\r\n0123456789\r\n0;x\r\n\r\n", "0123456789", ""],
    ["3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\nrest", "abc", "rest"],
    ["0000\r\n\r\n", "", ""],
  ];
  for (const [text, body, rest] of accept) assert.deepEqual(chunked(text), { body, rest, done: true }, JSON.stringify(text));
});

test("chunked bodies that are refused", () => {
  const refuse = [
    "5\r\nhello0\r\n\r\n",
    "5\r\nhelloXX\r\n",
    "5\nhello\r\n0\r\n\r\n",
    "5\r\nhello\n0\r\n\r\n",
    " 5\r\nhello\r\n",
    "5 \r\nhello\r\n",
    "-5\r\n",
    "0x5\r\n",
    "\r\n",
    "g\r\n",
    "fffffffffffff\r\n",
    "5;\x00\r\n",
    "0\r\nX-A: b\r\n c\r\n\r\n",
    "0\r\nbad trailer\r\n\r\n",
    "0\r\nX: a\nY: b\r\n\r\n",
    "0\r\n\r\r\n",
    "1; x=y\r\na\r\n0\r\n\r\n",
    '1;x="y"\r\na\r\n0\r\n\r\n',
    "0\r\nTransfer-Encoding: chunked\r\n\r\n",
    "0\r\nContent-Length: 5\r\n\r\n",
  ];
  for (const text of refuse) assert.equal(typeof chunked(text), "string", JSON.stringify(text));
  assert.equal(typeof chunked(`1;${"e".repeat(5000)}\r\n`), "string");
});

test("chunked decoding does not depend on how the bytes are split", () => {
  const arb = fc.record({
    chunks: fc.array(fc.string({ minLength: 1, maxLength: 40 }), { maxLength: 6 }),
    cuts: fc.array(fc.nat(), { maxLength: 8 }),
  });
  fc.assert(
    fc.property(arb, ({ chunks, cuts }) => {
      const bytes = chunks.map((c) => Buffer.from(c, "latin1"));
      const wire = Buffer.concat([
        ...bytes.flatMap((b) => [Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from("\r\n")]),
        Buffer.from("0\r\nX-T: 1\r\n\r\nNEXT"),
      ]);
      const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
      const pieces: Buffer[] = [];
      let at = 0;
      for (const p of [...points, wire.length]) {
        pieces.push(wire.subarray(at, p));
        at = p;
      }
      const got = feed(new ChunkedReader(DEFAULT_PROXY_LIMITS), pieces);
      assert.deepEqual(got, { body: Buffer.concat(bytes).toString("latin1"), rest: "NEXT", done: true });
    }),
    { numRuns: 300, seed: 42 },
  );
});

test("length-delimited bodies stop at their length", () => {
  assert.deepEqual(feed(new LengthReader(5), [Buffer.from("he"), Buffer.from("lloGET")]), { body: "hello", rest: "GET", done: true });
  assert.deepEqual(feed(new LengthReader(5), [Buffer.from("he")]), { body: "he", rest: "", done: false });
});
