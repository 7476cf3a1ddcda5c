import { plainDialer } from "../common/dial.ts";
import { ProxyListener, type TcpProxyOptions } from "../common/proxy-listener.ts";
import { KafkaConnection } from "./connection.ts";
import { KafkaFlowRecorder, type KafkaFlowListener } from "./flow-record.ts";
import { DEFAULT_KAFKA_PROXY_LIMITS, type KafkaProxyLimits } from "./limits.ts";

/** How to run a {@link KafkaProxy}. */
export type KafkaProxyOptions = TcpProxyOptions<KafkaProxyLimits, KafkaFlowListener>;

/**
 * The Kafka L7 proxy (Cilium's Kafka proxylib semantics, `policy-semantics.md` §8.2): accepts TCP
 * connections from Kafka clients and enforces the connection's L7 policy on every request.
 * Allowed requests go to the route's upstream broker and its responses come back; denied ones
 * never reach it and get a TOPIC_AUTHORIZATION_FAILED response from the proxy, in order.
 */
export class KafkaProxy extends ProxyListener {
  /** The limits in force. */
  readonly limits: KafkaProxyLimits;

  constructor(options: KafkaProxyOptions) {
    const limits = { ...DEFAULT_KAFKA_PROXY_LIMITS, ...options.limits };
    const flows = new KafkaFlowRecorder(options.onFlow ?? null);
    super(
      options.route,
      (socket, route) =>
        new KafkaConnection(socket, {
          route,
          policy: options.policy,
          limits,
          flows,
          onError: options.onError ?? (() => undefined),
          dial: options.dial ?? plainDialer,
        }),
    );
    this.limits = limits;
  }
}
