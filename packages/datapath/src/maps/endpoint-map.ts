/** Programs the kernel's endpoints map (bpf/lib/endpoints.h): which endpoint sits behind which host-side veth. */
import { err, ok, type Result } from "@membrane/engine";
import { mapDelete, mapUpdate, type KernelError, type MapFd } from "../kernel/bpf.ts";
import { encodeEndpointInfo, encodeEndpointKey, type EndpointRecord } from "../codec/endpoint.ts";

export class EndpointMapWriter {
  readonly #map: MapFd;

  constructor(map: MapFd) {
    this.#map = map;
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
