/** Addresses in the datapath's structs: 16 bytes of room, the first 4 used for IPv4. */
import { formatIp } from "@membrane/engine";

/** The address at `offset` of `b`, of the family the struct's family byte says (4 or 6). */
export function addressAt(b: Buffer, offset: number, family: number): string {
  return formatIp({ family: family === 6 ? 6 : 4, bytes: b.subarray(offset, offset + (family === 6 ? 16 : 4)) });
}
