import assert from "node:assert/strict";
import { test } from "node:test";
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
