import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { asIdentity, parseIp } from "@membrane/engine";
import { CT_ENTRY, encodeConntrackKey } from "../codec/conntrack.ts";
import { loadObject, mapUpdate, testRun, type MapFd } from "../kernel/bpf.ts";
import { compileForTest, pinDirectory } from "../kernel/test-support/fixture.ts";
import { frame } from "../kernel/test-support/packets.ts";
import { EndpointMapWriter } from "../maps/endpoint-map.ts";
import { lookupConntrack } from "../maps/conntrack-lookup.ts";
import { readCounters } from "../maps/counters.ts";
import { loadDatapath } from "./load.ts";
import { retireEarlierConntrack } from "./migrate-conntrack.ts";

const FIXTURE = new URL("../kernel/test-support/conntrack-v1.bpf.c", import.meta.url).pathname;
const A = "10.0.0.1";
const B = "10.0.0.2";

interface V1Flow {
  readonly source: string;
  readonly destination: string;
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly direction: "egress" | "ingress";
}

/** Writes a flow in the earlier layout: keyed by the tuple as opened and by which program made it. */
function writeV1(map: MapFd, f: V1Flow, secondsLeft: number, packets: bigint): void {
  const s = parseIp(f.source)!;
  const k = Buffer.alloc(40);
  k.set(s.bytes, 0);
  k.set(parseIp(f.destination)!.bytes, 16);
  k.writeUInt16BE(f.sourcePort, 32);
  k.writeUInt16BE(f.destinationPort, 34);
  k[36] = 17;
  k[37] = s.family;
  k[38] = f.direction === "ingress" ? 1 : 0;
  const entry = Buffer.alloc(CT_ENTRY.size);
  entry.writeBigUInt64LE(process.hrtime.bigint() + BigInt(secondsLeft) * 1_000_000_000n, CT_ENTRY.expires);
  entry.writeBigUInt64LE(packets, CT_ENTRY.packets);
  entry.writeUInt32LE(1002, CT_ENTRY.remote_identity);
  assert.ok(mapUpdate(map, k, entry).ok);
}

test("an upgrade carries live conntrack entries over from the earlier layout's pin: flows keep their direction, replies stay replies", async () => {
  const pins = pinDirectory();
  const fixture = await compileForTest(FIXTURE);
  try {
    // The earlier programs' map, pinned where the agent keeps its maps.
    const old = loadObject(fixture.path, pins.path);
    assert.ok(old.ok, old.ok ? "" : old.error.message);
    const v1 = old.value.maps.get("membrane_ct")!;
    const flows: readonly V1Flow[] = [
      { source: A, destination: B, sourcePort: 40000, destinationPort: 53, direction: "egress" }, // A opened it
      { source: A, destination: B, sourcePort: 40000, destinationPort: 53, direction: "ingress" }, // B took it
      { source: B, destination: A, sourcePort: 40001, destinationPort: 53, direction: "egress" }, // B opened one to A
      { source: "fd00::2", destination: "fd00::1", sourcePort: 40002, destinationPort: 53, direction: "ingress" },
    ];
    for (const f of flows) writeV1(v1, f, 60, 5n);
    // Expired, not yet collected: left behind.
    const expired = { source: A, destination: B, sourcePort: 40003, destinationPort: 53, direction: "egress" } as const;
    writeV1(v1, expired, -1, 5n);
    // At A, a flow and its reverse were two entries; one key now: the one living longer is kept.
    writeV1(v1, { source: A, destination: B, sourcePort: 40004, destinationPort: 53, direction: "egress" }, 10, 1n);
    writeV1(v1, { source: B, destination: A, sourcePort: 53, destinationPort: 40004, direction: "ingress" }, 50, 2n);

    const loaded = await loadDatapath({ pinDir: pins.path });
    assert.ok(loaded.ok, loaded.ok ? "" : loaded.error.message);
    const dp = loaded.value;
    assert.deepEqual(dp.notices, ["conntrack: 5 flows carried over from an earlier layout"]);
    const find = (f: V1Flow) => {
      const r = lookupConntrack(dp.maps.conntrack, { ...f, proto: 17 });
      assert.ok(r.ok);
      return r.value && r.value.packets;
    };
    for (const f of flows) assert.equal(find(f), 5n, `${f.source} → ${f.destination} ${f.direction}`);
    assert.equal(find(expired), null);
    assert.equal(find({ source: B, destination: A, sourcePort: 53, destinationPort: 40004, direction: "ingress" }), 2n);
    assert.ok(existsSync(join(pins.path, "membrane_ct")), "kept until the new programs are attached");

    // The old programs still track flows until tc swaps them: retiring copies those too, then unpins.
    const late = { source: A, destination: B, sourcePort: 40005, destinationPort: 53, direction: "egress" } as const;
    writeV1(v1, late, 60, 7n);
    const retired = retireEarlierConntrack(pins.path, dp.maps.conntrack);
    assert.deepEqual(retired, { ok: true, value: 6 });
    assert.equal(find(late), 7n);
    assert.equal(existsSync(join(pins.path, "membrane_ct")), false, "the old pin is removed");

    // B answers A's flow: a reply, passed without any policy (B's egress map is empty: default deny).
    assert.ok(
      new EndpointMapWriter(dp.maps.endpoints).upsert(1, {
        epId: 12,
        identity: asIdentity(1002),
        ingressEnforced: true,
        egressEnforced: true,
        ingressAudit: false,
        egressAudit: false,
        addresses: [parseIp(B)!],
      }).ok,
    );
    const r = testRun(dp.programs.fromContainer, frame({ src: B, dst: A, proto: "udp", sport: 53, dport: 40000 }), { ifindex: 1 });
    assert.ok(r.ok);
    assert.equal(r.value.retval, 0);
    const counters = readCounters(dp.maps.counters);
    assert.ok(counters.ok);
    assert.equal(counters.value.reply.packets, 1n);
  } finally {
    fixture.remove();
    pins.remove();
  }
});

test("after a rollback and a second upgrade, the new layout's map is emptied of what it held since the first", async () => {
  const pins = pinDirectory();
  const fixture = await compileForTest(FIXTURE);
  try {
    const first = await loadDatapath({ pinDir: pins.path });
    assert.ok(first.ok);
    const stale = { source: A, destination: B, sourcePort: 40000, destinationPort: 53, direction: "egress" as const, proto: 17 };
    // What the new programs tracked before the rollback (written as they would: its key and entry).
    const entry = Buffer.alloc(CT_ENTRY.size);
    entry.writeBigUInt64LE(process.hrtime.bigint() + 3_600_000_000_000n, CT_ENTRY.expires);
    assert.ok(mapUpdate(first.value.maps.conntrack, encodeConntrackKey(stale)!, entry).ok);
    // The rollback: the earlier programs pin their own map again; then the upgrade again.
    const old = loadObject(fixture.path, pins.path);
    assert.ok(old.ok);
    writeV1(old.value.maps.get("membrane_ct")!, { ...stale, sourcePort: 40001 }, 60, 3n);
    const again = await loadDatapath({ pinDir: pins.path });
    assert.ok(again.ok);
    const found = (f: typeof stale) => {
      const r = lookupConntrack(again.value.maps.conntrack, f);
      assert.ok(r.ok);
      return r.value && r.value.packets;
    };
    assert.equal(found(stale), null, "tracked before the rollback: stale");
    assert.equal(found({ ...stale, sourcePort: 40001 }), 3n);
  } finally {
    fixture.remove();
    pins.remove();
  }
});
