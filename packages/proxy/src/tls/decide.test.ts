import assert from "node:assert/strict";
import { test } from "node:test";
import { decideSni } from "./decide.ts";

test("decideSni: serverNames decide; allow-all passes; TLS termination (no serverNames), conflicts and other parsers fail closed", () => {
  const tls = (serverNames: string[]) => ({ kind: "tls", serverNames }) as const;
  assert.equal(decideSni(tls(["**.example.com"]), "a.b.example.com").kind, "allow");
  assert.equal(decideSni(tls(["*.example.com"]), "a.b.example.com").kind, "deny");
  assert.equal(decideSni({ kind: "allow-all", parser: "tls", why: "x" }, null).kind, "allow");
  // terminatingTLS / originatingTLS alone leave a TLS policy with nothing to match.
  assert.deepEqual(decideSni(tls([]), "api.example.com"), {
    kind: "deny",
    why: "server name api.example.com matches none of (no serverNames: membrane terminates no TLS)",
  });
  assert.match(decideSni({ kind: "conflict", message: "cannot merge" }, "a.example").why, /policy conflict: cannot merge/);
  assert.match(decideSni({ kind: "not-redirected" }, "a.example").why, /not redirected/);
  assert.match(decideSni({ kind: "http", rules: [] }, "a.example").why, /http, not TLS/);
});
