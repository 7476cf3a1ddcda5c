import type { Socket } from "node:net";
import { dialUpstream, type Dialer } from "../common/dial.ts";
import { disposition, type Disposition } from "../common/disposition.ts";
import type { ConnectionRoute } from "../http/connection.ts";
import type { L7PolicySource } from "../http/policy-source.ts";
import { ClientHelloReader } from "./client-hello.ts";
import { decideSni, type SniVerdict } from "./decide.ts";
import type { TlsFlowListener } from "./flow-record.ts";
import type { TlsProxyLimits } from "./limits.ts";

export interface TlsConnectionDeps {
  readonly route: ConnectionRoute;
  readonly policy: L7PolicySource;
  readonly limits: TlsProxyLimits;
  readonly onFlow: TlsFlowListener;
  readonly onError: (message: string) => void;
  readonly dial: Dialer;
}

/**
 * One client connection through the SNI proxy: its bytes are held until they make a whole
 * ClientHello, which is decided once; an allowed connection is then spliced to the upstream
 * byte for byte (membrane terminates no TLS), a denied or malformed one is reset — Envoy's
 * network filter closes a connection the SNI policy rejects, and Cilium documents it as reset.
 */
export class TlsConnection {
  readonly #client: Socket;
  readonly #deps: TlsConnectionDeps;
  /** What the client sent before the verdict, forwarded first once it passes. */
  #held: Buffer[] = [];
  readonly #hello: ClientHelloReader;
  #upstream: Socket | null = null;
  #helloTimer: NodeJS.Timeout | null;
  #closed = false;

  constructor(client: Socket, deps: TlsConnectionDeps) {
    this.#client = client;
    this.#deps = deps;
    this.#hello = new ClientHelloReader(deps.limits.maxHelloBytes);
    this.#helloTimer = setTimeout(() => this.#refuse(null, "the ClientHello took too long to arrive"), deps.limits.helloTimeoutMs);
    client.on("data", this.#onHelloData);
    client.on("error", () => this.destroy());
    client.on("close", () => this.destroy());
    client.on("end", () => {
      if (this.#upstream === null) this.#refuse(null, "the client ended before its ClientHello was complete");
    });
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#helloTimer !== null) clearTimeout(this.#helloTimer);
    this.#client.destroy();
    this.#upstream?.destroy();
  }

  readonly #onHelloData = (chunk: Buffer): void => {
    this.#held.push(chunk);
    const scan = this.#hello.push(chunk);
    if (scan.kind === "incomplete") return;
    this.#client.off("data", this.#onHelloData);
    this.#client.pause();
    if (this.#helloTimer !== null) clearTimeout(this.#helloTimer);
    this.#helloTimer = null;
    if (scan.kind === "malformed") {
      this.#refuse(null, scan.why);
      return;
    }
    const context = this.#deps.route.context;
    const verdict = this.#decide(scan.serverName);
    const forwarded = disposition(verdict.kind === "allow", this.#deps.policy, context);
    if (forwarded === "DROPPED") return this.#refuse(scan.serverName, verdict.why);
    this.#record(scan.serverName, forwarded, verdict.why);
    this.#forward();
  };

  /** The verdict for the name asked for; a policy source that fails denies. */
  #decide(serverName: string | null): SniVerdict {
    try {
      return decideSni(this.#deps.policy.policyFor(this.#deps.route.context), serverName);
    } catch (e) {
      return { kind: "deny", why: `policy source failed: ${String(e)}` };
    }
  }

  #record(serverName: string | null, verdict: Disposition, why: string): void {
    this.#deps.onFlow({ connection: this.#deps.route.context, serverName, verdict, why, time: new Date() });
  }

  /** Resets the client; nothing it sent went anywhere. */
  #refuse(serverName: string | null, why: string): void {
    if (this.#closed) return;
    this.#record(serverName, "DROPPED", why);
    this.#closed = true;
    if (this.#helloTimer !== null) clearTimeout(this.#helloTimer);
    this.#held = [];
    this.#client.resetAndDestroy();
  }

  /** Connects upstream, sends the held ClientHello first, then splices both directions. */
  #forward(): void {
    const upstream = dialUpstream(
      this.#deps.dial,
      this.#deps.route.upstream,
      this.#deps.limits.connectTimeoutMs,
      (m) => {
        this.#deps.onError(m);
        this.destroy();
      },
      () => this.destroy(),
    );
    this.#upstream = upstream;
    upstream.once("connect", () => {
      this.#client.setTimeout(this.#deps.limits.idleTimeoutMs, () => this.destroy());
      upstream.write(Buffer.concat(this.#held));
      this.#held = [];
      // Half-closes pass through: each side's end ends the other's writing (allowHalfOpen).
      this.#client.pipe(upstream);
      upstream.pipe(this.#client);
      this.#client.resume();
    });
  }
}
