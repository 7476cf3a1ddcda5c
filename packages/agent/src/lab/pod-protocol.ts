/**
 * The JSON-lines protocol between a lab's controller (pod-handle.ts) and the process that plays a
 * pod (pod-runtime.ts): the servers a pod runs and the exchanges its client performs.
 */

/**
 * What a pod serves on a port: TCP (one server for the greeting-and-echo, HTTP/1.1, gRPC over
 * h2c, TLS, DNS and a Kafka broker stand-in, told apart by who speaks first and what) or UDP (DNS
 * queries answered from the zone, anything else echoed).
 */
export type ServerKind = "TCP" | "UDP";

/**
 * What a connection must achieve to count as allowed: the server's greeting (the default: the
 * handshake and data both passed), only the handshake (a flow the proxy holds until the client
 * speaks), an HTTP or gRPC request answered by the server, a Kafka request answered by the
 * broker, a TLS handshake completed with the server, or a DNS query answered (UDP or TCP).
 */
export type Exchange =
  | { readonly kind: "greeting" }
  | { readonly kind: "handshake" }
  | {
      readonly kind: "http";
      readonly method: string;
      readonly path: string;
      readonly headers: readonly (readonly [string, string])[];
      readonly host: string | null;
    }
  | { readonly kind: "kafka"; readonly request: string }
  /** A unary gRPC call to `path` (`/package.Service/Method`) over h2c, answered by the server. */
  | { readonly kind: "grpc"; readonly path: string }
  /** A TLS handshake asking for `serverName` (null: no SNI), then the greeting inside it. */
  | { readonly kind: "tls"; readonly serverName: string | null }
  /** An A query for `name` (UDP, or TCP length-prefixed); answered unless the DNS proxy REFUSED it (`l4Only`: any answer will do). */
  | { readonly kind: "dns"; readonly name: string; readonly l4Only: boolean };

export type ConnectProtocol = "TCP" | "UDP" | "ICMP";

export interface ConnectRequest {
  readonly protocol: ConnectProtocol;
  readonly ip: string;
  readonly port: number;
  readonly timeoutMs: number;
  /** The local address to send from (a world address of the fabric). */
  readonly source?: string | undefined;
  /** What success means (TCP default: the greeting; UDP default: the echo). */
  readonly exchange?: Exchange | undefined;
}

/** The error an exchange ends with when an L7 proxy answered instead of the server (its detail follows). */
export const L7_DENIED = "L7_DENIED";

/** What the pod's Kafka stand-in puts in every response body, so a client tells it from the proxy's own answer. */
export const KAFKA_MARKER = "membrane-broker";
