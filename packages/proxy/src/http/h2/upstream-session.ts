import { connect, type ClientHttp2Session } from "node:http2";
import type { Dialer, Upstream } from "../../common/dial.ts";

/**
 * The HTTP/2 (h2c, prior knowledge) client session to the upstream for one client session,
 * opened on first use and opened again after it closes or fails. Streams of one client session
 * share it, so a gRPC channel through the proxy stays one upstream connection.
 */
export class UpstreamSession {
  readonly #upstream: Upstream;
  readonly #dial: Dialer;
  #session: ClientHttp2Session | null = null;
  #closed = false;

  constructor(upstream: Upstream, dial: Dialer) {
    this.#upstream = upstream;
    this.#dial = dial;
  }

  /** The open session (opening one if needed); null once closed. */
  get(): ClientHttp2Session | null {
    if (this.#closed) return null;
    const s = this.#session;
    if (s !== null && !s.closed && !s.destroyed) return s;
    const host = this.#upstream.host.includes(":") ? `[${this.#upstream.host}]` : this.#upstream.host;
    const session = connect(`http://${host}:${this.#upstream.port}`, { createConnection: () => this.#dial(this.#upstream) });
    session.on("error", () => undefined);
    session.on("close", () => {
      if (this.#session === session) this.#session = null;
    });
    this.#session = session;
    return session;
  }

  /** Closes the session; streams in flight end first. */
  close(): void {
    this.#closed = true;
    this.#session?.close();
    this.#session = null;
  }

  /** Tears the session down now. */
  destroy(): void {
    this.#closed = true;
    this.#session?.destroy();
    this.#session = null;
  }
}
