import dgram from "node:dgram";
import { connect, type Socket } from "node:net";
import { encodeMessage } from "../wire.ts";
import { FrameReader, frame } from "../tcp-framing.ts";
import { CLASS_IN, type DnsMessage } from "../wire-types.ts";
import { decodeMessage } from "../wire.ts";

/** A query message for `name`. */
export function queryMessage(name: string, type: number, id: number, rd = true): DnsMessage {
  return {
    header: { id, qr: false, opcode: 0, aa: false, tc: false, rd, ra: false, z: false, ad: false, cd: false, rcode: 0 },
    questions: [{ name, type, class: CLASS_IN }],
    answers: [],
    authorities: [],
    additionals: [],
  };
}

/** The bytes of a query for `name`. */
export function buildQuery(name: string, type: number, id: number, rd = true): Uint8Array {
  const r = encodeMessage(queryMessage(name, type, id, rd));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** Decodes bytes a test expects to be a message. */
export function mustDecode(bytes: Uint8Array): DnsMessage {
  const r = decodeMessage(bytes);
  if (!r.ok) throw new Error(`not a DNS message: ${r.error.message}`);
  return r.value;
}

/** Sends one datagram to 127.0.0.1:`port`; resolves with the first reply, or null after `timeoutMs`. */
export async function udpExchange(port: number, bytes: Uint8Array, timeoutMs = 2000): Promise<Uint8Array | null> {
  const sock = dgram.createSocket("udp4");
  try {
    return await new Promise<Uint8Array | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      sock.once("message", (m) => {
        clearTimeout(timer);
        resolve(new Uint8Array(m));
      });
      sock.send(bytes, port, "127.0.0.1");
    });
  } finally {
    sock.close();
  }
}

/** A raw DNS-over-TCP client: sends framed messages, reads framed answers. */
export class TcpDnsClient {
  readonly #socket: Socket;
  readonly #reader = new FrameReader();
  readonly #frames: Uint8Array[] = [];
  #waiters: (() => void)[] = [];
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#frames.push(...this.#reader.push(new Uint8Array(chunk)));
      this.#wake();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on("error", () => undefined);
  }

  /** Connects to 127.0.0.1:`port`. */
  static connect(port: number): Promise<TcpDnsClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: "127.0.0.1" }, () => {
        s.off("error", reject);
        resolve(new TcpDnsClient(s));
      });
      s.once("error", reject);
    });
  }

  /** Sends one message with its length prefix. */
  send(bytes: Uint8Array): void {
    this.#socket.write(frame(bytes));
  }

  /** Sends raw bytes (for malformed framing). */
  sendRaw(bytes: Uint8Array): void {
    this.#socket.write(bytes);
  }

  /** The next answer, or null when the connection closed first or `timeoutMs` passed. */
  async next(timeoutMs = 3000): Promise<Uint8Array | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.#frames.length === 0 && !this.#closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.#frames.shift() ?? null;
  }

  /** Whether the server closed the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Waits until the server closes the connection (true) or `timeoutMs` passes (false). */
  async waitClosed(timeoutMs = 3000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed && Date.now() < deadline) await this.next(deadline - Date.now());
    return this.#closed;
  }

  /** Half-closes (no more queries). */
  end(): void {
    this.#socket.end();
  }

  /** Closes the connection. */
  destroy(): void {
    this.#socket.destroy();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }
}
