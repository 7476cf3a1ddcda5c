/**
 * The kernel's events as Hubble flows: each datapath event of a lab is resolved by the engine
 * (endpoints, identities, the policies behind the entry the kernel used) and written as one JSON
 * line in Hubble's `{flow, node_name, time}` shape, which `membrane observe --input-file` reads.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { datapathFlow, type Engine, type FlowRecord } from "@membrane/engine";
import { dropReasonName, type DatapathEvent } from "@membrane/datapath";
import type { Lab } from "../lab/lab.ts";

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

/** Hands every event of the lab, as a flow record, to `sink`, until the returned function is called. */
export function pipeKernelFlows(lab: Lab, engine: Engine, sink: (r: FlowRecord) => void): () => void {
  return lab.onEvent((node, e) => sink(kernelFlowRecord(engine, node, e)));
}

/** A sink writing (or appending) flow records to a file as JSON lines, and how to close it (resolves once flushed). */
export function fileSink(path: string, append: boolean): { write(r: FlowRecord): void; close(): Promise<void> } {
  const out: WriteStream = createWriteStream(path, { flags: append ? "a" : "w" });
  return { write: (r) => out.write(JSON.stringify(r) + "\n"), close: () => new Promise((resolve) => out.end(resolve)) };
}
