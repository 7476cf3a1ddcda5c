import assert from "node:assert/strict";
import { test } from "node:test";
import type { FlowRecord } from "@membrane/engine";
import { metricsText } from "../server/observer-server.ts";
import { FlowObserver } from "./flow-observer.ts";

const record = (i: number, verdict: "FORWARDED" | "DROPPED" = "FORWARDED"): FlowRecord => ({
  flow: {
    time: new Date(i).toISOString(),
    verdict,
    event_type: { type: verdict === "DROPPED" ? 1 : 5 },
    drop_reason_desc: verdict === "DROPPED" ? "POLICY_DENIED" : undefined,
    traffic_direction: "INGRESS",
    policy_match_type: 2,
    l4: { TCP: { destination_port: 80 } },
  } as FlowRecord["flow"],
});

test("the ring keeps the newest flows, oldest first, and counts what it saw", () => {
  const ring = new FlowObserver(3);
  for (let i = 0; i < 5; i++) ring.push(record(i));
  assert.equal(ring.seen, 5);
  assert.equal(ring.size, 3);
  assert.deepEqual(
    ring.snapshot().map((r) => Date.parse(r.flow.time!)),
    [2, 3, 4],
  );
  const heard: number[] = [];
  const stop = ring.follow((r) => heard.push(Date.parse(r.flow.time!)));
  ring.push(record(5));
  stop();
  ring.push(record(6));
  assert.deepEqual(heard, [5]);
  assert.throws(() => new FlowObserver(0), RangeError);
  assert.equal(new FlowObserver(1_000_000).capacity, 1_000_000);
});

test("metrics count every flow by Hubble's labels, even those the ring no longer holds", () => {
  const ring = new FlowObserver(1);
  ring.push(record(1));
  ring.push(record(2, "DROPPED"));
  ring.push(record(3, "DROPPED"));
  const text = metricsText(ring, {
    policies: 4,
    identities: 9,
    nodes: [{ name: "n1", policyEntries: 10, policyCapacity: 100, lostEvents: 2, regenerations: 3, regenerationSeconds: 0.25 }],
  });
  assert.match(text, /^hubble_drop_total\{reason="POLICY_DENIED",protocol="TCP"\} 2$/m);
  assert.match(text, /^hubble_policy_verdicts_total\{direction="ingress",match="l3-l4",action="forwarded"\} 1$/m);
  assert.match(text, /^hubble_flows_processed_total\{type="Drop",subtype="",verdict="DROPPED",protocol="TCP"\} 2$/m);
  assert.match(text, /^hubble_lost_events_total\{node="n1"\} 2$/m);
  assert.match(text, /^membrane_policies 4$/m);
  assert.match(text, /^membrane_identities 9$/m);
  assert.match(text, /^membrane_policy_regenerations_total\{node="n1"\} 3$/m);
  assert.match(text, /^membrane_policy_regeneration_seconds_total\{node="n1"\} 0.25$/m);
  assert.match(text, /# TYPE hubble_drop_total counter/);
});

test("L7 flows count by Hubble's labels: the reporter is the client's proxy for egress, the server's for ingress", () => {
  const ring = new FlowObserver();
  const l7 = (direction: "INGRESS" | "EGRESS", l7: NonNullable<FlowRecord["flow"]["l7"]>): FlowRecord => ({
    flow: { verdict: "FORWARDED", Type: "L7", event_type: { type: 129 }, traffic_direction: direction, l7 },
  });
  ring.push(l7("EGRESS", { type: "REQUEST", kafka: { api_key: "produce", topic: "payments", error_code: 0 } }));
  ring.push(l7("INGRESS", { type: "REQUEST", kafka: { api_key: "fetch", topic: "orders", error_code: 29 } }));
  ring.push(l7("INGRESS", { type: "RESPONSE", http: { method: "GET", protocol: "HTTP/1.1", code: 403 } }));
  ring.push(l7("EGRESS", { type: "RESPONSE", dns: { rcode: 0, qtypes: ["A"], ips: ["10.0.0.1", "10.0.0.2"] } }));
  const text = metricsText(ring, { policies: 0, identities: 0, nodes: [] });
  assert.match(text, /^hubble_kafka_requests_total\{topic="payments",api_key="produce",error_code="0",reporter="client"\} 1$/m);
  assert.match(text, /^hubble_kafka_requests_total\{topic="orders",api_key="fetch",error_code="29",reporter="server"\} 1$/m);
  assert.match(text, /^hubble_http_responses_total\{method="GET",protocol="HTTP\/1.1",status="403",reporter="server"\} 1$/m);
  assert.match(text, /^hubble_dns_responses_total\{rcode="0",qtypes="A",ips_returned="2"\} 1$/m);
  assert.match(text, /^hubble_flows_processed_total\{type="L7",subtype="",verdict="FORWARDED",protocol=""\} 4$/m);
});
