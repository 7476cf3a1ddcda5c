import type { Disposition } from "../common/disposition.ts";
import type { HeaderAction } from "@membrane/engine";
import type { ConnectionContext } from "./connection.ts";

/** The HTTP version of an exchange, as Hubble writes it. */
export type HttpProtocol = "HTTP/1.0" | "HTTP/1.1" | "HTTP/2";

/** One header of a recorded request or response (Hubble's `HTTPHeader`). */
export interface RecordedHeader {
  readonly key: string;
  readonly value: string;
}

/** The HTTP part of a request record (Hubble's `l7.http` on a REQUEST). */
export interface HttpRequestInfo {
  readonly method: string;
  /** `http://<authority><path>`, query included. */
  readonly url: string;
  readonly protocol: HttpProtocol;
  /** The request's headers as forwarded (after header actions), or as received when denied. */
  readonly headers: readonly RecordedHeader[];
}

/** The HTTP part of a response record (Hubble's `l7.http` on a RESPONSE). */
export interface HttpResponseInfo extends HttpRequestInfo {
  /** The status sent to the client; 403 for a denial (also when sent as a gRPC trailers-only reply). */
  readonly code: number;
}

/**
 * An L7 flow: one per request when it is decided, one per response when its headers go to the
 * client. A denied request gives a DROPPED request record and a DROPPED response record (the
 * proxy's own 403).
 */
export type L7FlowRecord =
  | {
      readonly type: "REQUEST";
      /** AUDIT: a denied request audit mode let through. */
      readonly verdict: Disposition;
      readonly http: HttpRequestInfo;
      /** Header actions of the matching rules (including `log` mismatches); empty when denied. */
      readonly actions: readonly HeaderAction[];
      readonly connection: ConnectionContext;
      readonly time: Date;
    }
  | {
      readonly type: "RESPONSE";
      readonly verdict: "FORWARDED" | "DROPPED";
      readonly http: HttpResponseInfo;
      /** From the request's decision to the response headers, in nanoseconds. */
      readonly latencyNs: bigint;
      readonly connection: ConnectionContext;
      readonly time: Date;
    };

/** Receives the proxy's flow records. It must not throw; the proxy ignores what it throws. */
export type FlowListener = (record: L7FlowRecord) => void;
