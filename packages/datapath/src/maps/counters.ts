/** Reading the datapath's per-CPU counters (lib/counters.h), summed over CPUs. */
import { err, ok, type Result } from "@membrane/engine";
import { mapLookup, possibleCpus, type KernelError, type MapFd } from "../kernel/bpf.ts";
import { COUNTER, COUNTER_NAMES, encodeCounterKey, sumPerCpu, type CounterName, type CounterValue } from "../codec/counters.ts";

/** Every counter, by name. */
export function readCounters(map: MapFd): Result<Record<CounterName, CounterValue>, KernelError> {
  const cpus = possibleCpus();
  if (!cpus.ok) return err(cpus.error);
  const out = {} as Record<CounterName, CounterValue>;
  for (const name of COUNTER_NAMES) {
    const v = mapLookup(map, encodeCounterKey(name), COUNTER.size * cpus.value);
    if (!v.ok) return err(v.error);
    out[name] = v.value === null ? { packets: 0n, bytes: 0n } : sumPerCpu(v.value, cpus.value);
  }
  return ok(out);
}
