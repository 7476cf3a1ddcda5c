/** Programs the kernel's endpoints map (bpf/lib/endpoints.h): which endpoint sits behind which host-side veth. */
import { err, ok, type Result } from "@membrane/engine";
import { mapDelete, mapEntries, mapUpdate, type KernelError, type MapFd } from "../kernel/bpf.ts";
import { decodeEndpoint, encodeEndpointInfo, encodeEndpointKey, ENDPOINT_INFO, type EndpointRecord } from "../codec/endpoint.ts";

export class EndpointMapWriter {
  readonly #map: MapFd;

  constructor(map: MapFd) {
    this.#map = map;
  }

  /** The endpoints the kernel holds now: ifindex → endpoint id (what a restarted agent keeps). */
  read(): Result<Map<number, number>, KernelError> {
    const entries = mapEntries(this.#map, 4, ENDPOINT_INFO.size);
    if (!entries.ok) return err(entries.error);
    const held = new Map<number, number>();
    for (const [k, v] of entries.value) {
      const { ifindex, epId } = decodeEndpoint(k, v);
      held.set(ifindex, epId);
    }
    return ok(held);
  }

  /** Declares (or updates) the endpoint behind `ifindex`. */
  upsert(ifindex: number, ep: EndpointRecord): Result<void, KernelError> {
    return mapUpdate(this.#map, encodeEndpointKey(ifindex), encodeEndpointInfo(ep));
  }

  /** Forgets the endpoint behind `ifindex`: its device then drops everything (no configuration). */
  delete(ifindex: number): Result<void, KernelError> {
    const d = mapDelete(this.#map, encodeEndpointKey(ifindex));
    return d.ok ? ok(undefined) : err(d.error);
  }
}
