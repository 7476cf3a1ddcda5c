import assert from "node:assert/strict";
import { test } from "node:test";
import { upstreamKey } from "./dial.ts";

test("an upstream connection is shared only with the same server, mark and source address", () => {
  const a = { host: "10.244.2.5", port: 80, mark: 0xb00 | (300 << 16), source: "10.244.1.10" };
  assert.equal(upstreamKey(a), upstreamKey({ ...a }));
  // Two pods of one identity: the same mark, never the same connection.
  assert.notEqual(upstreamKey(a), upstreamKey({ ...a, source: "10.244.1.11" }));
  assert.notEqual(upstreamKey(a), upstreamKey({ host: a.host, port: a.port, mark: a.mark }));
  assert.notEqual(upstreamKey(a), upstreamKey({ ...a, mark: 0xb00 | (301 << 16) }));
});
