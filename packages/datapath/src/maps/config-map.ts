/** The datapath's settings (bpf/lib/config.h: one array entry), written by the agent. */
import { mapLookup, mapUpdate, type KernelError, type MapFd } from "../kernel/bpf.ts";
import { DATAPATH_CONFIG, encodeDatapathConfig, type DatapathConfig } from "../codec/counters.ts";
import type { Result } from "@membrane/engine";

const KEY = Buffer.alloc(4);

/** Writes the settings. */
export function writeDatapathConfig(map: MapFd, config: DatapathConfig): Result<void, KernelError> {
  return mapUpdate(map, KEY, encodeDatapathConfig(config));
}

/** The policy epoch the (possibly pinned) map holds now; 0 when unset or unreadable. */
export function heldPolicyEpoch(map: MapFd): number {
  const v = mapLookup(map, KEY, DATAPATH_CONFIG.size);
  return v.ok && v.value !== null ? v.value.readUInt32LE(DATAPATH_CONFIG.policy_epoch) : 0;
}
