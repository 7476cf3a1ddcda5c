import type { KafkaRule, L7Policy } from "@membrane/engine";
import { KAFKA_API_KEYS, KAFKA_ROLES } from "@membrane/engine";
import { Kafka, logLevel } from "kafkajs";
import type { ConnectionContext } from "../../http/connection.ts";
import type { L7PolicySource } from "../../http/policy-source.ts";
import type { KafkaFlowRecord } from "../flow-record.ts";
import type { KafkaProxyLimits } from "../limits.ts";
import { KafkaProxy } from "../proxy-server.ts";
import { TestBroker, type TestBrokerOptions } from "./broker.ts";

// kafkajs 2.2.4 arms a timer with a negative delay after every response (a harmless bug that
// Node 24 warns about, once per process); only that warning is kept out of the test output.
const warningListeners = process.listeners("warning");
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name !== "TimeoutNegativeWarning") for (const l of warningListeners) l(w);
});

/** The context the test proxies run with. */
export const KAFKA_CONTEXT: ConnectionContext = { sourceIdentity: 4321, destination: "default/kafka", port: 9092, direction: "ingress" };

const pos = { line: 1, column: 1, offset: 0 };

/** A Kafka rule as the engine parses one: `role` or `apiKey` (by name), and optional topic, clientID, apiVersion. */
export function kafkaRule(r: {
  role?: "produce" | "consume";
  apiKey?: string;
  topic?: string;
  clientID?: string;
  apiVersion?: number;
}): KafkaRule {
  const apiKeys = r.role !== undefined ? KAFKA_ROLES.get(r.role)! : r.apiKey !== undefined ? [KAFKA_API_KEYS.get(r.apiKey)!] : [];
  return {
    role: r.role ?? null,
    apiKey: r.apiKey ?? null,
    apiKeys,
    apiVersion: r.apiVersion ?? null,
    clientID: r.clientID ?? null,
    topic: r.topic ?? null,
    pos,
  };
}

/** A `kafka` policy of these rules. */
export function kafkaPolicy(...rules: Parameters<typeof kafkaRule>[0][]): L7Policy {
  return { kind: "kafka", rules: rules.map(kafkaRule) };
}

export const ALLOW_ALL: L7Policy = { kind: "allow-all", parser: "kafka", why: "test" };

/** A proxy in front of a test broker, with what it recorded. */
export interface KafkaStack {
  readonly broker: TestBroker;
  readonly proxy: KafkaProxy;
  readonly proxyPort: number;
  readonly flows: KafkaFlowRecord[];
  readonly errors: string[];
  /** Replaces the policy the proxy enforces (it asks before every request). */
  setPolicy(policy: L7Policy): void;
  /** A kafkajs client talking to the broker through the proxy. */
  client(clientId?: string): Kafka;
  close(): Promise<void>;
}

/** Starts a test broker and a proxy in front of it enforcing `policy`; the broker advertises the proxy. */
export async function startStack(
  policy: L7Policy,
  options: { broker?: TestBrokerOptions; limits?: Partial<KafkaProxyLimits> } = {},
): Promise<KafkaStack> {
  const broker = await TestBroker.start(options.broker);
  const flows: KafkaFlowRecord[] = [];
  const errors: string[] = [];
  let current = policy;
  const source: L7PolicySource = { policyFor: () => current };
  const proxy = new KafkaProxy({
    policy: source,
    route: { context: KAFKA_CONTEXT, upstream: { host: "127.0.0.1", port: broker.port } },
    limits: options.limits ?? {},
    onFlow: (r) => flows.push(r),
    onError: (m) => errors.push(m),
  });
  const bound = await proxy.listen("127.0.0.1", 0);
  if (!bound.ok) throw new Error(bound.error);
  broker.advertise("127.0.0.1", bound.value.port);
  return {
    broker,
    proxy,
    proxyPort: bound.value.port,
    flows,
    errors,
    setPolicy: (p) => {
      current = p;
    },
    client: (clientId = "membrane-test") =>
      new Kafka({
        clientId,
        brokers: [`127.0.0.1:${bound.value.port}`],
        logLevel: logLevel.NOTHING,
        connectionTimeout: 1000,
        requestTimeout: 3000,
        retry: { retries: 0, initialRetryTime: 50, maxRetryTime: 200 },
      }),
    close: async () => {
      await proxy.close();
      await broker.close();
    },
  };
}

/** A proxy alone, with what it recorded. */
export interface TestKafkaProxy {
  readonly proxy: KafkaProxy;
  readonly port: number;
  readonly flows: KafkaFlowRecord[];
  readonly errors: string[];
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 enforcing `policy` (or asking `source`), forwarding to 127.0.0.1:`upstreamPort`. */
export async function startProxy(
  policy: L7Policy | L7PolicySource,
  upstreamPort: number,
  limits: Partial<KafkaProxyLimits> = {},
): Promise<TestKafkaProxy> {
  const flows: KafkaFlowRecord[] = [];
  const errors: string[] = [];
  const source: L7PolicySource = "policyFor" in policy ? policy : { policyFor: () => policy };
  const proxy = new KafkaProxy({
    policy: source,
    route: { context: KAFKA_CONTEXT, upstream: { host: "127.0.0.1", port: upstreamPort } },
    limits,
    onFlow: (r) => flows.push(r),
    onError: (m) => errors.push(m),
  });
  const bound = await proxy.listen("127.0.0.1", 0);
  if (!bound.ok) throw new Error(bound.error);
  return { proxy, port: bound.value.port, flows, errors, close: () => proxy.close() };
}
