import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_PROXY_LIMITS } from "../limits.ts";
import { HeadScanner } from "./head-scanner.ts";
import { parseRequestHead, type RequestHead } from "./request-head.ts";

/** Scans and parses a whole head; the status of a refusal, or the head. */
function read(text: string): RequestHead | number | "incomplete" {
  const scan = new HeadScanner(DEFAULT_PROXY_LIMITS).scan(Buffer.from(text, "latin1"));
  if (scan.kind === "incomplete") return "incomplete";
  if (scan.kind === "invalid") return scan.error.status;
  const head = parseRequestHead(scan.lines);
  return head.ok ? head.value : head.error.status;
}

const H = "Host: a.example\r\n";

test("accepted request heads", () => {
  const accept: [string, Partial<RequestHead>][] = [
    [`GET / HTTP/1.1\r\n${H}\r\n`, { method: "GET", path: "/", authority: "a.example", keepAlive: true, body: { kind: "none" } }],
    [`GET /public?x=1&y=%20 HTTP/1.1\r\n${H}\r\n`, { path: "/public?x=1&y=%20" }],
    [`\r\nGET / HTTP/1.1\r\n${H}\r\n`, { method: "GET" }],
    [`POST /a HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\n`, { body: { kind: "length", length: 5 } }],
    [`POST /a HTTP/1.1\r\n${H}Transfer-Encoding: Chunked\r\n\r\n`, { body: { kind: "chunked" } }],
    [`GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, { keepAlive: false }],
    [`GET / HTTP/1.0\r\n\r\n`, { version: "HTTP/1.0", keepAlive: false, authority: "" }],
    [`GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`, { keepAlive: true }],
    [`GET http://b.example:8080/x?q HTTP/1.1\r\n${H}\r\n`, { authority: "b.example:8080", path: "/x?q" }],
    [`GET http://b.example HTTP/1.1\r\n${H}\r\n`, { authority: "b.example", path: "/" }],
    [`OPTIONS * HTTP/1.1\r\n${H}\r\n`, { path: "*" }],
    [`PURGE /x HTTP/1.1\r\n${H}\r\n`, { method: "PURGE" }],
    [`GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n`, { authority: "[::1]:80" }],
    [`GET / HTTP/1.1\r\n${H}X-A:\t v \t\r\n\r\n`, {}],
    [`POST / HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 1\r\n\r\n`, { expectContinue: true }],
  ];
  for (const [text, want] of accept) {
    const got = read(text);
    assert.equal(typeof got, "object", `${JSON.stringify(text)} → ${String(got)}`);
    for (const [k, v] of Object.entries(want))
      assert.deepEqual((got as unknown as Record<string, unknown>)[k], v, `${JSON.stringify(text)}: ${k}`);
  }
  const h = read(`GET / HTTP/1.1\r\n${H}X-A:\t v \t\r\n\r\n`) as RequestHead;
  assert.deepEqual(h.headers, [
    ["host", "a.example"],
    ["x-a", "v"],
  ]);
});

test("refused request heads (smuggling shapes, malformed syntax)", () => {
  const refuse: [string, number][] = [
    [`POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`, 400],
    [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n`, 400],
    [`POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n\r\n`, 400],
    [`POST / HTTP/1.1\r\n${H}Content-Length: 5, 6\r\n\r\n`, 400],
    [`POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 5\r\n\r\n`, 400],
    [`POST / HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\n`, 400],
    [`GETX / HTTP/1.1\r\n${H}\r\n`, 400],
    [`PRI / HTTP/1.1\r\n${H}\r\n`, 400],
    [`get / HTTP/1.1\r\n${H}\r\n`, 400],
    [`POST / HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\n`, 400],
    [`POST / HTTP/1.1\r\n${H}Content-Length: 0x5\r\n\r\n`, 400],
    [`POST / HTTP/1.1\r\n${H}Content-Length: 9999999999999999\r\n\r\n`, 400],
    [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n`, 400],
    [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n`, 400],
    [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n`, 400],
    [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n`, 400],
    [`POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n`, 400],
    [`POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n`, 400],
    [`GET / HTTP/1.1\r\n${H}X-A: b\r\n c\r\n\r\n`, 400],
    [`GET / HTTP/1.1\r\n${H}X-A: b\r\n\tc\r\n\r\n`, 400],
    [`GET / HTTP/1.1\r\n\r\n`, 400],
    [`GET / HTTP/1.1\r\n${H}${H}\r\n`, 400],
    [`GET / HTTP/1.1\r\nHost: a b\r\n\r\n`, 400],
    [`GET / HTTP/1.1\nHost: a\n\n`, 400],
    [`GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n`, 400],
    [`GET / HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`, 400],
    [`GET  / HTTP/1.1\r\n${H}\r\n`, 400],
    [` GET / HTTP/1.1\r\n${H}\r\n`, 400],
    [`GET / HTTP/1.1 \r\n${H}\r\n`, 400],
    [`GET /a b HTTP/1.1\r\n${H}\r\n`, 400],
    [`GET /a#frag HTTP/1.1\r\n${H}\r\n`, 400],
    [`GET /a%zz HTTP/1.1\r\n${H}\r\n`, 400],
    [`GET /a\x7f HTTP/1.1\r\n${H}\r\n`, 400],
    [`GET /<script> HTTP/1.1\r\n${H}\r\n`, 400],
    [`GET a HTTP/1.1\r\n${H}\r\n`, 400],
    [`GET * HTTP/1.1\r\n${H}\r\n`, 400],
    [`GET https://a/ HTTP/1.1\r\n${H}\r\n`, 400],
    [`GET http://u@a/ HTTP/1.1\r\n${H}\r\n`, 400],
    [`G(T / HTTP/1.1\r\n${H}\r\n`, 400],
    [`GET / HTTP/2.0\r\n${H}\r\n`, 505],
    [`GET / HTTP/1.1x\r\n${H}\r\n`, 400],
    [`GET / http/1.1\r\n${H}\r\n`, 400],
    [`CONNECT a:443 HTTP/1.1\r\n${H}\r\n`, 400],
    [`GET / HTTP/1.1\r\n${H}: empty-name\r\n\r\n`, 400],
    [`GET / HTTP/1.1\r\n${H}no-colon\r\n\r\n`, 400],
    [`GET / HTTP/1.1\r\n${H}X\u00e9: v\r\n\r\n`, 400],
    [`POST / HTTP/1.1\r\n${H}Expect: 200-ok\r\n\r\n`, 417],
  ];
  for (const [text, status] of refuse) assert.equal(read(text), status, JSON.stringify(text));
});

test("header limits: count, total size, request line", () => {
  const fields = (n: number): string => Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join("");
  assert.equal(typeof read(`GET / HTTP/1.1\r\n${H}${fields(99)}\r\n`), "object");
  assert.equal(read(`GET / HTTP/1.1\r\n${H}${fields(100)}\r\n`), 431);
  assert.equal(read(`GET / HTTP/1.1\r\n${H}X-Big: ${"a".repeat(70_000)}\r\n\r\n`), 431);
  assert.equal(read(`GET / HTTP/1.1\r\n${H}X-Big: ${"a".repeat(70_000)}`), 431);
  assert.equal(read(`GET /${"a".repeat(20_000)} HTTP/1.1\r\n${H}\r\n`), 414);
  assert.equal(read(`GET /${"a".repeat(20_000)}`), 414);
});

test("the scanner is incremental and waits for the end of the head", () => {
  const text = Buffer.from(`GET /x HTTP/1.1\r\n${H}X-A: b\r\n\r\nNEXT`, "latin1");
  const scanner = new HeadScanner(DEFAULT_PROXY_LIMITS);
  for (let n = 0; n < text.length - 4; n++) assert.equal(scanner.scan(text.subarray(0, n)).kind, "incomplete", `at ${n}`);
  const done = scanner.scan(text);
  assert.equal(done.kind, "complete");
  assert.equal(done.kind === "complete" ? done.length : -1, text.length - 4);
  assert.equal(read("GET / HTTP/1.1\r\nHost: a\r\n"), "incomplete");
});
