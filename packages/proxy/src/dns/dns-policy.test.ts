import assert from "node:assert/strict";
import { test } from "node:test";
import type { FqdnSelector, L7Policy } from "@membrane/engine";
import { decideName } from "./dns-policy.ts";

const pos = { line: 1, column: 1, offset: 0 };
const name = (matchName: string): FqdnSelector => ({ kind: "matchName", matchName, pos });
const pattern = (matchPattern: string): FqdnSelector => ({ kind: "matchPattern", matchPattern, pos });
const dns = (...rules: FqdnSelector[]): L7Policy => ({ kind: "dns", rules });

/** Accept/reject table (`policy-semantics.md` §8.4): [rules, name, allowed]. */
const TABLE: readonly (readonly [L7Policy, string, boolean])[] = [
  [dns(name("example.com")), "example.com.", true],
  [dns(name("example.com")), "EXAMPLE.com", true],
  [dns(name("Example.COM.")), "example.com", true],
  [dns(name("example.com")), "www.example.com.", false],
  [dns(pattern("*.example.com")), "www.example.com.", true],
  [dns(pattern("*.example.com")), "API.Example.Com.", true],
  [dns(pattern("*.example.com")), "example.com.", false],
  [dns(pattern("*.example.com")), "a.b.example.com.", false],
  [dns(pattern("*example.com")), "example.com.", true],
  [dns(pattern("*example.com")), "sub-example.com.", true],
  [dns(pattern("*example.com")), "www.example.com.", false],
  [dns(pattern("sub*.example.com.")), "subdomain.example.com.", true],
  [dns(pattern("**.example.com")), "a.b.example.com.", false],
  [dns(pattern("*")), ".", true],
  [dns(pattern("*")), "anything.at.all.", true],
  [dns(name("a.test"), pattern("*.b.test")), "x.b.test.", true],
  [dns(name("a.test"), pattern("*.b.test")), "a.test.", true],
  [dns(name("a.test"), pattern("*.b.test")), "c.test.", false],
  [dns(), "example.com.", false],
  [{ kind: "allow-all", parser: "dns", why: "a rule without DNS rules" }, "whatever.example.", true],
  [{ kind: "not-redirected" }, "example.com.", false],
  [{ kind: "conflict", message: "x" }, "example.com.", false],
  [{ kind: "http", rules: [] }, "example.com.", false],
  [{ kind: "tls", serverNames: ["example.com"] }, "example.com.", false],
];

for (const [policy, query, allowed] of TABLE) {
  const rules =
    policy.kind === "dns" ? policy.rules.map((r) => (r.kind === "matchName" ? r.matchName : `~${r.matchPattern}`)).join(",") : policy.kind;
  test(`${rules || "no rules"} ${allowed ? "allows" : "refuses"} ${query}`, () => {
    assert.equal(decideName(policy, query).kind, allowed ? "allowed" : "denied");
  });
}
