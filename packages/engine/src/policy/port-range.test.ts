import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { prefixCoversPort, rangeToPrefixes } from "./port-range.ts";

test("port ranges split into the fewest prefixes (pkg/policy/portrange.go)", () => {
  assert.deepEqual(rangeToPrefixes(80, 80), [{ port: 80, prefixLen: 16 }]);
  assert.deepEqual(rangeToPrefixes(80, 10), [{ port: 80, prefixLen: 16 }], "endPort below port means a single port");
  assert.deepEqual(rangeToPrefixes(0, 0), [{ port: 0, prefixLen: 0 }], "port 0 is every port");
  assert.deepEqual(rangeToPrefixes(0, 65535), [{ port: 0, prefixLen: 0 }]);
  assert.deepEqual(rangeToPrefixes(8000, 8007), [{ port: 8000, prefixLen: 13 }]);
  assert.deepEqual(rangeToPrefixes(1, 3), [
    { port: 1, prefixLen: 16 },
    { port: 2, prefixLen: 15 },
  ]);
});

test("property: the prefixes cover exactly the range, without overlap", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 2000 }), (start, len) => {
      const end = Math.min(65535, start + len);
      const prefixes = rangeToPrefixes(start, end);
      for (const port of [start - 1, start, Math.floor((start + end) / 2), end, end + 1]) {
        if (port < 0 || port > 65535) continue;
        const hits = prefixes.filter((p) => prefixCoversPort(p, port)).length;
        assert.equal(hits, port >= start && port <= end ? 1 : 0, `port ${port} of ${start}-${end}`);
      }
      assert.ok(prefixes.length <= 32);
    }),
    { numRuns: 500 },
  );
});
