import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadObject, mapDelete, mapLookup, mapUpdate, testRun, type BpfObject } from "./bpf.ts";
import { compileForTest, ipv4Packet, pinDirectory } from "./test-support/fixture.ts";

const FIXTURE = fileURLToPath(new URL("test-support/verdict-by-source.bpf.c", import.meta.url));

const TC_ACT_OK = 0;
const TC_ACT_SHOT = 2;

function addr(ip: string): Buffer {
  return Buffer.from(ip.split(".").map(Number));
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function load(path: string, pins: string): BpfObject {
  const o = loadObject(path, pins);
  assert.ok(o.ok, o.ok ? "" : o.error.message);
  return o.value;
}

test("the kernel runs a loaded program on crafted packets with the verdicts the map holds", async () => {
  const object = await compileForTest(FIXTURE);
  const pins = pinDirectory();
  try {
    const o = load(object.path, pins.path);
    const prog = o.programs.get("verdict_by_source")!;
    const verdicts = o.maps.get("verdicts")!;
    const run = (src: string): number => {
      const r = testRun(prog, ipv4Packet(src, "10.0.0.9"));
      assert.ok(r.ok, r.ok ? "" : r.error.message);
      return r.value.retval;
    };
    assert.equal(run("10.0.0.1"), TC_ACT_SHOT);
    assert.ok(mapUpdate(verdicts, addr("10.0.0.1"), u32(TC_ACT_OK)).ok);
    assert.equal(run("10.0.0.1"), TC_ACT_OK);
    assert.equal(run("10.0.0.2"), TC_ACT_SHOT);

    const lookedUp = mapLookup(verdicts, addr("10.0.0.1"), 4);
    assert.ok(lookedUp.ok);
    assert.deepEqual(lookedUp.value, u32(TC_ACT_OK));
    const missing = mapLookup(verdicts, addr("10.0.0.2"), 4);
    assert.ok(missing.ok);
    assert.equal(missing.value, null);

    const exists = mapUpdate(verdicts, addr("10.0.0.1"), u32(TC_ACT_SHOT), "create");
    assert.ok(!exists.ok);
    assert.deepEqual([exists.error.syscall, exists.error.code], ["bpf_map_update_elem", "EEXIST"]);

    const hits = mapLookup(o.maps.get("hits")!, u32(0), 8);
    assert.ok(hits.ok);
    assert.equal(hits.value?.readBigUInt64LE(), 3n);

    assert.deepEqual(mapDelete(verdicts, addr("10.0.0.1")), { ok: true, value: true });
    assert.deepEqual(mapDelete(verdicts, addr("10.0.0.1")), { ok: true, value: false });
    assert.equal(run("10.0.0.1"), TC_ACT_SHOT);
  } finally {
    pins.remove();
    object.remove();
  }
});

test("pinned maps keep their entries when the object is loaded again (agent restart, program upgrade)", async () => {
  const object = await compileForTest(FIXTURE);
  const pins = pinDirectory();
  try {
    const first = load(object.path, pins.path);
    assert.ok(mapUpdate(first.maps.get("verdicts")!, addr("10.1.0.1"), u32(TC_ACT_OK)).ok);
    const second = load(object.path, pins.path);
    const r = testRun(second.programs.get("verdict_by_source")!, ipv4Packet("10.1.0.1", "10.1.0.2"));
    assert.ok(r.ok);
    assert.equal(r.value.retval, TC_ACT_OK);
  } finally {
    pins.remove();
    object.remove();
  }
});

test("a bad object is an error value naming the libbpf call", () => {
  const pins = pinDirectory();
  try {
    const r = loadObject("/nonexistent/object.o", pins.path);
    assert.ok(!r.ok);
    assert.deepEqual([r.error.syscall, r.error.code], ["bpf_object__open_file", "ENOENT"]);
  } finally {
    pins.remove();
  }
});
