import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeQuery, encodeQuery, isFilterFlag, queryPredicate, selectFlows, type FlowQuery } from "./flow-query.ts";

const Q: FlowQuery = {
  allow: [],
  deny: [[{ flag: "to-pod", values: ["ns1/b,ns1/c"] }]],
  since: 1000,
  until: null,
  number: 5,
  first: null,
  follow: true,
};

test("a flow query survives its URL form; a malformed one is an error naming the parameter", () => {
  const params = encodeQuery(Q);
  assert.deepEqual(
    decodeQuery((k) => params[k] ?? null),
    { ok: true, value: Q },
  );
  assert.deepEqual(
    decodeQuery((k) => (k === "number" ? "many" : null)),
    { ok: false, error: "number: not a number: many" },
  );
  assert.deepEqual(
    decodeQuery((k) => (k === "allow" ? "{" : null)),
    { ok: false, error: "allow: not JSON" },
  );
  assert.equal(decodeQuery((k) => (k === "deny" ? '[{"flag":"pod","values":[]}]' : null)).ok, false, "a filter is a list of flags");
  assert.equal(decodeQuery((k) => (k === "deny" ? '[[{"flag":1}]]' : null)).ok, false);
});

test("filter flags are observe's: sided kinds take from-/to-, plain ones do not", () => {
  assert.ok(isFilterFlag("pod") && isFilterFlag("from-pod") && isFilterFlag("verdict"));
  assert.ok(!isFilterFlag("from-verdict") && !isFilterFlag("output") && !isFilterFlag("to-"));
});

test("a query selects by its allow filters (any), deny filters (none), window, then first or last; commas list values", () => {
  const flows = [0, 1, 2, 3].map((i) => ({
    time: new Date(1000 * i).toISOString(),
    destination: { namespace: "ns1", pod_name: ["b", "c", "d", "e"][i]! },
  }));
  const p = queryPredicate(Q);
  assert.ok(p.ok);
  assert.deepEqual(
    selectFlows(flows, Q, p.value).map((f) => f.destination.pod_name),
    ["d", "e"],
  );
  assert.deepEqual(
    selectFlows(flows, { ...Q, deny: [], since: null, first: 2 }, () => true).map((f) => f.destination.pod_name),
    ["b", "c"],
  );
  // Two allow filters OR; the flags of one filter AND.
  const either = queryPredicate({
    ...Q,
    deny: [],
    since: null,
    number: null,
    allow: [
      [{ flag: "to-pod", values: ["ns1/b"] }],
      [
        { flag: "to-pod", values: ["ns1/e"] },
        { flag: "to-namespace", values: ["ns1"] },
      ],
    ],
  });
  assert.ok(either.ok);
  assert.deepEqual(
    flows.filter(either.value).map((f) => f.destination.pod_name),
    ["b", "e"],
  );
  assert.deepEqual(queryPredicate({ ...Q, allow: [[{ flag: "from-ip", values: ["10.0.0.300"] }]] }), {
    ok: false,
    error: "--from-ip: ip must be an address or a CIDR",
  });
});
