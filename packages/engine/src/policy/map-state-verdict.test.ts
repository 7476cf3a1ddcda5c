import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { asIdentity } from "../identity/numeric-identity.ts";
import { maskPort } from "./port-range.ts";
import { allowPrecedence, DENY_PRECEDENCE, DROP_POLICY_DENIED, DROP_POLICY_DENY, MapState, type PolicyEntry } from "./map-state.ts";

const entries: PolicyEntry[] = [
  { deny: false, precedence: 0, proxyPort: 0, parser: null, derivedFrom: [] },
  { deny: true, precedence: DENY_PRECEDENCE, proxyPort: 0, parser: null, derivedFrom: [] },
  { deny: false, precedence: allowPrecedence("http"), proxyPort: 15001, parser: "http", derivedFrom: [] },
  { deny: false, precedence: allowPrecedence("dns"), proxyPort: 15053, parser: "dns", derivedFrom: [] },
];

test("property: the allocation-free verdict agrees with the explained lookup", () => {
  const key = fc.record({
    identity: fc.constantFrom(0, 300, 301),
    proto: fc.constantFrom(0, 6, 17),
    port: fc.constantFrom(0, 80, 81, 8080),
    prefixLen: fc.constantFrom(0, 12, 15, 16),
    entry: fc.nat({ max: entries.length - 1 }),
  });
  fc.assert(
    fc.property(
      fc.array(key, { maxLength: 12 }),
      fc.constantFrom(300, 301, 302),
      fc.constantFrom(6, 17, 1),
      fc.constantFrom(0, 80, 81, 8080, 8081),
      (keys, id, proto, port) => {
        const m = new MapState();
        for (const k of keys)
          m.insert(
            {
              identity: asIdentity(k.identity),
              proto: k.proto,
              port: k.proto === 0 ? 0 : maskPort(k.port, k.prefixLen),
              prefixLen: k.proto === 0 ? 0 : k.prefixLen,
            },
            entries[k.entry]!,
          );
        const l = m.lookup(asIdentity(id), proto, port);
        const want = l.kind === "none" ? DROP_POLICY_DENIED : l.entry.deny ? DROP_POLICY_DENY : l.entry.proxyPort;
        assert.equal(m.verdict(asIdentity(id), proto, port), want);
      },
    ),
    { numRuns: 2000 },
  );
});
