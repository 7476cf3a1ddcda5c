import { err, ok, type Result } from "@membrane/engine";
import { MIN_REQUEST_BYTES } from "./request.ts";

/**
 * Kafka's framing: every request and response is an int32 size, then that many bytes. Requests
 * are collected whole (the proxy must read one before deciding it), with a bound on their size;
 * responses are relayed as they arrive, once their correlation id is known.
 */

/** Bytes received but not yet framed, kept as chunks so a large frame is copied once. */
class ByteQueue {
  readonly #chunks: Uint8Array[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** The int32 at `offset` (the caller checked there are enough bytes). */
  int32At(offset: number): number {
    const b = this.peek(offset + 4).subarray(offset);
    return new DataView(b.buffer, b.byteOffset, 4).getInt32(0);
  }

  /** The first `n` bytes, contiguous (merging chunks as needed), without removing them. */
  peek(n: number): Uint8Array {
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    this.#merge(n);
    return this.#chunks[0]!.subarray(0, n);
  }

  /** Removes and returns the first `n` bytes. */
  take(n: number): Uint8Array {
    const out = this.peek(n);
    this.#drop(n);
    return out;
  }

  /** Removes and returns everything buffered, as chunks. */
  takeAll(): Uint8Array[] {
    const out = this.#chunks.splice(0);
    this.#length = 0;
    return out;
  }

  #merge(n: number): void {
    const merged = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.#chunks.shift()!;
      const use = Math.min(c.length, n - filled);
      merged.set(c.subarray(0, use), filled);
      filled += use;
      if (use < c.length) this.#chunks.unshift(c.subarray(use));
    }
    this.#chunks.unshift(merged);
  }

  #drop(n: number): void {
    let left = n;
    while (left > 0) {
      const c = this.#chunks[0]!;
      if (c.length <= left) {
        this.#chunks.shift();
        left -= c.length;
      } else {
        this.#chunks[0] = c.subarray(left);
        left = 0;
      }
    }
    this.#length -= n;
  }
}

/** One whole request frame. */
export interface RequestFrame {
  /** The frame as received, size prefix included (what is forwarded). */
  readonly bytes: Uint8Array;
  /** The message after the size prefix (what is decoded). */
  readonly message: Uint8Array;
}

/**
 * Collects request frames from a byte stream. A size that is negative, smaller than a request
 * header or larger than `maxFrameBytes` is an error, after which the reader refuses everything.
 */
export class RequestFrameReader {
  readonly #maxFrameBytes: number;
  readonly #queue = new ByteQueue();
  #failed: string | null = null;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Adds a chunk; the frames it completed, or why the stream is not Kafka requests. */
  push(chunk: Uint8Array): Result<RequestFrame[], string> {
    if (this.#failed !== null) return err(this.#failed);
    this.#queue.push(chunk);
    const frames: RequestFrame[] = [];
    while (this.#queue.length >= 4) {
      const size = this.#queue.int32At(0);
      if (size < MIN_REQUEST_BYTES || size > this.#maxFrameBytes) {
        this.#failed =
          size < 0
            ? `negative frame size ${size}`
            : size < MIN_REQUEST_BYTES
              ? `frame of ${size} bytes is shorter than a request header`
              : `frame of ${size} bytes exceeds the limit of ${this.#maxFrameBytes}`;
        this.#queue.takeAll();
        return err(this.#failed);
      }
      if (this.#queue.length < 4 + size) break;
      const bytes = this.#queue.take(4 + size);
      frames.push({ bytes, message: bytes.subarray(4) });
    }
    return ok(frames);
  }

  /** Bytes of an unfinished frame held back. */
  get pending(): number {
    return this.#queue.length;
  }
}

/** A piece of the response stream, in order: a frame's start, its bytes (prefix included), its end. */
export type ResponsePiece =
  | { readonly kind: "start"; readonly correlationId: number; readonly size: number }
  | { readonly kind: "data"; readonly bytes: Uint8Array }
  | { readonly kind: "end" };

/** The size prefix and the correlation id. */
const RESPONSE_HEAD_BYTES = 8;

/**
 * Splits a response stream into frames without holding their bodies: a frame's first 8 bytes
 * (size and correlation id) are held until complete, then everything passes through. A size
 * smaller than a correlation id is an error.
 */
export class ResponseSplitter {
  readonly #head = new ByteQueue();
  /** Body bytes still to pass of the current frame; -1 between frames. */
  #left = -1;
  #failed: string | null = null;

  /** Adds a chunk; its pieces, or why the stream is not Kafka responses. */
  push(chunk: Uint8Array): Result<ResponsePiece[], string> {
    if (this.#failed !== null) return err(this.#failed);
    const pieces: ResponsePiece[] = [];
    let rest = chunk;
    while (rest.length > 0 || this.#left === 0) {
      if (this.#left === 0) {
        pieces.push({ kind: "end" });
        this.#left = -1;
        continue;
      }
      if (this.#left > 0) {
        const n = Math.min(this.#left, rest.length);
        pieces.push({ kind: "data", bytes: rest.subarray(0, n) });
        this.#left -= n;
        rest = rest.subarray(n);
        continue;
      }
      const need = RESPONSE_HEAD_BYTES - this.#head.length;
      this.#head.push(rest.subarray(0, need));
      rest = rest.subarray(Math.min(need, rest.length));
      if (this.#head.length < RESPONSE_HEAD_BYTES) break;
      const head = this.#head.take(RESPONSE_HEAD_BYTES);
      const view = new DataView(head.buffer, head.byteOffset, RESPONSE_HEAD_BYTES);
      const size = view.getInt32(0);
      if (size < 4) {
        this.#failed = `response frame size ${size} is too small`;
        return err(this.#failed);
      }
      pieces.push({ kind: "start", correlationId: view.getInt32(4), size }, { kind: "data", bytes: head.slice() });
      this.#left = size - 4;
    }
    return ok(pieces);
  }

  /** Whether the stream is between frames. */
  get idle(): boolean {
    return this.#left === -1 && this.#head.length === 0;
  }
}
