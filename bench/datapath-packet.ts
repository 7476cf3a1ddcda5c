/**
 * What one packet costs the endpoint programs, in the kernel (root): BPF_PROG_TEST_RUN runs a
 * program {@link REPEAT} times on one crafted packet and times the runs itself, so the figure is
 * the programs' own work, without the veth, TCP and scheduler around them that make the lab's
 * throughput drift by ±25% (bench/datapath.ts). The maps hold what the throughput bench's lab
 * holds: the client's egress allow-list of 10,000 /32s plus the server, in the ipcache too.
 *
 * - `datapath_ns_egress_established`: from_container on a packet of an established flow (the
 *   client sending data: one conntrack lookup, the verdict cached under the policy epoch).
 * - `datapath_ns_ingress_established`: to_container on the same packet at the server.
 * - `datapath_ns_egress_reply`: from_container on the server's answer (a reply: no policy).
 * - `datapath_ns_egress_new`: from_container on a new flow's first packet: the ipcache and policy
 *   lookups, a conntrack entry and a policy-verdict event (each run a new source port).
 * - `datapath_ns_netdev_to_pod`: from_netdev (the uplink's ingress) on a packet from another node
 *   to a local pod's server port: what every such packet pays for the egress proxy's transparent
 *   upstream (endpoint.c from_node), with the agent's settings on this kernel.
 *
 * Each is the median of {@link ROUNDS} timed batches after a warm-up batch. Progress goes to
 * stderr; the last stdout line is the JSON of figures.
 */
import { mkdirSync, rmSync } from "node:fs";
import { asIdentity, parseIp, parsePrefix, type PolicyEntry, type PolicyKey } from "@membrane/engine";
import {
  EndpointMapWriter,
  IpcacheMapWriter,
  loadDatapath,
  openRing,
  PolicyMapWriter,
  testRun,
  upstreamPortsHonoured,
  writeDatapathConfig,
  type ProgramFd,
} from "@membrane/datapath";
import { frame, TCP, type PacketSpec } from "../packages/datapath/src/kernel/test-support/packets.ts";
import { progress, quantile } from "./lib/procs.ts";

const REPEAT = 200_000;
const ROUNDS = 7;
const ENTRIES = 10_000;
/** BPF_PROG_TEST_RUN packets arrive on loopback: the endpoint behind it is switched to play each side. */
const LO = 1;
const CLIENT = { ip: "10.244.1.10", id: asIdentity(30001), epId: 1 };
const SERVER = { ip: "10.244.1.11", id: asIdentity(30002), epId: 2 };
const WORLD = asIdentity(2);

const allow: PolicyEntry = { deny: false, precedence: 1, proxyPort: 0, parser: null, derivedFrom: [] };
const anyPort = (identity: number): PolicyKey => ({ identity: asIdentity(identity), proto: 0, port: 0, prefixLen: 0 });

const pinDir = `/sys/fs/bpf/membrane-bench-${process.pid}`;
mkdirSync(pinDir);
try {
  const loaded = await loadDatapath({ pinDir });
  if (!loaded.ok) throw new Error(loaded.error.message);
  const dp = loaded.value;
  // The other 9,999 destinations: /32s with identities of their own, as CIDR identities are.
  const others = Array.from({ length: ENTRIES - 1 }, (_, i) => ({
    prefix: parsePrefix(`10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`)!,
    identity: asIdentity(40000 + i),
  }));
  const ipcacheErrors = new IpcacheMapWriter(dp.maps.ipcache).sync([
    { prefix: parsePrefix("0.0.0.0/0")!, identity: WORLD },
    ...[CLIENT, SERVER].map((ep) => ({ prefix: parsePrefix(`${ep.ip}/32`)!, identity: ep.id })),
    ...others,
  ]);
  if (ipcacheErrors.length > 0) throw new Error(JSON.stringify(ipcacheErrors[0]));
  const policy = new PolicyMapWriter(dp.maps.policy, (ep) => (ep === "client" ? CLIENT.epId : SERVER.epId));
  const synced = [
    policy.sync(
      "client",
      "egress",
      [...others, { identity: SERVER.id }].map((o) => ({ key: anyPort(o.identity), entry: allow })),
    ),
    policy.sync("server", "ingress", [{ key: anyPort(CLIENT.id), entry: allow }]),
    policy.sync("client", "ingress", []),
    policy.sync("server", "egress", []),
  ];
  for (const s of synced) if (!s.ok) throw new Error(JSON.stringify(s.error));
  progress(`datapath per packet: client egress policy map of ${policy.size - 1} entries, ${REPEAT} runs a batch`);
  let epoch = 0;
  const proxyUpstreamPorts = upstreamPortsHonoured(null);
  // The events a new flow sends are drained as they come, as the agent does.
  const ring = openRing(dp.maps.events);
  if (!ring.ok) throw new Error(ring.error.message);

  const endpoints = new EndpointMapWriter(dp.maps.endpoints);
  const become = (ep: typeof CLIENT): void => {
    const r = endpoints.upsert(LO, {
      epId: ep.epId,
      identity: ep.id,
      ingressEnforced: true,
      egressEnforced: true,
      ingressAudit: false,
      egressAudit: false,
      addresses: [parseIp(ep.ip)!],
    });
    if (!r.ok) throw new Error(r.error.message);
    // As the agent does after every change of the maps: flows and endpoint records read before are read again.
    const config = writeDatapathConfig(dp.maps.config, { eventsPerSecond: 0, policyEpoch: ++epoch, proxyUpstreamPorts });
    if (!config.ok) throw new Error(config.error.message);
  };
  const timed = (program: ProgramFd, packet: Buffer, repeat: number): number => {
    const r = testRun(program, packet, { ifindex: LO, repeat });
    if (!r.ok) throw new Error(r.error.message);
    if (r.value.retval !== 0) throw new Error(`the program answered ${r.value.retval}, not TC_ACT_OK`);
    return r.value.durationNs;
  };
  /** The median ns a run, over ROUNDS batches after a warm-up one. */
  const measure = (name: string, program: ProgramFd, packet: () => Buffer, repeat = REPEAT): number => {
    const runs: number[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const ns = timed(program, packet(), repeat);
      ring.value.consume();
      if (round > 0) runs.push(ns);
    }
    const median = quantile(runs, 0.5);
    progress(`  ${name}: ${median} ns (batches ${runs.join(", ")})`);
    return median;
  };

  const data: PacketSpec = { src: CLIENT.ip, dst: SERVER.ip, proto: "tcp", sport: 40000, dport: 5201, tcpFlags: TCP.ack | TCP.psh };
  const answer: PacketSpec = { src: SERVER.ip, dst: CLIENT.ip, proto: "tcp", sport: 5201, dport: 40000, tcpFlags: TCP.ack };
  become(CLIENT);
  timed(dp.programs.fromContainer, frame({ ...data, tcpFlags: TCP.syn }), 1);
  const egressEstablished = measure("from_container, established", dp.programs.fromContainer, () => frame(data));
  become(SERVER);
  timed(dp.programs.toContainer, frame({ ...data, tcpFlags: TCP.syn }), 1);
  const ingressEstablished = measure("to_container, established", dp.programs.toContainer, () => frame(data));
  const egressReply = measure("from_container, reply", dp.programs.fromContainer, () => frame(answer));
  // A new flow each run needs a new packet each run: one run a batch, many batches.
  become(CLIENT);
  let port = 1024;
  const newFlows: number[] = [];
  for (let i = 0; i < 2000; i++) {
    newFlows.push(timed(dp.programs.fromContainer, frame({ ...data, sport: port++, tcpFlags: TCP.syn }), 1));
    if (i % 256 === 0) ring.value.consume();
  }
  const egressNew = quantile(newFlows.slice(200), 0.5);
  progress(`  from_container, new flow: ${egressNew} ns (median of ${newFlows.length - 200} single runs)`);
  const fromOtherNode: PacketSpec = { ...data, src: "10.244.2.20", dst: SERVER.ip };
  const netdevToPod = measure("from_netdev, to a pod", dp.programs.fromNetdev, () => frame(fromOtherNode));
  console.log(
    JSON.stringify({
      datapath_ns_egress_established: egressEstablished,
      datapath_ns_ingress_established: ingressEstablished,
      datapath_ns_egress_reply: egressReply,
      datapath_ns_egress_new: egressNew,
      datapath_ns_netdev_to_pod: netdevToPod,
    }),
  );
} finally {
  rmSync(pinDir, { recursive: true, force: true });
}
