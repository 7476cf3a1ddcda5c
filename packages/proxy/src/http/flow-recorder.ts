import type { Disposition } from "../common/disposition.ts";
import type { HeaderAction } from "@membrane/engine";
import type { ConnectionContext } from "./connection.ts";
import type { FlowListener, HttpProtocol } from "./flow-record.ts";
import { recordHeaders, type ReadonlyHeaders } from "./headers.ts";

/** The parts of a request a flow record names. */
export interface RecordedRequest {
  readonly method: string;
  readonly authority: string;
  readonly path: string;
  readonly protocol: HttpProtocol;
}

/**
 * Builds and emits flow records; does nothing (and builds nothing) without a listener. A listener
 * that throws is ignored: observability never breaks forwarding.
 */
export class FlowRecorder {
  readonly #listener: FlowListener | null;

  constructor(listener: FlowListener | null) {
    this.#listener = listener;
  }

  /** Records a decided request; returns the time of the decision for the response's latency. */
  request(
    connection: ConnectionContext,
    req: RecordedRequest,
    verdict: Disposition,
    headers: ReadonlyHeaders,
    actions: readonly HeaderAction[],
  ): bigint {
    const start = process.hrtime.bigint();
    if (this.#listener === null) return start;
    const http = { method: req.method, url: urlOf(req), protocol: req.protocol, headers: recordHeaders(headers) };
    this.#emit({ type: "REQUEST", verdict, http, actions, connection, time: new Date() });
    return start;
  }

  /** Records the response to a request decided at `start`. */
  response(
    connection: ConnectionContext,
    req: RecordedRequest,
    verdict: "FORWARDED" | "DROPPED",
    code: number,
    headers: ReadonlyHeaders,
    start: bigint,
  ): void {
    if (this.#listener === null) return;
    const latencyNs = process.hrtime.bigint() - start;
    const http = { method: req.method, url: urlOf(req), protocol: req.protocol, code, headers: recordHeaders(headers) };
    this.#emit({ type: "RESPONSE", verdict, http, latencyNs, connection, time: new Date() });
  }

  #emit(record: Parameters<FlowListener>[0]): void {
    try {
      this.#listener?.(record);
    } catch {
      // NOTE: a failing listener must not break the connection; the record is lost.
    }
  }
}

function urlOf(req: RecordedRequest): string {
  return req.path === "*" ? `http://${req.authority}` : `http://${req.authority}${req.path}`;
}
