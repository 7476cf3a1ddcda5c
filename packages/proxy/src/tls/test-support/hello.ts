import { createServer, type AddressInfo } from "node:net";
import { connect as tlsConnect } from "node:tls";

/** The bytes Node's TLS client sends first (its ClientHello records) when asked for `servername`. */
export async function capturedClientHello(servername: string | undefined): Promise<Buffer> {
  let received = Buffer.alloc(0);
  const server = createServer((s) => {
    s.on("data", (d: Buffer) => {
      received = Buffer.concat([received, d]);
    });
    s.on("error", () => undefined);
    // The whole first flight arrives well within this; then the client is cut off.
    setTimeout(() => s.destroy(), 100);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => {
    const c = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...(servername === undefined ? {} : { servername }) });
    c.on("error", () => resolve());
    c.on("close", () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return received;
}

const u16 = (n: number): number[] => [n >> 8, n & 255];
const u24 = (n: number): number[] => [n >> 16, (n >> 8) & 255, n & 255];

/** A server_name extension (type 0) carrying `names` as host_name entries. */
export function sniExtension(...names: string[]): number[] {
  const entries = names.flatMap((n) => [0, ...u16(n.length), ...Buffer.from(n, "latin1")]);
  return [...u16(0), ...u16(entries.length + 2), ...u16(entries.length), ...entries];
}

/** A ClientHello handshake message with `extensions` (their bytes, joined; null: no extensions block). */
export function clientHelloMessage(extensions: number[] | null): number[] {
  const body = [
    3,
    3, // legacy_version TLS 1.2
    ...new Array<number>(32).fill(7), // random
    0, // session id
    ...u16(2),
    0x13,
    0x01, // one cipher suite
    1,
    0, // compression: null
    ...(extensions === null ? [] : [...u16(extensions.length), ...extensions]),
  ];
  return [1, ...u24(body.length), ...body];
}

/** `message` in TLS handshake records of at most `fragment` bytes each. */
export function inRecords(message: readonly number[], fragment = 1 << 14): Buffer {
  const out: number[] = [];
  for (let at = 0; at < message.length; at += fragment) {
    const part = message.slice(at, at + fragment);
    out.push(22, 3, 1, ...u16(part.length), ...part);
  }
  return Buffer.from(out);
}
