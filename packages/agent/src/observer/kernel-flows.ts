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

/** Writes (or appends) every event of the lab to `path` until the returned function is called (it resolves once flushed). */
export function recordKernelFlows(lab: Lab, engine: Engine, path: string, append: boolean): () => Promise<void> {
  const out: WriteStream = createWriteStream(path, { flags: append ? "a" : "w" });
  const stop = lab.onEvent((node, e) => out.write(JSON.stringify(kernelFlowRecord(engine, node, e)) + "\n"));
  return () => {
    stop();
    return new Promise((resolve) => out.end(resolve));
  };
}
