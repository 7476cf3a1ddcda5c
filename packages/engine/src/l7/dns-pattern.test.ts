import assert from "node:assert/strict";
import { test } from "node:test";
import { compileDnsPattern, matchesName, matchesServerName } from "./dns-pattern.ts";

test("§8.4 matchPattern: accept/reject table", () => {
  const table: [string, string, boolean][] = [
    ["*.cilium.io", "www.cilium.io", true],
    ["*.cilium.io", "cilium.io", false],
    ["*.cilium.io", "a.b.cilium.io", false],
    ["*cilium.io", "cilium.io", true],
    ["*cilium.io", "subcilium.io", true],
    ["*cilium.io", "sub-cilium.io", true],
    ["*cilium.io", "www.cilium.io", false],
    ["sub*.cilium.io", "sub.cilium.io", true],
    ["sub*.cilium.io", "subdomain.cilium.io", true],
    ["sub*.cilium.io", "xsub.cilium.io", false],
    ["*", "anything.at.all.", true],
    ["*", ".", true],
    ["**.cilium.io", "a.cilium.io", true],
    ["**.cilium.io", "a.b.cilium.io", false],
    ["*.EXAMPLE.com", "API.example.COM.", true],
    ["*.amazonaws.com", "my-bucket.s3.amazonaws.com", false],
    ["a*b*c.io", "axxbyyc.io", true],
    ["a*b*c.io", "ax.bc.io", false],
    ["*.*.io", "a.b.io", true],
  ];
  for (const [p, n, want] of table) assert.equal(compileDnsPattern(p)(n), want, `${p} ~ ${n}`);
});

test("E33 matchName: case-insensitive, trailing dot implied", () => {
  assert.equal(matchesName("Example.COM", "example.com."), true);
  assert.equal(matchesName("example.com", "www.example.com"), false);
});

test("§8.6 serverNames: accept/reject table", () => {
  const table: [string, string | null, boolean][] = [
    ["api.example.com", "API.example.com", true],
    ["*.example.com", "a.example.com", true],
    ["*.example.com", "a.b.example.com", false],
    ["*.example.com", "example.com", false],
    ["**.example.com", "a.b.example.com", true],
    ["**.example.com", "example.com", false],
    ["*", "anything", true],
    ["*", null, false],
  ];
  for (const [p, n, want] of table) assert.equal(matchesServerName(p, n), want, `${p} ~ ${n}`);
});
