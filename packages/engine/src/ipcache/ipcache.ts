import type { NumericIdentity } from "../identity/numeric-identity.ts";
import { formatPrefix, masked, parseIp, type IpAddress, type IpPrefix } from "../net/ip.ts";

/**
 * IP prefixes → identities, looked up by longest prefix (Cilium's ipcache). Pod and node addresses
 * are full-length prefixes; policy CIDRs are shorter ones. Pure: the agent fills it from its
 * sources.
 */
export class IpCache {
  /** Per family, per prefix length, masked prefix text → identity. */
  readonly #byLength: Record<4 | 6, Map<number, Map<string, NumericIdentity>>> = { 4: new Map(), 6: new Map() };
  #lengths: Record<4 | 6, number[]> = { 4: [], 6: [] };
  #version = 0;

  /** Grows with every change, so a consumer can tell whether it has seen the current content. */
  get version(): number {
    return this.#version;
  }

  /** Maps a prefix to an identity, replacing what it mapped to. */
  upsert(prefix: IpPrefix, id: NumericIdentity): void {
    const m = masked(prefix);
    const fam = m.addr.family;
    let byText = this.#byLength[fam].get(m.bits);
    if (byText === undefined) {
      this.#byLength[fam].set(m.bits, (byText = new Map()));
      this.#lengths[fam] = [...this.#byLength[fam].keys()].sort((a, b) => b - a);
    }
    byText.set(formatPrefix(m), id);
    this.#version++;
  }

  /** Removes a prefix. */
  delete(prefix: IpPrefix): boolean {
    const m = masked(prefix);
    const deleted = this.#byLength[m.addr.family].get(m.bits)?.delete(formatPrefix(m)) ?? false;
    if (deleted) this.#version++;
    return deleted;
  }

  /** The identity of the longest prefix containing `ip`, with that prefix; undefined when none does. */
  lookup(ip: IpAddress | string): { readonly id: NumericIdentity; readonly prefix: string } | undefined {
    const addr = typeof ip === "string" ? parseIp(ip) : ip;
    if (addr === undefined) return undefined;
    for (const bits of this.#lengths[addr.family]) {
      const text = formatPrefix(masked({ addr, bits }));
      const id = this.#byLength[addr.family].get(bits)!.get(text);
      if (id !== undefined) return { id, prefix: text };
    }
    return undefined;
  }

  /** Every mapping, for `membrane identity list` and the agent. */
  entries(): { readonly prefix: string; readonly id: NumericIdentity }[] {
    const out: { prefix: string; id: NumericIdentity }[] = [];
    for (const fam of [4, 6] as const)
      for (const byText of this.#byLength[fam].values()) for (const [prefix, id] of byText) out.push({ prefix, id });
    return out;
  }
}
