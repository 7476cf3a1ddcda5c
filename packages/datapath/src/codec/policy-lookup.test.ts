import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { asIdentity, allowPrecedence, DENY_PRECEDENCE, MapState, type L7Parser, type PolicyEntry } from "@membrane/engine";
import { loadObject, mapUpdate } from "../kernel/bpf.ts";
import { compileForTest, pinDirectory } from "../kernel/test-support/fixture.ts";
import { kernelVerdict, POLICY_LOOKUP_TEST } from "../kernel/test-support/policy-query.ts";
import { encodePolicyEntry, encodePolicyKey, type Direction } from "./policy.ts";

/**
 * The kernel's policy lookup (bpf/lib/policy.h, run through BPF_PROG_TEST_RUN) against the engine's
 * MapState.verdict on random maps: the same keys, encoded by the codec, must give the same verdict
 * for every query. This holds the codec, the header and the §7.2 lookup to the engine at once.
 */

const IDENTITIES = [0, 256, 257, 16777217];
const PROTOS = [0, 6, 17, 1];
const PARSERS: (L7Parser | null)[] = [null, null, "http", "dns", "kafka"];

/** A small deterministic generator (mulberry32), so a failure names a seed that reproduces it. */
function random(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) as number;
  };
}

function entry(pick: (n: number) => number): PolicyEntry {
  if (pick(4) === 0) return { deny: true, precedence: DENY_PRECEDENCE, proxyPort: 0, parser: null, derivedFrom: [] };
  const parser = PARSERS[pick(PARSERS.length)]!;
  return { deny: false, precedence: allowPrecedence(parser), proxyPort: parser === null ? 0 : 15000 + pick(4), parser, derivedFrom: [] };
}

/** A port near the interesting ones, so prefixes and exact ports collide often. */
function port(pick: (n: number) => number): number {
  return [80, 81, 443, 8080, 53, 0x1f00 + pick(256), pick(65536)][pick(7)]!;
}

test("differential: the kernel's policy lookup equals the engine's on random maps", async () => {
  const object = await compileForTest(fileURLToPath(POLICY_LOOKUP_TEST));
  const pins = pinDirectory();
  try {
    const o = loadObject(object.path, pins.path);
    assert.ok(o.ok, o.ok ? "" : o.error.message);
    const prog = o.value.programs.get("policy_lookup_test")!;
    const map = o.value.maps.get("membrane_policy")!;
    let compared = 0;
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 60; seed++) {
      const pick = random(seed);
      const states: Record<Direction, MapState> = { ingress: new MapState(), egress: new MapState() };
      for (const direction of ["ingress", "egress"] as const) {
        for (let i = pick(12); i > 0; i--) {
          const proto = PROTOS[pick(PROTOS.length)]!;
          const prefixLen = proto === 0 ? 0 : [0, 16, 16, 8, 12, 15][pick(6)]!;
          const p = prefixLen === 0 ? 0 : (port(pick) >>> (16 - prefixLen)) << (16 - prefixLen);
          states[direction].insertAt(IDENTITIES[pick(IDENTITIES.length)]!, proto, p, prefixLen, entry(pick));
        }
        for (const { key, entry: e } of states[direction].entries()) {
          const w = mapUpdate(map, encodePolicyKey(seed, direction, key), encodePolicyEntry(key, e));
          assert.ok(w.ok, w.ok ? "" : w.error.message);
        }
      }
      for (let q = 0; q < 40; q++) {
        const direction = pick(2) === 0 ? "ingress" : "egress";
        const identity = IDENTITIES[pick(IDENTITIES.length)]!;
        const proto = PROTOS[1 + pick(PROTOS.length - 1)]!;
        const dport = port(pick);
        const want = states[direction].verdict(asIdentity(identity), proto, dport);
        const got = kernelVerdict(prog, seed, direction, identity, proto, dport);
        assert.equal(got, want, `seed ${seed}: ${direction} identity ${identity} proto ${proto} port ${dport}`);
        compared++;
        kinds.add(want < 0 ? String(want) : want === 0 ? "allow" : "redirect");
      }
    }
    assert.equal(compared, 60 * 40);
    assert.deepEqual([...kinds].sort(), ["-133", "-181", "allow", "redirect"], "the queries reach every kind of verdict");
  } finally {
    pins.remove();
    object.remove();
  }
});
