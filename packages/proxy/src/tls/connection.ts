import type { Socket } from "node:net";
import type { Dialer } from "../common/dial.ts";
import type { ConnectionRoute } from "../http/connection.ts";
import type { L7PolicySource } from "../http/policy-source.ts";
import { scanClientHello } from "./client-hello.ts";
import { decideSni } from "./decide.ts";
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
  #held: Buffer[] = [];
  #upstream: Socket | null = null;
  #helloTimer: NodeJS.Timeout | null;
  #closed = false;

  constructor(client: Socket, deps: TlsConnectionDeps) {
    this.#client = client;
    this.#deps = deps;
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
    const data = this.#held.length === 1 ? chunk : Buffer.concat(this.#held);
    this.#held = [data];
    const scan = scanClientHello(data, this.#deps.limits.maxHelloBytes);
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
    const verdict = decideSni(this.#deps.policy.policyFor(context), scan.serverName);
    if (verdict.kind === "allow") {
      this.#record(scan.serverName, "FORWARDED", verdict.why);
      this.#forward();
    } else if (this.#deps.policy.auditedFor?.(context) === true) {
      this.#record(scan.serverName, "AUDIT", verdict.why);
      this.#forward();
    } else {
      this.#refuse(scan.serverName, verdict.why);
    }
  };

  #record(serverName: string | null, verdict: "FORWARDED" | "DROPPED" | "AUDIT", why: string): void {
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
    const { host, port } = this.#deps.route.upstream;
    const upstream = this.#deps.dial(this.#deps.route.upstream);
    this.#upstream = upstream;
    upstream.setTimeout(this.#deps.limits.connectTimeoutMs, () => {
      this.#deps.onError(`connecting to ${host}:${port} timed out`);
      this.destroy();
    });
    upstream.on("error", (e) => {
      this.#deps.onError(`upstream ${host}:${port}: ${e.message}`);
      this.destroy();
    });
    upstream.on("close", () => this.destroy());
    upstream.once("connect", () => {
      upstream.setTimeout(0);
      const idle = (): void => this.destroy();
      this.#client.setTimeout(this.#deps.limits.idleTimeoutMs, idle);
      upstream.write(Buffer.concat(this.#held));
      this.#held = [];
      // Half-closes pass through: each side's end ends the other's writing (allowHalfOpen).
      this.#client.pipe(upstream);
      upstream.pipe(this.#client);
      this.#client.resume();
    });
  }
}
