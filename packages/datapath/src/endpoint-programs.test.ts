import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import dgram from "node:dgram";
import { createServer, type Server } from "node:net";
import { after, before, beforeEach, describe, test } from "node:test";
import { asIdentity, parseIp, parsePrefix, type PolicyEntry, type PolicyKey } from "@membrane/engine";
import { decodeConntrack } from "./codec/conntrack.ts";
import { COUNTER_NAMES, type CounterName } from "./codec/counters.ts";
import { readCounters } from "./maps/counters.ts";
import { CT_KEY, CT_ENTRY } from "./codec/conntrack.ts";
import { decodeEvent, type DatapathEvent } from "./codec/event.ts";
import { mapDelete, mapKeys, mapLookup, openRing, testRun, type RingReader } from "./kernel/bpf.ts";
import { markedSocket } from "./kernel/sockets.ts";
import { pinDirectory } from "./kernel/test-support/fixture.ts";
import { arpFrame, frame, ipPacket, TCP, type PacketSpec } from "./kernel/test-support/packets.ts";
import { loadDatapath, type Datapath } from "./loader/load.ts";
import { EndpointMapWriter } from "./maps/endpoint-map.ts";
import { IpcacheMapWriter } from "./maps/ipcache-map.ts";
import { PolicyMapWriter } from "./maps/policy-map.ts";
import { collectConntrack } from "./maps/conntrack-gc.ts";
import { lookupConntrack } from "./maps/conntrack-lookup.ts";
import { writeDatapathConfig } from "./maps/config-map.ts";

/**
 * The endpoint programs (bpf/endpoint.c) on crafted packets through BPF_PROG_TEST_RUN: verdicts,
 * conntrack contents, events and counters. Test runs arrive on loopback (ifindex 1), so the
 * endpoint behind ifindex 1 is switched to play each side of a flow.
 */

const LO = 1;
const A = { ip: "10.0.0.1", ip6: "fd00::1", id: asIdentity(1001), epId: 11 };
const B = { ip: "10.0.0.2", ip6: "fd00::2", id: asIdentity(1002), epId: 12 };
const WORLD = asIdentity(2);
const TC_ACT_OK = 0;
const TC_ACT_SHOT = 2;
const TC_ACT_REDIRECT = 7;

let dp: Datapath;
let pins: { path: string; remove(): void };
let ring: RingReader;
let policy: PolicyMapWriter;

const allow = (proxyPort = 0): PolicyEntry => ({
  deny: false,
  precedence: proxyPort ? 2 : 1,
  proxyPort,
  parser: proxyPort ? "http" : null,
  derivedFrom: [],
});
const deny: PolicyEntry = { deny: true, precedence: 0x1ff, proxyPort: 0, parser: null, derivedFrom: [] };
const key = (identity: number, proto: number, port: number): PolicyKey => ({
  identity: asIdentity(identity),
  proto,
  port,
  prefixLen: proto === 0 || port === 0 ? 0 : 16,
});

/** Plays endpoint `ep` behind loopback (all directions enforced; audit mode as asked). */
function become(ep: typeof A, audit: { ingress?: boolean; egress?: boolean } = {}): void {
  const w = new EndpointMapWriter(dp.maps.endpoints);
  const r = w.upsert(LO, {
    epId: ep.epId,
    identity: ep.id,
    ingressEnforced: true,
    egressEnforced: true,
    ingressAudit: audit.ingress ?? false,
    egressAudit: audit.egress ?? false,
    addresses: [parseIp(ep.ip)!, parseIp(ep.ip6)!],
  });
  assert.ok(r.ok);
}

function run(program: "fromContainer" | "toContainer", spec: PacketSpec | Buffer): { retval: number; mark: number } {
  const r = testRun(dp.programs[program], Buffer.isBuffer(spec) ? spec : frame(spec), { ifindex: LO });
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  return r.value;
}

function events(): DatapathEvent[] {
  const r = ring.consume();
  assert.ok(r.ok);
  return r.value.map((b) => decodeEvent(b)!);
}

function counter(name: CounterName): bigint {
  const all = readCounters(dp.maps.counters);
  assert.ok(all.ok);
  return all.value[name].packets;
}

function conntrack() {
  const keys = mapKeys(dp.maps.conntrack, CT_KEY.size);
  assert.ok(keys.ok);
  return keys.value.map((k) => {
    const v = mapLookup(dp.maps.conntrack, k, CT_ENTRY.size);
    assert.ok(v.ok && v.value !== null);
    return decodeConntrack(k, v.value);
  });
}

function clearMap(fd: typeof dp.maps.conntrack, keySize: number): void {
  const keys = mapKeys(fd, keySize);
  assert.ok(keys.ok);
  for (const k of keys.value) mapDelete(fd, k);
}

before(async () => {
  pins = pinDirectory();
  const loaded = await loadDatapath({ pinDir: pins.path, defines: { EVENTS_RING_SIZE: 1 << 16 } });
  assert.ok(loaded.ok, loaded.ok ? "" : loaded.error.message);
  dp = loaded.value;
  const r = openRing(dp.maps.events);
  assert.ok(r.ok);
  ring = r.value;
  policy = new PolicyMapWriter(dp.maps.policy, (ep) => (ep === "A" ? A.epId : B.epId));
  const ipcache = new IpcacheMapWriter(dp.maps.ipcache);
  const written = ipcache.sync([
    { prefix: parsePrefix("0.0.0.0/0")!, identity: WORLD },
    { prefix: parsePrefix("::/0")!, identity: WORLD },
    ...[A, B].flatMap((ep) => [
      { prefix: parsePrefix(`${ep.ip}/32`)!, identity: ep.id },
      { prefix: parsePrefix(`${ep.ip6}/128`)!, identity: ep.id },
    ]),
  ]);
  assert.deepEqual(written, []);
});

after(() => pins.remove());

beforeEach(() => {
  clearMap(dp.maps.conntrack, CT_KEY.size);
  for (const ep of ["A", "B"]) for (const d of ["ingress", "egress"] as const) assert.ok(policy.sync(ep, d, []).ok);
  writeDatapathConfig(dp.maps.config, { eventsPerSecond: 0 });
  events();
});

describe("from_container and to_container", () => {
  test("a device with no endpoint drops everything but ARP (fail closed)", () => {
    assert.ok(new EndpointMapWriter(dp.maps.endpoints).delete(LO).ok);
    assert.equal(run("fromContainer", arpFrame()).retval, TC_ACT_OK);
    assert.equal(run("fromContainer", { src: A.ip, dst: B.ip, proto: "tcp" }).retval, TC_ACT_SHOT);
    const [e] = events();
    assert.equal(e?.kind, "drop");
    assert.equal(e?.verdict, -165);
  });

  test("a pod sending from an address that is not its own is dropped as spoofed", () => {
    become(A);
    assert.ok(policy.sync("A", "egress", [{ key: key(0, 0, 0), entry: allow() }]).ok);
    assert.equal(run("fromContainer", { src: "10.0.0.99", dst: B.ip, proto: "tcp" }).retval, TC_ACT_SHOT);
    assert.equal(events()[0]?.verdict, -132);
  });

  test("egress: allowed by the destination's identity and port; tracked; reported once as a new flow", () => {
    become(A);
    assert.ok(policy.sync("A", "egress", [{ key: key(B.id, 6, 80), entry: allow() }]).ok);
    const forwarded = counter("forwarded");
    assert.equal(run("fromContainer", { src: A.ip, dst: B.ip, proto: "tcp", dport: 80 }).retval, TC_ACT_OK);
    assert.equal(run("fromContainer", { src: A.ip, dst: B.ip, proto: "tcp", dport: 80, tcpFlags: TCP.ack }).retval, TC_ACT_OK);
    assert.equal(counter("forwarded") - forwarded, 2n);
    const es = events();
    assert.equal(es.length, 1, "only the new flow is reported");
    assert.deepEqual(
      {
        kind: es[0]!.kind,
        dir: es[0]!.direction,
        verdict: es[0]!.verdict,
        match: es[0]!.matchType,
        remote: es[0]!.remoteIdentity,
        port: es[0]!.destinationPort,
      },
      { kind: "policy-verdict", dir: "egress", verdict: 0, match: 2, remote: B.id, port: 80 },
    );
    const [ct] = conntrack();
    assert.deepEqual(
      {
        src: ct!.source,
        dst: ct!.destination,
        dport: ct!.destinationPort,
        dir: ct!.direction,
        packets: ct!.packets,
        remote: ct!.remoteIdentity,
      },
      { src: A.ip, dst: B.ip, dport: 80, dir: "egress", packets: 2n, remote: B.id },
    );
    // Another port, and the same port to the world, are not allowed.
    assert.equal(run("fromContainer", { src: A.ip, dst: B.ip, proto: "tcp", dport: 81 }).retval, TC_ACT_SHOT);
    assert.equal(run("fromContainer", { src: A.ip, dst: "192.0.2.1", proto: "tcp", dport: 80 }).retval, TC_ACT_SHOT);
    const drops = events();
    assert.deepEqual(
      drops.map((e) => [e.kind, e.verdict, e.remoteIdentity]),
      [
        ["policy-verdict", -133, B.id],
        ["drop", -133, B.id],
        ["policy-verdict", -133, WORLD],
        ["drop", -133, WORLD],
      ],
    );
  });

  test("a deny entry drops with DROP_POLICY_DENY even where an allow matches", () => {
    become(A);
    assert.ok(
      policy.sync("A", "egress", [
        { key: key(0, 6, 80), entry: allow() },
        { key: key(B.id, 0, 0), entry: deny },
      ]).ok,
    );
    const denied = counter("drop-policy-deny");
    assert.equal(run("fromContainer", { src: A.ip, dst: B.ip, proto: "tcp", dport: 80 }).retval, TC_ACT_SHOT);
    assert.equal(counter("drop-policy-deny") - denied, 1n);
    assert.deepEqual(
      events().map((e) => [e.kind, e.verdict, e.matchType]),
      [
        ["policy-verdict", -181, 1],
        ["drop", -181, 1],
      ],
    );
  });

  test("ingress: replies to an allowed flow pass both ends without any rule; policy is checked per packet", () => {
    become(A);
    assert.ok(policy.sync("A", "egress", [{ key: key(B.id, 6, 80), entry: allow() }]).ok);
    assert.equal(run("fromContainer", { src: A.ip, dst: B.ip, proto: "tcp", sport: 40000, dport: 80 }).retval, TC_ACT_OK);
    become(B);
    assert.ok(policy.sync("B", "ingress", [{ key: key(A.id, 6, 80), entry: allow() }]).ok);
    assert.equal(run("toContainer", { src: A.ip, dst: B.ip, proto: "tcp", sport: 40000, dport: 80 }).retval, TC_ACT_OK);
    const reply = { src: B.ip, dst: A.ip, proto: "tcp", sport: 80, dport: 40000, tcpFlags: TCP.syn | TCP.ack } as const;
    // B has no egress rule to A, A no ingress rule from B (both maps are empty: default deny).
    const replies = counter("reply");
    assert.equal(run("fromContainer", reply).retval, TC_ACT_OK);
    become(A);
    assert.equal(run("toContainer", reply).retval, TC_ACT_OK);
    assert.equal(counter("reply") - replies, 2n);
    assert.ok(conntrack().every((c) => c.replySeen));
    // Removing the allow cuts the established flow in its original direction; replies still pass.
    assert.ok(policy.sync("A", "egress", []).ok);
    assert.equal(
      run("fromContainer", { src: A.ip, dst: B.ip, proto: "tcp", sport: 40000, dport: 80, tcpFlags: TCP.ack }).retval,
      TC_ACT_SHOT,
    );
    assert.equal(run("toContainer", reply).retval, TC_ACT_OK);
    // A packet from B that is not a reply needs B's egress rule.
    become(B);
    assert.equal(run("fromContainer", { src: B.ip, dst: A.ip, proto: "tcp", sport: 80, dport: 40001 }).retval, TC_ACT_SHOT);
  });

  test("an established flow's verdict is kept for the policy epoch it was reached in; a new epoch decides it again", () => {
    const config = (policyEpoch: number) => writeDatapathConfig(dp.maps.config, { eventsPerSecond: 0, policyEpoch });
    const next = { src: A.ip, dst: B.ip, proto: "tcp", sport: 40000, dport: 80, tcpFlags: TCP.ack } as const;
    become(A);
    config(7);
    assert.ok(policy.sync("A", "egress", [{ key: key(B.id, 6, 80), entry: allow() }]).ok);
    assert.equal(run("fromContainer", { ...next, tcpFlags: TCP.syn }).retval, TC_ACT_OK);
    // The allow goes but the epoch stays (as between the agent's map write and its bump): the flow
    // keeps the verdict it was given; a new flow is looked up and dropped.
    assert.ok(policy.sync("A", "egress", []).ok);
    assert.equal(run("fromContainer", next).retval, TC_ACT_OK);
    assert.equal(run("fromContainer", { ...next, sport: 40001, tcpFlags: TCP.syn }).retval, TC_ACT_SHOT);
    // The agent bumps the epoch after its change: the established flow is decided again, and cut.
    config(8);
    assert.equal(run("fromContainer", next).retval, TC_ACT_SHOT);
    // Epoch 0 never caches: every packet is looked up.
    config(0);
    assert.ok(policy.sync("A", "egress", [{ key: key(B.id, 6, 80), entry: allow() }]).ok);
    assert.equal(run("fromContainer", next).retval, TC_ACT_OK);
    assert.ok(policy.sync("A", "egress", []).ok);
    assert.equal(run("fromContainer", next).retval, TC_ACT_SHOT);
  });

  test("ingress from the tunnel: the identity in the mark (from the VNI) is trusted over the ipcache", () => {
    become(B);
    const C = asIdentity(1003);
    assert.ok(policy.sync("B", "ingress", [{ key: key(C, 6, 80), entry: allow() }]).ok);
    const packet = frame({ src: A.ip, dst: B.ip, proto: "tcp", dport: 80 });
    const fromTunnel = (identity: number) => testRun(dp.programs.toContainer, packet, { ifindex: LO, mark: 0xf00 | (identity << 16) });
    assert.equal(run("toContainer", packet).retval, TC_ACT_SHOT, "A's identity (from the ipcache) is not allowed");
    const r = fromTunnel(C);
    assert.ok(r.ok);
    assert.equal(r.value.retval, TC_ACT_OK);
    const other = fromTunnel(A.id);
    assert.ok(other.ok);
    assert.equal(other.value.retval, TC_ACT_SHOT);
    assert.deepEqual(
      events().map((e) => [e.kind, e.remoteIdentity]),
      [
        ["policy-verdict", A.id],
        ["drop", A.id],
        ["policy-verdict", C],
        ["policy-verdict", A.id],
        ["drop", A.id],
      ],
    );
  });

  test("a flow from the tunnel keeps its verdict for the identity it was decided for; another identity on it is decided again", () => {
    const config = (policyEpoch: number) => writeDatapathConfig(dp.maps.config, { eventsPerSecond: 0, policyEpoch });
    become(B);
    config(9);
    const C = asIdentity(1003);
    assert.ok(policy.sync("B", "ingress", [{ key: key(C, 6, 80), entry: allow() }]).ok);
    const packet = frame({ src: A.ip, dst: B.ip, proto: "tcp", sport: 40100, dport: 80, tcpFlags: TCP.ack });
    const fromTunnel = (identity: number): number => {
      const r = testRun(dp.programs.toContainer, packet, { ifindex: LO, mark: 0xf00 | (identity << 16) });
      assert.ok(r.ok);
      return r.value.retval;
    };
    assert.equal(fromTunnel(C), TC_ACT_OK);
    // The allow goes, the epoch stays: the flow keeps its verdict for C, but A on it is looked up.
    assert.ok(policy.sync("B", "ingress", []).ok);
    assert.equal(fromTunnel(C), TC_ACT_OK);
    assert.equal(fromTunnel(A.id), TC_ACT_SHOT);
    config(10);
    assert.equal(fromTunnel(C), TC_ACT_SHOT);
    config(0);
  });

  test("ICMP: the type is the port; echo replies and related errors pass; frag-needed always passes", () => {
    become(A);
    assert.ok(
      policy.sync("A", "egress", [
        { key: key(B.id, 1, 8), entry: allow() },
        { key: key(B.id, 17, 53), entry: allow() },
      ]).ok,
    );
    assert.equal(run("fromContainer", { src: A.ip, dst: B.ip, proto: "icmp", icmpType: 8, icmpId: 9 }).retval, TC_ACT_OK);
    assert.equal(run("fromContainer", { src: A.ip, dst: B.ip, proto: "icmp", icmpType: 13 }).retval, TC_ACT_SHOT, "timestamp: not allowed");
    assert.equal(run("toContainer", { src: B.ip, dst: A.ip, proto: "icmp", icmpType: 0, icmpId: 9 }).retval, TC_ACT_OK, "echo reply");
    assert.equal(run("toContainer", { src: B.ip, dst: A.ip, proto: "icmp", icmpType: 0, icmpId: 10 }).retval, TC_ACT_SHOT, "another id");
    // Port unreachable for an allowed UDP flow is related; for an unknown flow it is not.
    const udp = { src: A.ip, dst: B.ip, proto: "udp", sport: 5000, dport: 53 } as const;
    assert.equal(run("fromContainer", udp).retval, TC_ACT_OK);
    const related = counter("related");
    const unreachable = (quote: PacketSpec) =>
      ({ src: B.ip, dst: A.ip, proto: "icmp", icmpType: 3, icmpCode: 3, quote: ipPacket(quote) }) as const;
    assert.equal(run("toContainer", unreachable(udp)).retval, TC_ACT_OK);
    assert.equal(counter("related") - related, 1n);
    assert.equal(run("toContainer", unreachable({ ...udp, sport: 5001 })).retval, TC_ACT_SHOT);
    const fragNeeded = {
      src: "192.0.2.1",
      dst: A.ip,
      proto: "icmp",
      icmpType: 3,
      icmpCode: 4,
      quote: ipPacket({ ...udp, dst: "192.0.2.9" }),
    } as const;
    assert.equal(run("toContainer", fragNeeded).retval, TC_ACT_OK);
  });

  test("IPv6 flows are looked up and tracked like IPv4 ones", () => {
    become(A);
    assert.ok(policy.sync("A", "egress", [{ key: key(B.id, 6, 443), entry: allow() }]).ok);
    assert.equal(run("fromContainer", { src: A.ip6, dst: B.ip6, proto: "tcp", dport: 443 }).retval, TC_ACT_OK);
    assert.equal(run("fromContainer", { src: A.ip6, dst: B.ip6, proto: "tcp", dport: 80 }).retval, TC_ACT_SHOT);
    assert.equal(
      run("toContainer", { src: B.ip6, dst: A.ip6, proto: "tcp", sport: 443, dport: 40000, tcpFlags: TCP.syn | TCP.ack }).retval,
      TC_ACT_OK,
    );
    assert.equal(
      run("fromContainer", { src: A.ip6, dst: B.ip6, proto: "icmp", icmpType: 135 }).retval,
      TC_ACT_OK,
      "neighbour solicitation",
    );
    const link = (spec: PacketSpec) => run("fromContainer", spec).retval;
    assert.equal(link({ src: "fe80::1", dst: "ff02::2", proto: "icmp", icmpType: 133 }), TC_ACT_OK, "router solicitation");
    assert.equal(link({ src: "::", dst: "ff02::16", proto: "icmp", icmpType: 143 }), TC_ACT_OK, "MLD report");
    assert.equal(link({ src: "fe80::1", dst: B.ip6, proto: "icmp", icmpType: 128 }), TC_ACT_SHOT, "an echo from a foreign address");
    assert.deepEqual(
      events().map((e) => [e.family, e.verdict, e.source]),
      [
        [6, 0, A.ip6],
        [6, -133, A.ip6],
        [6, -133, A.ip6],
        [6, -132, "fe80::1"],
      ],
    );
  });

  test("headers past the directly readable part are read through the helper: the same verdicts, and a cut header drops", () => {
    become(A);
    assert.ok(policy.sync("A", "egress", [{ key: key(B.id, 6, 443), entry: allow() }]).ok);
    // 8 bytes of options: the TCP header is read in place; 320: it starts past PACKET_DIRECT_MAX_OFF.
    for (const hopByHopBytes of [8, 320]) {
      const spec = { src: A.ip6, dst: B.ip6, proto: "tcp", hopByHopBytes, sport: 40000 + hopByHopBytes } as const;
      assert.equal(run("fromContainer", { ...spec, dport: 443 }).retval, TC_ACT_OK, `${hopByHopBytes} bytes of options, 443`);
      assert.equal(run("fromContainer", { ...spec, dport: 80 }).retval, TC_ACT_SHOT, `${hopByHopBytes} bytes of options, 80`);
    }
    assert.deepEqual(
      events().map((e) => [e.verdict, e.destinationPort]),
      [
        [0, 443],
        [-133, 80],
        [-133, 80],
        [0, 443],
        [-133, 80],
        [-133, 80],
      ],
    );
    const cut = frame({ src: A.ip6, dst: B.ip6, proto: "tcp", dport: 443, hopByHopBytes: 320 }).subarray(0, 14 + 40 + 320 + 10);
    assert.equal(run("fromContainer", cut).retval, TC_ACT_SHOT);
    assert.equal(events()[0]?.verdict, -135, "DROP_CT_INVALID_HDR");
  });

  test("a later fragment that no port-less rule allows is dropped as unsupported", () => {
    become(A);
    assert.ok(policy.sync("A", "egress", [{ key: key(B.id, 17, 53), entry: allow() }]).ok);
    assert.equal(run("fromContainer", { src: A.ip, dst: B.ip, proto: "udp", dport: 53, fragmentOffset: 100 }).retval, TC_ACT_SHOT);
    assert.equal(events()[0]?.verdict, -157);
    assert.ok(policy.sync("A", "egress", [{ key: key(B.id, 0, 0), entry: allow() }]).ok);
    assert.equal(run("fromContainer", { src: A.ip, dst: B.ip, proto: "udp", dport: 53, fragmentOffset: 100 }).retval, TC_ACT_OK);
  });

  test("events are rate limited per CPU; the rest are counted", () => {
    become(A);
    writeDatapathConfig(dp.maps.config, { eventsPerSecond: 2 });
    const limited = counter("events-rate-limited");
    // Each policy drop is two events (a policy verdict and a drop): 10 in all.
    for (let i = 0; i < 5; i++) run("fromContainer", { src: A.ip, dst: B.ip, proto: "tcp", dport: 1000 + i });
    // Test runs may land on either CPU; each has its own budget of 2 per second.
    const sent = events().length;
    assert.ok(sent >= 2 && sent <= 4, `sent ${sent}`);
    assert.equal(counter("events-rate-limited") - limited, BigInt(10 - sent));
  });

  test("an L7 port goes to the proxy's listener; with no proxy listening it fails closed", async () => {
    become(A);
    assert.ok(policy.sync("A", "egress", [{ key: key(B.id, 6, 80), entry: allow(15001) }]).ok);
    assert.equal(run("fromContainer", { src: A.ip, dst: B.ip, proto: "tcp", dport: 80 }).retval, TC_ACT_SHOT);
    assert.equal(events()[0]?.verdict, -178, "DROP_PROXY_LOOKUP_FAILED");
    // With a listener the lookup succeeds; a test run is not at tc ingress, so the kernel refuses
    // the assignment itself (bpf_sk_assign: EOPNOTSUPP) — the lab tests hand real packets over.
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(15001, "127.0.0.1", resolve));
    try {
      assert.equal(run("fromContainer", { src: A.ip, dst: B.ip, proto: "tcp", dport: 80 }).retval, TC_ACT_SHOT);
      assert.equal(events()[0]?.verdict, -179, "DROP_PROXY_SET_FAILED");
    } finally {
      server.close();
    }
  });

  test("audit mode: a would-be drop passes with a policy verdict carrying its drop code; other drops still drop", () => {
    // Default deny in audit mode (the endpoint's flag), egress only.
    become(A, { egress: true });
    const out = { src: A.ip, dst: B.ip, proto: "tcp", sport: 40000, dport: 80 } as const;
    assert.equal(run("fromContainer", out).retval, TC_ACT_OK);
    assert.deepEqual(
      events().map((e) => [e.kind, e.verdict, e.audited]),
      [["policy-verdict", -133, true]],
    );
    become(A, { ingress: true });
    assert.equal(run("fromContainer", { ...out, sport: 40001 }).retval, TC_ACT_SHOT, "the other direction is not audited");
    assert.deepEqual(
      events().map((e) => [e.kind, e.audited]),
      [
        ["policy-verdict", false],
        ["drop", false],
      ],
    );
    // A deny entry in audit mode passes too, whatever the endpoint's mode; an enforced one drops.
    become(B);
    const audited = new PolicyMapWriter(
      dp.maps.policy,
      () => B.epId,
      (_ep, entry) => entry.precedence === 0x1ff,
    );
    assert.ok(audited.sync("B", "ingress", [{ key: key(A.id, 6, 80), entry: deny }]).ok);
    assert.equal(run("toContainer", out).retval, TC_ACT_OK);
    assert.deepEqual(
      events().map((e) => [e.kind, e.verdict, e.audited]),
      [["policy-verdict", -181, true]],
    );
    assert.ok(policy.sync("B", "ingress", [{ key: key(A.id, 6, 80), entry: deny }]).ok);
    assert.equal(run("toContainer", { ...out, sport: 40002 }).retval, TC_ACT_SHOT);
    assert.deepEqual(
      events().map((e) => [e.kind, e.verdict, e.audited]),
      [
        ["policy-verdict", -181, false],
        ["drop", -181, false],
      ],
    );
  });

  test("ingress L7: the flow is tracked with its proxy port and bounced to the proxy device; without one it fails closed", () => {
    become(B);
    assert.ok(policy.sync("B", "ingress", [{ key: key(A.id, 6, 80), entry: allow(15001) }]).ok);
    const syn = { src: A.ip, dst: B.ip, proto: "tcp", sport: 40000, dport: 80 } as const;
    assert.equal(run("toContainer", syn).retval, TC_ACT_SHOT);
    assert.equal(events().at(-1)?.verdict, -178, "DROP_PROXY_LOOKUP_FAILED: no proxy device configured");
    writeDatapathConfig(dp.maps.config, { eventsPerSecond: 0, proxyIfindex: LO });
    assert.equal(run("toContainer", syn).retval, TC_ACT_REDIRECT);
    assert.deepEqual(
      conntrack().map((c) => [c.direction, c.remoteIdentity, c.proxyPort]),
      [["ingress", A.id, 15001]],
    );
    assert.deepEqual(
      events().map((e) => [e.kind, e.verdict]),
      [["policy-verdict", 15001]],
    );
    // On the proxy device the tracked flow's proxy port is found; the hand-over itself needs a
    // real tc ingress (a test run is refused by bpf_sk_assign, as above), so: no listener here.
    const r = testRun(dp.programs.toProxy, frame(syn), { ifindex: LO });
    assert.ok(r.ok);
    assert.equal(r.value.retval, TC_ACT_SHOT);
    assert.equal(events().at(-1)?.verdict, -178);
    // A flow that began before the redirect follows it from its next packet on.
    clearMap(dp.maps.conntrack, CT_KEY.size);
    assert.ok(policy.sync("B", "ingress", [{ key: key(A.id, 6, 80), entry: allow() }]).ok);
    assert.equal(run("toContainer", syn).retval, TC_ACT_OK);
    assert.ok(policy.sync("B", "ingress", [{ key: key(A.id, 6, 80), entry: allow(15001) }]).ok);
    assert.equal(run("toContainer", { ...syn, tcpFlags: TCP.ack }).retval, TC_ACT_REDIRECT);
    assert.deepEqual(
      conntrack().map((c) => c.proxyPort),
      [15001],
    );
    // A flow the datapath never redirected is not the proxy device's to take.
    clearMap(dp.maps.conntrack, CT_KEY.size);
    const stray = testRun(dp.programs.toProxy, frame(syn), { ifindex: LO });
    assert.ok(stray.ok);
    assert.equal(stray.value.retval, TC_ACT_SHOT);
  });

  test("from_netdev: a reply to the egress proxy's connection from a pod's address goes to that socket, nothing else is taken", async () => {
    /** A UDP socket of this namespace bound (transparently) to `ip`, carrying `mark`; its port. */
    const bound = async (ip: string, mark: number): Promise<{ port: number; close(): void }> => {
      const fd = markedSocket(null, 4, mark, "udp", ip);
      assert.ok(fd.ok, fd.ok ? "" : fd.error.message);
      const s = dgram.createSocket("udp4");
      await new Promise<void>((resolve) => s.bind({ fd: fd.value }, resolve));
      return { port: s.address().port, close: () => s.close() };
    };
    const reply = (dst: string, dport: number): number => {
      const r = testRun(dp.programs.fromNetdev, frame({ src: B.ip, dst, proto: "udp", sport: 53, dport }), { ifindex: LO });
      assert.ok(r.ok);
      return r.value.retval;
    };
    const egress = await bound(A.ip, 0xb00 | (A.id << 16));
    const ingress = await bound(A.ip, 0xa00 | (A.id << 16));
    const outside = await bound("192.0.2.7", 0xb00 | (A.id << 16));
    try {
      // Found: the egress proxy's socket bound to the pod's address. (A test run is not at tc
      // ingress, so the kernel refuses the assignment itself, as above: the lab hands real replies over.)
      assert.equal(reply(A.ip, egress.port), TC_ACT_SHOT);
      assert.equal(events().at(-1)?.verdict, -179, "DROP_PROXY_SET_FAILED");
      assert.equal(reply(A.ip, ingress.port), TC_ACT_OK, "another proxy's socket is not taken");
      assert.equal(reply("192.0.2.7", outside.port), TC_ACT_OK, "not a pod's address: no lookup");
      assert.equal(reply(A.ip, 9), TC_ACT_OK, "no socket: the packet goes on");
    } finally {
      for (const s of [egress, ingress, outside]) s.close();
    }
  });

  test("from the proxies: the egress proxy's flow is checked as its source's identity, the ingress proxy's is delivered", () => {
    become(B);
    const C = asIdentity(1003);
    assert.ok(policy.sync("B", "ingress", [{ key: key(C, 6, 80), entry: allow() }]).ok);
    // The upstream connection comes from the node's address (the world's identity in this ipcache).
    const packet = frame({ src: "192.0.2.1", dst: B.ip, proto: "tcp", dport: 80 });
    const marked = (mark: number) => {
      const r = testRun(dp.programs.toContainer, packet, { ifindex: LO, mark });
      assert.ok(r.ok);
      return r.value.retval;
    };
    assert.equal(marked(0), TC_ACT_SHOT, "as the host address it is not allowed");
    assert.equal(marked(0xb00 | (C << 16)), TC_ACT_OK, "from the egress proxy, as C: allowed");
    assert.equal(marked(0xb00 | (A.id << 16)), TC_ACT_SHOT, "from the egress proxy, as A: denied");
    clearMap(dp.maps.conntrack, CT_KEY.size);
    events();
    assert.equal(marked(0xa00 | (A.id << 16)), TC_ACT_OK, "from the ingress proxy: already decided there");
    assert.deepEqual(
      conntrack().map((c) => [c.direction, c.remoteIdentity]),
      [["ingress", A.id]],
    );
    assert.deepEqual(events(), [], "the proxy reports the flow, not the datapath");
  });
});

test("conntrack GC deletes expired flows and keeps live ones; the datapath's deadlines are on the monotonic clock", () => {
  become(A);
  assert.ok(policy.sync("A", "egress", [{ key: key(0, 0, 0), entry: allow() }]).ok);
  clearMap(dp.maps.conntrack, CT_KEY.size);
  const before = process.hrtime.bigint();
  run("fromContainer", { src: A.ip, dst: B.ip, proto: "udp", sport: 7000, dport: 53 });
  run("fromContainer", { src: A.ip, dst: B.ip, proto: "tcp", sport: 7001, dport: 80 });
  const [udp, tcp] = conntrack().sort((a, b) => a.sourcePort - b.sourcePort);
  // UDP lives 60 s, a TCP flow that has sent only a SYN 60 s too: deadlines a minute from now.
  for (const e of [udp!, tcp!]) assert.ok(e.expires > before + 59_000_000_000n && e.expires < process.hrtime.bigint() + 61_000_000_000n);
  // Now: nothing is expired; a minute and a bit later, both are.
  const live = collectConntrack(dp.maps.conntrack);
  assert.ok(live.ok);
  assert.deepEqual([conntrack().length, [...live.value.liveDestinations]], [2, [B.ip]], "the live flows' destinations are reported");
  const gc = collectConntrack(dp.maps.conntrack, process.hrtime.bigint() + 61_000_000_000n);
  assert.ok(gc.ok);
  assert.deepEqual(gc.value, { scanned: 2, deleted: 2, liveDestinations: new Set() });
  assert.equal(conntrack().length, 0);
});

test("the key TypeScript encodes finds the entry the datapath made, whichever end of the flow sorts first; replies are replies", () => {
  for (const ep of ["A", "B"])
    for (const d of ["ingress", "egress"] as const) assert.ok(policy.sync(ep, d, [{ key: key(0, 0, 0), entry: allow() }]).ok);
  const at = (ep: typeof A, address: string): typeof A => (address.includes(":") ? { ...ep, ip6: address } : { ...ep, ip: address });
  // Ends whose byte order and little-endian word order disagree (10.0.1.2 / 10.0.2.1, fd00::1:2 /
  // fd00::2:1), and whose 64-bit halves disagree (fd00::ffff / fd01::1); each pair opened both ways.
  const pairs = [
    ["10.0.1.2", "10.0.2.1"],
    ["fd00::1:2", "fd00::2:1"],
    ["fd00::ffff", "fd01::1"],
  ].flatMap(([x, y]) => [
    [at(A, x!), at(B, y!)],
    [at(B, y!), at(A, x!)],
  ]);
  const flows = [
    ...pairs.map(([opener, peer], i) => ({ opener: opener!, peer: peer!, sourcePort: 40000 + i, destinationPort: 80 })),
    // One address, the ends told apart by port (a pod reaching itself through a service).
    { opener: A, peer: A, sourcePort: 40010, destinationPort: 80 },
    { opener: A, peer: A, sourcePort: 80, destinationPort: 40011 },
  ];
  for (const { opener, peer, sourcePort, destinationPort } of flows) {
    const v6 = opener.ip6 !== A.ip6 && opener.ip6 !== B.ip6;
    const f = { source: v6 ? opener.ip6 : opener.ip, destination: v6 ? peer.ip6 : peer.ip, sourcePort, destinationPort };
    const self = opener === peer;
    const spec = { src: f.source, dst: f.destination, proto: "tcp", sport: sourcePort, dport: destinationPort } as const;
    const reply = {
      src: f.destination,
      dst: f.source,
      proto: "tcp",
      sport: destinationPort,
      dport: sourcePort,
      tcpFlags: TCP.ack,
    } as const;
    const replies = counter("reply");
    become(opener);
    assert.equal(run("fromContainer", spec).retval, TC_ACT_OK);
    if (!self) {
      become(peer);
      assert.equal(run("toContainer", spec).retval, TC_ACT_OK);
      assert.equal(run("fromContainer", reply).retval, TC_ACT_OK);
      become(opener);
    }
    assert.equal(run("toContainer", reply).retval, TC_ACT_OK);
    assert.equal(
      counter("reply") - replies,
      self ? 1n : 2n,
      `${f.source}:${sourcePort} → ${f.destination}:${destinationPort}: the answers are replies`,
    );
    for (const direction of ["egress", "ingress"] as const) {
      if (direction === "ingress" && self) continue;
      const found = lookupConntrack(dp.maps.conntrack, { ...f, proto: 6, direction });
      assert.ok(found.ok);
      const v = found.value;
      assert.deepEqual(
        v && {
          source: v.source,
          destination: v.destination,
          sourcePort: v.sourcePort,
          destinationPort: v.destinationPort,
          direction: v.direction,
          packets: v.packets,
        },
        { ...f, direction, packets: 1n },
        `${f.source}:${sourcePort} → ${f.destination}:${destinationPort}, ${direction}`,
      );
    }
    // The same flow asked for the other way round is not tracked (it was opened this way).
    const reversed = { source: f.destination, destination: f.source, sourcePort: destinationPort, destinationPort: sourcePort };
    const other = lookupConntrack(dp.maps.conntrack, { ...reversed, proto: 6, direction: "egress" });
    assert.ok(other.ok);
    assert.equal(other.value, null);
  }
});

test("an endpoint's record is read again once the agent bumps the policy epoch, and at epoch 0 every time", () => {
  for (const ep of ["A", "B"]) assert.ok(policy.sync(ep, "egress", [{ key: key(0, 0, 0), entry: allow() }]).ok);
  const epoch = (policyEpoch: number) => assert.ok(writeDatapathConfig(dp.maps.config, { eventsPerSecond: 0, policyEpoch }).ok);
  const send = (from: typeof A) => run("fromContainer", { src: from.ip, dst: "192.0.2.1", proto: "udp", sport: 5000 + from.epId }).retval;
  // The records are cached per CPU: this thread stays on one while the cache is looked at.
  const cpus = execFileSync("taskset", ["-pc", String(process.pid)], { encoding: "utf8" })
    .split(":")
    .at(-1)!
    .trim();
  execFileSync("taskset", ["-pc", "0", String(process.pid)], { stdio: "ignore" });
  try {
    become(A);
    epoch(5);
    assert.equal(send(A), TC_ACT_OK);
    // The record changes (B's device now); until the agent's bump the one read under epoch 5 holds.
    become(B);
    assert.equal(send(B), TC_ACT_SHOT, "B's address, judged by A's record: spoofed");
    epoch(6);
    assert.equal(send(B), TC_ACT_OK);
    // Epoch 0 (unset) reads the record every time.
    epoch(0);
    become(A);
    assert.equal(send(A), TC_ACT_OK);
  } finally {
    execFileSync("taskset", ["-pc", cpus, String(process.pid)], { stdio: "ignore" });
  }
});

test("every counter the header defines is readable", () => {
  assert.equal(COUNTER_NAMES.length, 8);
  for (const n of COUNTER_NAMES) assert.equal(typeof counter(n), "bigint");
});
