/**
 * The flows of the nodes an agent runs (a lab's, or this node's) as Hubble flows: each datapath event and each L7 proxy record is resolved by the
 * engine (endpoints, identities, the policies behind the entry used) into Hubble's
 * `{flow, node_name, time}` shape — written as JSON lines `membrane observe --input-file` reads,
 * or kept in the agent's ring.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { datapathFlow, proxyFlow, type Engine, type FlowRecord } from "@membrane/engine";
import { dropReasonName, type DatapathEvent } from "@membrane/datapath";
import type { Enforcement } from "../node/node-group.ts";

/** The wall-clock time of a bpf_ktime_get_ns() timestamp (both clocks read now). */
function wallClock(timestamp: bigint): string {
  const ageMs = Number(process.hrtime.bigint() - timestamp) / 1e6;
  return new Date(Date.now() - ageMs).toISOString();
}

/** The flow record of one event reported by `node`'s datapath. */
export function kernelFlowRecord(engine: Engine, node: string, e: DatapathEvent): FlowRecord {
  const time = wallClock(e.timestamp);
  const flow = datapathFlow(engine, { ...e, node, time, dropReasonName: e.verdict < 0 ? dropReasonName(e.verdict) : null });
  return { flow, node_name: node, time };
}

/** Hands every datapath event and proxy record of the nodes, as a flow record, to `sink`, until the returned function is called. */
export function pipeLabFlows(lab: Enforcement, engine: Engine, sink: (r: FlowRecord) => void): () => void {
  const stopKernel = lab.onEvent((node, e) => sink(kernelFlowRecord(engine, node, e)));
  const stopProxies = lab.onProxyRecord((r) => sink({ flow: proxyFlow(engine, r), node_name: r.node, time: r.time }));
  return () => {
    stopKernel();
    stopProxies();
  };
}

/** A sink writing (or appending) flow records to a file as JSON lines, and how to close it (resolves once flushed). */
export function fileSink(path: string, append: boolean): { write(r: FlowRecord): void; close(): Promise<void> } {
  const out: WriteStream = createWriteStream(path, { flags: append ? "a" : "w" });
  return { write: (r) => out.write(JSON.stringify(r) + "\n"), close: () => new Promise((resolve) => out.end(resolve)) };
}
