import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Deadline } from "./deadline.ts";

/** A deadline whose expiries are recorded as milliseconds since it was made. */
function watched(periodMs: number): { deadline: Deadline; expiries: number[]; t0: number } {
  const t0 = performance.now();
  const expiries: number[] = [];
  return { deadline: new Deadline(periodMs, () => expiries.push(performance.now() - t0)), expiries, t0 };
}

test("a deadline expires once, at its span; moved later it waits past the period, moved earlier it fires earlier", async () => {
  const a = watched(20);
  a.deadline.set(30);
  await sleep(10);
  a.deadline.set(90); // later than the pending Timeout: re-armed for the rest when it fires
  await sleep(60);
  assert.deepEqual(a.expiries, [], "not before its deadline, though the 20 ms period passed");
  await sleep(80);
  assert.equal(a.expiries.length, 1);
  assert.ok(a.expiries[0]! >= 99, `expired at ${a.expiries[0]} ms, due at 100`);

  const b = watched(200);
  b.deadline.set(150);
  b.deadline.set(20); // earlier than the pending Timeout: replaced
  await sleep(80);
  assert.equal(b.expiries.length, 1);
  assert.ok(b.expiries[0]! >= 19 && b.expiries[0]! < 70, `expired at ${b.expiries[0]} ms, due at 20`);
  await sleep(150);
  assert.equal(b.expiries.length, 1, "once");
});

test("clear and stop disarm; extend starts the span again; set after clear arms again", async () => {
  const a = watched(10);
  a.deadline.set(20);
  a.deadline.clear();
  a.deadline.extend(); // nothing to extend
  const b = watched(10);
  b.deadline.set(20);
  b.deadline.stop();
  await sleep(50);
  assert.deepEqual([a.expiries, b.expiries], [[], []]);

  const c = watched(10);
  c.deadline.set(40);
  for (let i = 0; i < 4; i++) {
    await sleep(20);
    c.deadline.extend();
  }
  assert.deepEqual(c.expiries, [], "kept alive by progress");
  await sleep(70);
  assert.equal(c.expiries.length, 1);
  assert.ok(c.expiries[0]! >= 119, `expired at ${c.expiries[0]} ms, 40 after the last extension`);

  a.deadline.set(15);
  await sleep(50);
  assert.equal(a.expiries.length, 1, "armed again after a clear");
});
