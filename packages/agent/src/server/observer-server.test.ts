import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeQuery, type FlowQuery, type FlowRecord } from "@membrane/engine";
import { FlowObserver } from "../observer/flow-observer.ts";
import { serveObserver } from "./observer-server.ts";

const flow = (i: number, verdict: "FORWARDED" | "DROPPED", pod: string): FlowRecord => ({
  flow: {
    time: new Date(1_000 * i).toISOString(),
    verdict,
    source: { namespace: "ns1", pod_name: pod },
    destination: { namespace: "ns1", pod_name: "b" },
  },
  node_name: "n1",
});

const query = (q: Partial<FlowQuery>): string =>
  new URLSearchParams(
    encodeQuery({ allow: [], deny: [], since: null, until: null, number: null, first: null, follow: false, ...q }),
  ).toString();

test("the observer API selects on the server: Hubble's filters, window, number and first, and the same filters when following", async () => {
  const observer = new FlowObserver();
  for (let i = 0; i < 6; i++) observer.push(flow(i, i % 2 === 0 ? "DROPPED" : "FORWARDED", i < 3 ? "a" : "x"));
  const { server, address } = await serveObserver(observer, () => ({ policies: 0, identities: 0, nodes: [] }), "127.0.0.1", 0);
  const base = `http://127.0.0.1:${address.port}/v1/flows`;
  const times = async (q: Partial<FlowQuery>): Promise<number[]> => {
    const res = await fetch(`${base}?${query(q)}`);
    assert.equal(res.status, 200);
    return (await res.text())
      .trim()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => Date.parse((JSON.parse(l) as FlowRecord).flow.time!) / 1000);
  };
  try {
    const dropped = [{ flag: "verdict", values: ["DROPPED"] }];
    assert.deepEqual(await times({}), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(await times({ allow: [dropped] }), [0, 2, 4]);
    assert.deepEqual(await times({ allow: [dropped], number: 2 }), [2, 4]);
    assert.deepEqual(await times({ allow: [dropped], first: 1 }), [0]);
    assert.deepEqual(await times({ allow: [dropped], deny: [[{ flag: "from-pod", values: ["ns1/a"] }]] }), [4]);
    assert.deepEqual(await times({ allow: [dropped, [{ flag: "from-pod", values: ["ns1/x"] }]] }), [0, 2, 3, 4, 5]);
    assert.deepEqual(await times({ since: 2_000, until: 4_000 }), [2, 3, 4]);
    const bad = await fetch(`${base}?${query({ allow: [[{ flag: "identity", values: ["many"] }]] })}`);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /--identity: identity must be a number/);
    // Following: the selected history, the marker, then only the live flows that match.
    const stop = new AbortController();
    const res = await fetch(`${base}?${query({ allow: [dropped], number: 1, follow: true })}`, { signal: stop.signal });
    const reader = res.body!.getReader();
    let text = "";
    const lines = async (n: number): Promise<string[]> => {
      while (text.split("\n").length <= n) text += new TextDecoder().decode((await reader.read()).value);
      return text.split("\n").slice(0, n);
    };
    assert.equal((await lines(2))[1], '{"history_end":true}');
    observer.push(flow(7, "FORWARDED", "a"));
    observer.push(flow(8, "DROPPED", "a"));
    const got = await lines(3);
    assert.deepEqual(
      [got[0], got[2]].map((l) => Date.parse((JSON.parse(l!) as FlowRecord).flow.time!) / 1000),
      [4, 8],
    );
    stop.abort();
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
