/** Programs the kernel's endpoints map (bpf/lib/endpoints.h): which endpoint sits behind which host-side veth. */
import { err, ok, type Result } from "@membrane/engine";
import { mapDelete, mapEntries, mapUpdate, type KernelError, type MapFd } from "../kernel/bpf.ts";
import { decodeEndpoint, encodeEndpointInfo, encodeEndpointKey, ENDPOINT_INFO, type EndpointRecord } from "../codec/endpoint.ts";

export class EndpointMapWriter {
  readonly #map: MapFd;
  /** What this writer last wrote per ifindex, so an unchanged record is not written again. */
  readonly #written = new Map<number, Buffer>();
  #writes = 0;

  constructor(map: MapFd) {
    this.#map = map;
  }

  /** Kernel writes and deletes made so far (a record given again unchanged is not one). */
  get writes(): number {
    return this.#writes;
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
    const value = encodeEndpointInfo(ep);
    if (this.#written.get(ifindex)?.equals(value) === true) return ok(undefined);
    const w = mapUpdate(this.#map, encodeEndpointKey(ifindex), value);
    if (!w.ok) return w;
    this.#written.set(ifindex, value);
    this.#writes++;
    return ok(undefined);
  }

  /** Forgets the endpoint behind `ifindex`: its device then drops everything (no configuration). */
  delete(ifindex: number): Result<void, KernelError> {
    const d = mapDelete(this.#map, encodeEndpointKey(ifindex));
    if (!d.ok) return err(d.error);
    this.#written.delete(ifindex);
    this.#writes++;
    return ok(undefined);
  }
}
