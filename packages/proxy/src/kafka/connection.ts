import type { Socket } from "node:net";
import type { L7Policy } from "@membrane/engine";
import { dialUpstream, type Dialer } from "../common/dial.ts";
import { disposition } from "../common/disposition.ts";
import type { ConnectionRoute } from "../http/connection.ts";
import type { L7PolicySource } from "../http/policy-source.ts";
import { apiKeyName, KAFKA_ERROR } from "./api-names.ts";
import { decideKafka, type KafkaVerdict } from "./decide.ts";
import type { KafkaFlowInfo, KafkaFlowRecorder } from "./flow-record.ts";
import { RequestFrameReader, ResponseSplitter, type RequestFrame } from "./framing.ts";
import type { KafkaProxyLimits } from "./limits.ts";
import { decodeRequest, type DecodedRequest } from "./request.ts";
import { deniedResponse } from "./response.ts";

/** What serving one connection needs from the proxy. */
export interface KafkaConnectionDeps {
  readonly route: ConnectionRoute;
  readonly policy: L7PolicySource;
  readonly limits: KafkaProxyLimits;
  readonly flows: KafkaFlowRecorder;
  readonly onError: (message: string) => void;
  readonly dial: Dialer;
}

/** A response the client is owed, in request order. */
type Slot =
  | { readonly kind: "upstream"; readonly correlationId: number; readonly info: KafkaFlowInfo; readonly start: bigint }
  | { readonly kind: "local"; readonly bytes: Uint8Array; readonly info: KafkaFlowInfo; readonly start: bigint }
  | { readonly kind: "close" };

const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);

/**
 * One client connection of the Kafka proxy. Request frames are read whole and decided one by one
 * in order: an allowed request goes to the upstream broker at once (one upstream connection per
 * client connection, opened at the first allowed request); a denied one is answered by the proxy.
 * The client gets its responses in request order: the proxy's own answers wait behind earlier
 * responses still to come from the broker, whose responses must come in order too (a response
 * whose correlation id is not the one expected ends the connection).
 *
 * Malformed or oversized frames, a broken upstream, and requests the proxy must deny but cannot
 * answer (APIs or versions it does not read) end the connection; nothing of them is forwarded.
 */
export class KafkaConnection {
  readonly #client: Socket;
  readonly #deps: KafkaConnectionDeps;
  readonly #reader: RequestFrameReader;
  readonly #splitter = new ResponseSplitter();
  /** Whole frames not yet decided (reading pauses while any wait). */
  readonly #frames: RequestFrame[] = [];
  readonly #slots: Slot[] = [];
  #upstream: Socket | null = null;
  #upstreamBlocked = false;
  #clientBlocked = false;
  #clientEnded = false;
  /** A request that ends the connection was read: read no more. */
  #closing = false;
  #dead = false;
  #frameTimer: NodeJS.Timeout | null = null;

  constructor(client: Socket, deps: KafkaConnectionDeps) {
    this.#client = client;
    this.#deps = deps;
    this.#reader = new RequestFrameReader(deps.limits.maxFrameBytes);
    client.setNoDelay(true);
    client.setTimeout(deps.limits.idleTimeoutMs, () => {
      if (this.#slots.length === 0 && this.#frames.length === 0) this.destroy();
    });
    client.on("data", (chunk: Buffer) => this.#onClientData(chunk));
    client.on("end", () => {
      this.#clientEnded = true;
      this.#maybeFinish();
    });
    client.on("error", () => this.destroy());
    client.on("close", () => this.destroy());
  }

  /** Ends the connection at once, client and upstream. */
  destroy(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#clearFrameTimer();
    this.#client.destroy();
    this.#upstream?.destroy();
  }

  #fail(message: string): void {
    if (this.#dead) return;
    this.#deps.onError(`kafka connection from ${this.#client.remoteAddress ?? "?"}:${this.#client.remotePort ?? 0}: ${message}`);
    this.destroy();
  }

  #onClientData(chunk: Buffer): void {
    if (this.#dead || this.#closing) return;
    const before = this.#frames.length;
    const r = this.#reader.push(view(chunk));
    if (!r.ok) return this.#fail(r.error);
    this.#frames.push(...r.value);
    if (this.#reader.pending === 0 || this.#frames.length > before) this.#clearFrameTimer();
    if (this.#reader.pending > 0) {
      this.#frameTimer ??= setTimeout(() => this.#fail("a request frame took too long to arrive"), this.#deps.limits.frameTimeoutMs);
    }
    this.#pump();
  }

  #clearFrameTimer(): void {
    if (this.#frameTimer !== null) clearTimeout(this.#frameTimer);
    this.#frameTimer = null;
  }

  /** Decides waiting frames while the in-flight bound and the upstream allow; pauses reading otherwise. */
  #pump(): void {
    const max = this.#deps.limits.maxInFlight;
    while (!this.#dead && !this.#closing && this.#frames.length > 0 && this.#slots.length < max && !this.#upstreamBlocked) {
      this.#handle(this.#frames.shift()!);
    }
    if (this.#dead) return;
    if (this.#closing || this.#frames.length > 0 || this.#slots.length >= max || this.#upstreamBlocked) this.#client.pause();
    else if (!this.#clientEnded) this.#client.resume();
    this.#maybeFinish();
  }

  #handle(frame: RequestFrame): void {
    const decoded = decodeRequest(frame.message);
    if (!decoded.ok) return this.#fail(`malformed request at byte ${decoded.error.offset}: ${decoded.error.message}`);
    const req = decoded.value;
    const info: KafkaFlowInfo = {
      apiKey: apiKeyName(req.header.apiKey),
      apiVersion: req.header.apiVersion,
      correlationId: req.header.correlationId,
      topic: req.topics[0] ?? "",
      topics: req.topics,
    };
    const context = this.#deps.route.context;
    const verdict = this.#decide(req);
    // Audit mode forwards a request the policy denies, recorded AUDIT.
    const forwarded = disposition(verdict.kind === "allow", this.#deps.policy, context);
    if (forwarded !== "DROPPED") {
      const start = this.#deps.flows.request(context, info, forwarded);
      if (req.expectsResponse) this.#slots.push({ kind: "upstream", correlationId: req.header.correlationId, info, start });
      this.#forward(frame.bytes);
      return;
    }
    const denied: KafkaFlowInfo = { ...info, errorCode: KAFKA_ERROR.TOPIC_AUTHORIZATION_FAILED };
    const start = this.#deps.flows.request(context, denied, "DROPPED");
    // A Produce with acks = 0 gets no response from a broker either.
    if (!req.expectsResponse) return;
    const bytes = deniedResponse(req);
    if (bytes === null) {
      this.#deps.onError(`cannot answer a denied ${info.apiKey} v${info.apiVersion} request: closing the connection`);
      this.#slots.push({ kind: "close" });
      this.#closing = true;
    } else {
      this.#slots.push({ kind: "local", bytes, info: denied, start });
    }
    this.#flushLocal();
  }

  #decide(req: DecodedRequest): KafkaVerdict {
    let policy: L7Policy;
    try {
      policy = this.#deps.policy.policyFor(this.#deps.route.context);
    } catch (e) {
      return { kind: "deny", reason: `policy source failed: ${String(e)}` };
    }
    const { apiKey, apiVersion, clientId } = req.header;
    return decideKafka(policy, { apiKey, apiVersion, clientID: clientId ?? "", topics: req.topics });
  }

  #forward(bytes: Uint8Array): void {
    const upstream = this.#upstream ?? this.#connectUpstream();
    if (!upstream.write(bytes) && !this.#upstreamBlocked) {
      this.#upstreamBlocked = true;
      upstream.once("drain", () => {
        this.#upstreamBlocked = false;
        this.#pump();
      });
    }
  }

  #connectUpstream(): Socket {
    const { dial, route, limits } = this.#deps;
    const upstream = dialUpstream(
      dial,
      route.upstream,
      limits.connectTimeoutMs,
      (m) => this.#fail(m),
      () => this.destroy(),
    );
    this.#upstream = upstream;
    upstream.on("data", (chunk: Buffer) => this.#onUpstreamData(chunk));
    return upstream;
  }

  #onUpstreamData(chunk: Buffer): void {
    if (this.#dead) return;
    const r = this.#splitter.push(view(chunk));
    if (!r.ok) return this.#fail(`upstream: ${r.error}`);
    for (const piece of r.value) {
      if (this.#dead) return;
      switch (piece.kind) {
        case "start": {
          const head = this.#slots[0];
          if (head?.kind !== "upstream" || head.correlationId !== piece.correlationId) {
            const expected = head?.kind === "upstream" ? String(head.correlationId) : "none";
            return this.#fail(`upstream sent a response to correlation id ${piece.correlationId}, expected ${expected}`);
          }
          break;
        }
        case "data":
          this.#writeClient(piece.bytes);
          break;
        case "end": {
          const head = this.#slots.shift();
          if (head?.kind === "upstream") this.#deps.flows.response(this.#deps.route.context, head.info, "FORWARDED", head.start);
          this.#flushLocal();
          break;
        }
      }
    }
    this.#pump();
  }

  /** Writes to the client; while its buffer is full, the upstream is not read. */
  #writeClient(bytes: Uint8Array): void {
    if (this.#client.write(bytes) || this.#clientBlocked) return;
    this.#clientBlocked = true;
    this.#upstream?.pause();
    this.#client.once("drain", () => {
      this.#clientBlocked = false;
      this.#upstream?.resume();
    });
  }

  /** Sends the proxy's own responses that are next in order; ends the connection at a close mark. */
  #flushLocal(): void {
    while (!this.#dead && this.#slots.length > 0 && this.#slots[0]!.kind !== "upstream") {
      const slot = this.#slots.shift()!;
      if (slot.kind === "close") return this.#end();
      if (slot.kind !== "local") continue;
      this.#writeClient(slot.bytes);
      this.#deps.flows.response(this.#deps.route.context, slot.info, "DROPPED", slot.start);
    }
  }

  /** A client that half-closed gets the rest of its responses, then the end. */
  #maybeFinish(): void {
    if (this.#clientEnded && !this.#dead && this.#frames.length === 0 && this.#slots.length === 0) this.#end();
  }

  /** Ends the connection after the bytes already written to the client. */
  #end(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#clearFrameTimer();
    this.#upstream?.destroy();
    this.#client.end(() => this.#client.destroy());
  }
}
