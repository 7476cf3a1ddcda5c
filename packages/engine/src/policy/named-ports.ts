import type { ContainerPort } from "../cluster/types.ts";
import { PROTO } from "./protocol.ts";

/**
 * Every pod's named container ports, counted, for egress named-port resolution (§6.3, E36): a name
 * resolves on egress only when every pod that declares it (with that protocol) means one number.
 * Kept incrementally as pods come and go.
 */
export class NamedPortIndex {
  readonly #counts = new Map<string, Map<number, Map<number, number>>>();

  /** Counts a pod's named ports in (`+1`) or out (`-1`). */
  update(ports: readonly ContainerPort[], delta: 1 | -1): void {
    for (const p of ports) {
      if (p.name === null) continue;
      let byProto = this.#counts.get(p.name);
      if (byProto === undefined) this.#counts.set(p.name, (byProto = new Map()));
      const proto = PROTO[p.protocol];
      let byPort = byProto.get(proto);
      if (byPort === undefined) byProto.set(proto, (byPort = new Map()));
      const n = (byPort.get(p.port) ?? 0) + delta;
      if (n > 0) byPort.set(p.port, n);
      else byPort.delete(p.port);
    }
  }

  /** The one port `name` means for `proto` across the cluster, or undefined when none or several. */
  resolve(name: string, proto: number): number | undefined {
    const ports = this.#counts.get(name)?.get(proto);
    if (ports === undefined || ports.size !== 1) return undefined;
    return ports.keys().next().value;
  }

  /** A text that changes exactly when what `name` resolves to can change (for invalidation). */
  meaning(name: string): string {
    const byProto = this.#counts.get(name);
    if (byProto === undefined) return "";
    return [...byProto]
      .map(([proto, ports]) => `${proto}:${[...ports.keys()].sort((a, b) => a - b).join(",")}`)
      .sort()
      .join(";");
  }
}
