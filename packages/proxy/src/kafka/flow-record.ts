import type { Disposition } from "../common/disposition.ts";
import type { ConnectionContext } from "../http/connection.ts";

/** The Kafka part of a record (Hubble's `l7.kafka`). */
export interface KafkaFlowInfo {
  /** The API key's name as Cilium's rules write it (`produce`, `fetch`, …), or its number. */
  readonly apiKey: string;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** The first topic the request names ("" when none): Hubble's one `topic`. */
  readonly topic: string;
  /** Every topic the request names. */
  readonly topics: readonly string[];
  /** Set on denied requests and the proxy's own responses: the error code it answered with. */
  readonly errorCode?: number;
}

/**
 * A Kafka L7 flow: one per request when it is decided, one per response when it is complete to
 * the client. An allowed request gives a FORWARDED request and a FORWARDED response (none for a
 * Produce with acks = 0); a denied one gives a DROPPED request and, when the proxy answers it, a
 * DROPPED response (its own error response).
 */
export type KafkaFlowRecord =
  | {
      readonly type: "REQUEST";
      /** AUDIT: a denied request audit mode let through. */
      readonly verdict: Disposition;
      readonly kafka: KafkaFlowInfo;
      readonly connection: ConnectionContext;
      readonly time: Date;
    }
  | {
      readonly type: "RESPONSE";
      readonly verdict: "FORWARDED" | "DROPPED";
      readonly kafka: KafkaFlowInfo;
      /** From the request's decision to the response's last byte sent, in nanoseconds. */
      readonly latencyNs: bigint;
      readonly connection: ConnectionContext;
      readonly time: Date;
    };

/** Receives the proxy's flow records. It must not throw; the proxy ignores what it throws. */
export type KafkaFlowListener = (record: KafkaFlowRecord) => void;

/** Emits records to a listener, if any, ignoring what it throws. */
export class KafkaFlowRecorder {
  readonly #listener: KafkaFlowListener | null;

  constructor(listener: KafkaFlowListener | null) {
    this.#listener = listener;
  }

  /** Records a decided request; returns the time of the decision for the response's latency. */
  request(connection: ConnectionContext, kafka: KafkaFlowInfo, verdict: Disposition): bigint {
    const start = process.hrtime.bigint();
    this.#emit({ type: "REQUEST", verdict, kafka, connection, time: new Date() });
    return start;
  }

  /** Records the response to a request decided at `start`. */
  response(connection: ConnectionContext, kafka: KafkaFlowInfo, verdict: "FORWARDED" | "DROPPED", start: bigint): void {
    if (this.#listener === null) return;
    const latencyNs = process.hrtime.bigint() - start;
    this.#emit({ type: "RESPONSE", verdict, kafka, latencyNs, connection, time: new Date() });
  }

  #emit(record: KafkaFlowRecord): void {
    if (this.#listener === null) return;
    try {
      this.#listener(record);
    } catch {
      // NOTE: a failing listener must not break the connection; the record is lost.
    }
  }
}
