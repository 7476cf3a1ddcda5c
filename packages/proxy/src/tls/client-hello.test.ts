import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClientHelloReader, type ClientHelloScan } from "./client-hello.ts";
import { capturedClientHello, clientHelloMessage, inRecords, sniExtension } from "./test-support/hello.ts";

const MAX = 64 * 1024;

/** Everything at once, as one chunk. */
const scanClientHello = (bytes: Uint8Array, max: number): ClientHelloScan => new ClientHelloReader(max).push(bytes);

/** Chunk by chunk, `size` bytes each: the outcome after the last. */
function trickled(bytes: Uint8Array, size: number): ClientHelloScan {
  const reader = new ClientHelloReader(MAX);
  let last: ClientHelloScan = { kind: "incomplete" };
  for (let at = 0; at < bytes.length; at += size) last = reader.push(bytes.subarray(at, at + size));
  return last;
}

describe("scanClientHello", () => {
  it("reads the server name of a real TLS client's ClientHello, lowercased", async () => {
    const hello = await capturedClientHello("Api.Example.COM");
    assert.deepEqual(scanClientHello(hello, MAX), { kind: "hello", serverName: "api.example.com" });
  });

  it("a real client connecting to an IP address names no server", async () => {
    const hello = await capturedClientHello(undefined);
    assert.deepEqual(scanClientHello(hello, MAX), { kind: "hello", serverName: null });
  });

  it("every proper prefix of a ClientHello is incomplete, never decided", async () => {
    const hello = await capturedClientHello("api.example.com");
    for (let n = 0; n < hello.length; n++) assert.equal(scanClientHello(hello.subarray(0, n), MAX).kind, "incomplete", `prefix ${n}`);
  });

  it("reads a ClientHello pushed a byte at a time, or in chunks that split records anywhere", async () => {
    const hello = await capturedClientHello("api.example.com");
    for (const size of [1, 2, 5, 7, 100])
      assert.deepEqual(trickled(hello, size), { kind: "hello", serverName: "api.example.com" }, `chunks of ${size}`);
    const fragmented = inRecords(clientHelloMessage(sniExtension("shop.example")), 1);
    assert.deepEqual(trickled(fragmented, 1), { kind: "hello", serverName: "shop.example" });
    assert.equal(trickled(Buffer.from("GET / HTTP/1.1\r\n"), 1).kind, "malformed", "refused at its first byte");
  });

  it("joins a ClientHello fragmented over several records", () => {
    const message = clientHelloMessage(sniExtension("shop.example"));
    for (const fragment of [1, 3, 50]) {
      assert.deepEqual(scanClientHello(inRecords(message, fragment), MAX), { kind: "hello", serverName: "shop.example" });
    }
  });

  it("a ClientHello without extensions (TLS 1.0–1.2) names no server", () => {
    assert.deepEqual(scanClientHello(inRecords(clientHelloMessage(null)), MAX), { kind: "hello", serverName: null });
  });

  it("refuses what is not a ClientHello", () => {
    const cases: [string, Buffer][] = [
      ["an HTTP request", Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n")],
      ["an SSLv2-style hello", Buffer.from([0x80, 0x2e, 0x01, 0x03, 0x01])],
      ["a record of another major version", Buffer.from([22, 2, 0, 0, 4, 1, 0, 0, 0])],
      ["an empty record", Buffer.from([22, 3, 1, 0, 0])],
      ["a record over 2^14 bytes", Buffer.from([22, 3, 1, 0x40, 0x01])],
      ["a ServerHello", inRecords([2, 0, 0, 0])],
    ];
    for (const [what, bytes] of cases) assert.equal(scanClientHello(bytes, MAX).kind, "malformed", what);
  });

  it("refuses broken server_name extensions and duplicated extensions", () => {
    const cases: [string, number[]][] = [
      ["two host names", sniExtension("a.example", "b.example")],
      ["the extension twice", [...sniExtension("a.example"), ...sniExtension("b.example")]],
      ["an empty host name", sniExtension("")],
      ["a NUL in the name", sniExtension("a.example\0.evil")],
      ["a space in the name", sniExtension("a example")],
      ["a name of 256 bytes", sniExtension("a".repeat(256))],
      ["an empty name list", [0, 0, 0, 2, 0, 0]],
      ["a list longer than the extension", [0, 0, 0, 4, 0, 9, 0, 0]],
    ];
    for (const [what, ext] of cases) assert.equal(scanClientHello(inRecords(clientHelloMessage(ext)), MAX).kind, "malformed", what);
  });

  it("extensions that do not fill the message are refused", () => {
    const message = clientHelloMessage(sniExtension("a.example"));
    message.push(0); // one stray byte after the extensions
    message[3]! += 1; // the handshake length covers it
    assert.equal(scanClientHello(inRecords(message), MAX).kind, "malformed");
  });

  it("a ClientHello announcing more than the limit is refused before it arrives", () => {
    const head = inRecords([1, 0x01, 0x00, 0x00]); // 65,536 bytes announced, none sent
    const scan = scanClientHello(head, 1024);
    assert.equal(scan.kind, "malformed");
    assert.match(scan.kind === "malformed" ? scan.why : "", /65536 bytes/);
  });

  it("never throws on mutated and truncated ClientHellos", async () => {
    const hello = await capturedClientHello("api.example.com");
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const kinds = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(hello);
      for (let m = 1 + rand(4); m > 0; m--) b[rand(b.length)] = rand(256);
      const scan = scanClientHello(b.subarray(0, rand(b.length + 1)), MAX);
      kinds.add(scan.kind);
      if (scan.kind === "hello" && scan.serverName !== null) assert.match(scan.serverName, /^[a-z0-9_.-]+$/);
    }
    assert.ok(kinds.has("malformed") && kinds.has("incomplete"), [...kinds].join());
  });
});
