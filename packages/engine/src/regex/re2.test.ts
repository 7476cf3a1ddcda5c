import assert from "node:assert/strict";
import { test } from "node:test";
import { compileRe2 } from "./re2.ts";

test("RE2 full matches; literal patterns compare exactly; RE2-only syntax is rejected", () => {
  const full = (p: string, s: string): boolean => {
    const r = compileRe2(p);
    assert.ok(r.ok);
    return r.value.fullMatch(s);
  };
  assert.equal(full("/public", "/public"), true);
  assert.equal(full("/public", "/public/x"), false);
  assert.equal(full("GET", "GET"), true);
  assert.equal(full("GET", "get"), false);
  assert.equal(full("/api/.*", "/api/v1"), true);
  assert.equal(full("GET|HEAD", "HEAD"), true);
  assert.equal(full("a.c", "abc"), true);
  assert.equal(full("(?i)get", "GeT"), true);
  for (const bad of ["(a", "(?=x)", "\\1", "a**"]) assert.equal(compileRe2(bad).ok, false, bad);
  // Linear time: a pattern that backtracks catastrophically elsewhere is instant here.
  assert.equal(full("(a+)+$", `${"a".repeat(5000)}!`), false);
});
