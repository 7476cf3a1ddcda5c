import assert from "node:assert/strict";
import { test } from "node:test";
import { selectFlows, type FlowQuery } from "./flow-query.ts";
import { FlowRing } from "./ring.ts";

test("the flow ring keeps the newest flows and counts what it overwrote", () => {
  const ring = new FlowRing(3);
  for (let i = 0; i < 5; i++) ring.push({ uuid: String(i) });
  assert.deepEqual(
    [...ring.oldestFirst()].map((f) => f.uuid),
    ["2", "3", "4"],
  );
  assert.deepEqual([ring.size, ring.seen, ring.overwritten], [3, 5, 2]);
  assert.equal(new FlowRing().capacity, 4095);
  assert.throws(() => new FlowRing(0));
});

test("a query's window over the ring reads from its own end, wrapped or not, and keeps time order", () => {
  const ids = (r: FlowRing, q: Partial<FlowQuery>, odd = false): string[] => {
    const query: FlowQuery = { allow: [], deny: [], since: null, until: null, number: null, first: null, follow: false, ...q };
    return selectFlows(r, query, (f) => !odd || Number(f.uuid) % 2 === 1).map((f) => f.uuid!);
  };
  for (const pushed of [4, 9]) {
    const ring = new FlowRing(6);
    for (let i = 0; i < pushed; i++) ring.push({ uuid: String(i) });
    const held = [...ring.oldestFirst()].map((f) => f.uuid);
    assert.deepEqual(
      [...ring.newestFirst()].map((f) => f.uuid),
      [...held].reverse(),
      `${pushed} pushed`,
    );
    assert.deepEqual(ids(ring, { number: 2 }), held.slice(-2));
    assert.deepEqual(ids(ring, { first: 2 }), held.slice(0, 2));
    assert.deepEqual(ids(ring, { number: 2 }, true), held.filter((u) => Number(u) % 2 === 1).slice(-2));
    assert.deepEqual(ids(ring, { number: 100 }), held);
    assert.deepEqual(ids(ring, { number: 0 }), []);
    assert.deepEqual(ids(ring, {}), held);
  }
});
