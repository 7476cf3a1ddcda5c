import assert from "node:assert/strict";
import { test } from "node:test";
import { asIdentity } from "../identity/numeric-identity.ts";
import { allowPrecedence, DENY_PRECEDENCE, MapState, type PolicyEntry } from "./map-state.ts";

const ANY = asIdentity(0);
const allow: PolicyEntry = { deny: false, precedence: 0, proxyPort: 0, parser: null, derivedFrom: [] };
const deny: PolicyEntry = { deny: true, precedence: DENY_PRECEDENCE, proxyPort: 0, parser: null, derivedFrom: [] };
const redirect: PolicyEntry = { deny: false, precedence: allowPrecedence("http"), proxyPort: 15001, parser: "http", derivedFrom: [] };
const key = (identity: number, proto: number, port: number, prefixLen: number) => ({
  identity: asIdentity(identity),
  proto,
  port,
  prefixLen,
});

function decide(m: MapState, id: number, proto: number, port: number): string {
  const l = m.lookup(asIdentity(id), proto, port);
  return l.kind === "none" ? "none" : `${l.entry.deny ? "deny" : l.entry.proxyPort ? "redirect" : "allow"}/${l.matchType}`;
}

test("§7.2: no entry → no match (POLICY_DENIED)", () => {
  assert.equal(decide(new MapState(), 300, 6, 80), "none");
});

test("§6.5: a deny beats an allow whatever the insertion order and specificity", () => {
  for (const order of [0, 1]) {
    const m = new MapState();
    const ins = [() => m.insert(key(300, 6, 80, 16), allow), () => m.insert(key(300, 0, 0, 0), deny)];
    (order ? ins.reverse() : ins).forEach((f) => f());
    assert.equal(decide(m, 300, 6, 80), "deny/L3_ONLY");
    assert.equal(m.size, 1, "the covered allow is removed or never inserted");
  }
});

test("§7.2: a wildcard-identity deny on a port beats an identity-specific L3 allow", () => {
  const m = new MapState();
  m.insert(key(300, 0, 0, 0), allow);
  m.insert(key(0, 6, 80, 16), deny);
  assert.equal(decide(m, 300, 6, 80), "deny/L4_ONLY");
  assert.equal(decide(m, 300, 6, 81), "allow/L3_ONLY");
});

test("§7.2: a redirect outranks a plain allow; equal precedence prefers the longer prefix, then the L3 entry", () => {
  const m = new MapState();
  m.insert(key(300, 0, 0, 0), allow);
  m.insert(key(0, 6, 80, 16), redirect);
  assert.equal(decide(m, 300, 6, 80), "redirect/L4_ONLY");
  const n = new MapState();
  n.insert(key(300, 6, 0, 0), allow);
  n.insert(key(0, 6, 80, 16), allow);
  assert.equal(decide(n, 300, 6, 80), "allow/L4_ONLY", "longer prefix wins at equal precedence");
  const o = new MapState();
  o.insert(key(300, 6, 80, 16), allow);
  o.insert(key(0, 6, 80, 16), allow);
  assert.equal(decide(o, 300, 6, 80), "allow/L3_L4", "identity-specific wins a full tie");
});

test("§6.7: a broader redirect of the same identity absorbs a narrower plain allow", () => {
  const m = new MapState();
  m.insert(key(300, 6, 0, 0), redirect);
  m.insert(key(300, 6, 80, 16), allow);
  assert.equal(decide(m, 300, 6, 80), "redirect/L3_PROTO");
  assert.equal(m.size, 1);
});

test("§6.7: same key, same precedence: derived-from merges", () => {
  const m = new MapState();
  const o = (n: string) => ({ kind: "synthetic" as const, label: n as "allow-any-ingress" });
  m.insert(key(300, 6, 80, 16), { ...allow, derivedFrom: [o("allow-any-ingress")] });
  m.insert(key(300, 6, 80, 16), { ...allow, derivedFrom: [o("allow-localhost-ingress")] });
  assert.equal(m.entries()[0]!.entry.derivedFrom.length, 2);
});

test("match types name the chosen key's shape", () => {
  const m = new MapState();
  m.insert(key(300, 17, 0, 0), allow);
  m.insert(key(0, 6, 0, 0), allow);
  m.insert(key(0, 0, 0, 0), allow);
  assert.equal(decide(m, 300, 17, 53), "allow/L3_PROTO");
  assert.equal(decide(m, 301, 6, 53), "allow/PROTO_ONLY");
  assert.equal(decide(m, 301, 132, 1), "allow/ALL");
  assert.equal(decide(m, ANY, 1, 8), "allow/ALL");
});
