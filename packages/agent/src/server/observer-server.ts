/**
 * The agent's observer API over HTTP (what `membrane observe` talks to, like Hubble's Observer
 * service): `GET /v1/flows` (the ring's flows as JSON lines, oldest first; `?follow=true` keeps the
 * response open and streams each new flow), `GET /v1/status` (Hubble's ServerStatus numbers) and
 * `GET /metrics` (Prometheus text: Hubble's metric names and labels, and membrane's own figures).
 * A follower gets the line `{"history_end":true}` between the ring's flows and the live ones.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeQuery, queryPredicate } from "@membrane/engine";
import { withNodeName, type Counter, type FlowObserver } from "../observer/flow-observer.ts";

/** Figures of the agent itself, read when /metrics is scraped. */
export interface AgentFigures {
  readonly policies: number;
  /** Security identities the engine knows. */
  readonly identities: number;
  readonly nodes: readonly {
    readonly name: string;
    readonly policyEntries: number;
    readonly policyCapacity: number;
    readonly lostEvents: number;
    /** Engine changes the node's agent applied to its kernel, and the seconds it took in all. */
    readonly regenerations: number;
    readonly regenerationSeconds: number;
  }[];
}

function metricLines(name: string, help: string, labels: readonly string[], c: Counter): string[] {
  const esc = (v: string): string => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
  const rows = [...c].map(([key, n]) => {
    const values = key.split("\u0000");
    return `${name}{${labels.map((l, i) => `${l}="${esc(values[i] ?? "")}"`).join(",")}} ${n}`;
  });
  return [`# HELP ${name} ${help}`, `# TYPE ${name} counter`, ...rows];
}

/** The Prometheus exposition of the observer's counters and the agent's figures. */
export function metricsText(observer: FlowObserver, figures: AgentFigures): string {
  const nodes = (name: string, help: string, type: string, pick: (n: AgentFigures["nodes"][number]) => number): string[] => [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} ${type}`,
    ...figures.nodes.map((n) => `${name}{node="${n.name}"} ${pick(n)}`),
  ];
  return [
    ...metricLines(
      "hubble_flows_processed_total",
      "Total number of flows processed",
      ["type", "subtype", "verdict", "protocol"],
      observer.processed,
    ),
    ...metricLines("hubble_drop_total", "Number of drops", ["reason", "protocol"], observer.drops),
    ...metricLines("hubble_policy_verdicts_total", "Number of policy verdicts", ["direction", "match", "action"], observer.policyVerdicts),
    ...metricLines("hubble_http_requests_total", "Count of HTTP requests", ["method", "protocol", "reporter"], observer.httpRequests),
    ...metricLines(
      "hubble_http_responses_total",
      "Count of HTTP responses",
      ["method", "protocol", "status", "reporter"],
      observer.httpResponses,
    ),
    ...metricLines("hubble_dns_queries_total", "Number of DNS queries observed", ["rcode", "qtypes", "ips_returned"], observer.dnsQueries),
    ...metricLines(
      "hubble_dns_responses_total",
      "Number of DNS responses observed",
      ["rcode", "qtypes", "ips_returned"],
      observer.dnsResponses,
    ),
    ...metricLines(
      "hubble_kafka_requests_total",
      "Count of Kafka requests",
      ["topic", "api_key", "error_code", "reporter"],
      observer.kafkaRequests,
    ),
    ...nodes("hubble_lost_events_total", "Number of lost events (datapath ring full or rate limited)", "counter", (n) => n.lostEvents),
    ...nodes("membrane_policy_map_entries", "Entries in the node's kernel policy map", "gauge", (n) => n.policyEntries),
    ...nodes("membrane_policy_map_capacity", "Capacity of the node's kernel policy map", "gauge", (n) => n.policyCapacity),
    ...nodes(
      "membrane_policy_regenerations_total",
      "Engine changes the node's agent programmed into its kernel",
      "counter",
      (n) => n.regenerations,
    ),
    ...nodes(
      "membrane_policy_regeneration_seconds_total",
      "Seconds the node's agent spent programming engine changes into its kernel",
      "counter",
      (n) => n.regenerationSeconds,
    ),
    "# HELP membrane_policies Policies the engine holds",
    "# TYPE membrane_policies gauge",
    `membrane_policies ${figures.policies}`,
    "# HELP membrane_identities Security identities the engine knows",
    "# TYPE membrane_identities gauge",
    `membrane_identities ${figures.identities}`,
    "",
  ].join("\n");
}

/** Serves the observer API on `host:port` (0: any free port); resolves to the bound address. */
export function serveObserver(
  observer: FlowObserver,
  figures: () => AgentFigures,
  host: string,
  port: number,
): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://agent");
    if (req.method !== "GET") return reply(res, 405, "text/plain", "only GET\n");
    switch (url.pathname) {
      case "/v1/flows": {
        // Hubble's GetFlows: the query's filters and window select, here, from the ring and the live flows.
        const q = decodeQuery((k) => url.searchParams.get(k));
        if (!q.ok) return reply(res, 400, "text/plain", `${q.error}\n`);
        const matches = queryPredicate(q.value);
        if (!matches.ok) return reply(res, 400, "text/plain", `${matches.error}\n`);
        res.writeHead(200, { "content-type": "application/x-ndjson" });
        for (const r of observer.select(q.value, matches.value)) res.write(JSON.stringify(r) + "\n");
        if (!q.value.follow) return res.end();
        // A follower learns where the history ends and the live flows begin.
        res.write('{"history_end":true}\n');
        const stop = observer.follow((r) => {
          if (matches.value(withNodeName(r))) res.write(JSON.stringify(r) + "\n");
        });
        res.on("close", stop);
        return;
      }
      case "/v1/status":
        return reply(
          res,
          200,
          "application/json",
          JSON.stringify({
            num_flows: observer.size,
            max_flows: observer.capacity,
            seen_flows: observer.seen,
            num_connected_nodes: figures().nodes.length,
          }) + "\n",
        );
      case "/metrics":
        return reply(res, 200, "text/plain; version=0.0.4", metricsText(observer, figures()));
      default:
        return reply(res, 404, "text/plain", "not found\n");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve({ server, address: server.address() as AddressInfo }));
  });
}

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type });
  res.end(body);
}
