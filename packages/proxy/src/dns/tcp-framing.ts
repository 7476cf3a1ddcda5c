/**
 * DNS over TCP framing (RFC 1035 §4.2.2, RFC 7766 §8): every message is preceded by its length as
 * two bytes. A reader collects whole messages from arbitrary chunks; it never holds more than one
 * partial message plus one chunk.
 */

/** Collects length-prefixed messages from a byte stream. */
export class FrameReader {
  #buffer: Uint8Array = new Uint8Array(0);

  /** Adds a chunk and returns the messages it completed (possibly empty ones: the caller judges them). */
  push(chunk: Uint8Array): Uint8Array[] {
    const buf = this.#buffer.length === 0 ? chunk : concat2(this.#buffer, chunk);
    const frames: Uint8Array[] = [];
    let pos = 0;
    while (pos + 2 <= buf.length) {
      const len = (buf[pos]! << 8) | buf[pos + 1]!;
      if (pos + 2 + len > buf.length) break;
      frames.push(buf.slice(pos + 2, pos + 2 + len));
      pos += 2 + len;
    }
    this.#buffer = buf.slice(pos);
    return frames;
  }

  /** Bytes of an unfinished message held back. */
  get pending(): number {
    return this.#buffer.length;
  }
}

/** Prefixes a message with its 2-byte length. The message must be at most 65,535 bytes. */
export function frame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(message.length + 2);
  out[0] = message.length >> 8;
  out[1] = message.length & 0xff;
  out.set(message, 2);
  return out;
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
