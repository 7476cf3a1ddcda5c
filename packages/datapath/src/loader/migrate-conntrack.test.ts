import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { asIdentity, parseIp } from "@membrane/engine";
import { CT_ENTRY } from "../codec/conntrack.ts";
import { loadObject, mapUpdate, testRun } from "../kernel/bpf.ts";
import { compileForTest, pinDirectory } from "../kernel/test-support/fixture.ts";
import { frame, TCP } from "../kernel/test-support/packets.ts";
import { EndpointMapWriter } from "../maps/endpoint-map.ts";
import { lookupConntrack } from "../maps/conntrack-lookup.ts";
import { readCounters } from "../maps/counters.ts";
import { loadDatapath } from "./load.ts";

const FIXTURE = new URL("../kernel/test-support/conntrack-v1.bpf.c", import.meta.url).pathname;
const A = "10.0.0.1";
const B = "10.0.0.2";

/** A key of the earlier layout: the tuple as the flow was opened, and which program made the entry. */
function v1Key(source: string, destination: string, sport: number, dport: number, dir: "egress" | "ingress"): Buffer {
  const k = Buffer.alloc(40);
  k.set(parseIp(source)!.bytes, 0);
  k.set(parseIp(destination)!.bytes, 16);
  k.writeUInt16BE(sport, 32);
  k.writeUInt16BE(dport, 34);
  k[36] = 6;
  k[37] = 4;
  k[38] = dir === "ingress" ? 1 : 0;
  return k;
}

test("an upgrade carries conntrack entries over from the earlier layout's pin: flows keep their direction, replies stay replies", async () => {
  const pins = pinDirectory();
  const fixture = await compileForTest(FIXTURE);
  try {
    // The earlier programs' map, pinned where the agent keeps its maps, with three flows in it.
    const old = loadObject(fixture.path, pins.path);
    assert.ok(old.ok, old.ok ? "" : old.error.message);
    const entry = Buffer.alloc(CT_ENTRY.size);
    entry.writeBigUInt64LE(process.hrtime.bigint() + 60_000_000_000n, CT_ENTRY.expires);
    entry.writeBigUInt64LE(5n, CT_ENTRY.packets);
    entry.writeUInt32LE(1002, CT_ENTRY.remote_identity);
    const flows = [
      { source: A, destination: B, sourcePort: 40000, destinationPort: 80, direction: "egress" }, // A opened it
      { source: A, destination: B, sourcePort: 40000, destinationPort: 80, direction: "ingress" }, // B took it
      { source: B, destination: A, sourcePort: 40001, destinationPort: 80, direction: "egress" }, // B opened one to A
    ] as const;
    for (const f of flows)
      assert.ok(
        mapUpdate(old.value.maps.get("membrane_ct")!, v1Key(f.source, f.destination, f.sourcePort, f.destinationPort, f.direction), entry)
          .ok,
      );

    const loaded = await loadDatapath({ pinDir: pins.path });
    assert.ok(loaded.ok, loaded.ok ? "" : loaded.error.message);
    const dp = loaded.value;
    assert.equal(existsSync(join(pins.path, "membrane_ct")), false, "the old pin is removed");
    for (const f of flows) {
      const found = lookupConntrack(dp.maps.conntrack, { ...f, proto: 6 });
      assert.ok(found.ok);
      assert.deepEqual(
        found.value && [found.value.packets, found.value.remoteIdentity],
        [5n, asIdentity(1002)],
        `${f.source} → ${f.destination} ${f.direction}`,
      );
    }
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
    const r = testRun(dp.programs.fromContainer, frame({ src: B, dst: A, proto: "tcp", sport: 80, dport: 40000, tcpFlags: TCP.ack }), {
      ifindex: 1,
    });
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
