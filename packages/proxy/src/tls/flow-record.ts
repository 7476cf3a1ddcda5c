import type { Disposition } from "../common/disposition.ts";
import type { ConnectionContext } from "../http/connection.ts";

/**
 * One record per decided TLS connection: the server name its ClientHello carried and what the
 * proxy did. (Hubble has no TLS L7 record; the agent shows it as an L7 flow with a summary.)
 */
export interface TlsFlowRecord {
  readonly connection: ConnectionContext;
  /** null: the ClientHello named no server, or was not one (`why` says). */
  readonly serverName: string | null;
  /** AUDIT: a connection the policy denies, let through by audit mode. */
  readonly verdict: Disposition;
  readonly why: string;
  readonly time: Date;
}

export type TlsFlowListener = (record: TlsFlowRecord) => void;
