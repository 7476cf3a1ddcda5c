import assert from "node:assert/strict";
import { test } from "node:test";
import { LabelSet } from "../labels/label-set.ts";
import { InMemoryAllocator } from "./allocator.ts";
import { isLocalScope } from "./numeric-identity.ts";

const set = (v: string) => LabelSet.of([{ source: "k8s", key: "app", value: v }]);

test("identities: one per distinct label set, from 256, freed numbers reused lowest first", () => {
  const a = new InMemoryAllocator();
  assert.equal(a.allocate(set("a")), 256);
  assert.equal(a.allocate(set("b")), 257);
  assert.equal(a.allocate(set("a")), 256, "the same labels get the same identity");
  assert.equal(a.release(set("a")), false, "still referenced once");
  assert.equal(a.release(set("a")), true);
  assert.equal(a.allocate(set("c")), 256);
  assert.equal(a.lookup(set("b")), 257);
});

test("local identities have bit 24 set", () => {
  const id = InMemoryAllocator.local().allocate(set("cidr"));
  assert.ok(isLocalScope(id));
  assert.equal(id, (1 << 24) | 1);
});
