/** The controlling side of a pod-runtime process (see pod-runtime.ts): starts it in a netns and sends it requests. */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { netnsPath } from "../exec.ts";
import type { ConnectRequest, ServerKind } from "./pod-protocol.ts";

export type { ConnectProtocol, ConnectRequest, ServerKind, Exchange } from "./pod-protocol.ts";

/** A request in flight: its answer (null: connected) and a way to give up early. */
export interface PendingConnect {
  readonly result: Promise<string | null>;
  cancel(): void;
}

/** A runtime's answer line. */
interface Answer {
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly sent?: number;
  readonly echoed?: number;
}

/** What a stream saw: the error that ended it (null: none), bytes sent and bytes echoed back. */
export interface StreamReport {
  readonly error: string | null;
  readonly sent: number;
  readonly echoed: number;
}

const RUNTIME = new URL("./pod-runtime.ts", import.meta.url).pathname;

export class PodHandle {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting = new Map<number, (answer: Answer) => void>();
  readonly #listening = new Map<string, Promise<string | null>>();
  #next = 1;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    createInterface({ input: child.stdout }).on("line", (line) => {
      const a = JSON.parse(line) as Answer;
      this.#waiting.get(a.id)?.(a);
      this.#waiting.delete(a.id);
    });
    child.on("exit", () => {
      for (const [id, w] of this.#waiting) w({ id, ok: false, error: "the pod process exited" });
      this.#waiting.clear();
    });
  }

  /** Starts the runtime inside `netns` with this Node binary. */
  static start(netns: string): PodHandle {
    const child = spawn("nsenter", [`--net=${netnsPath(netns)}`, process.execPath, RUNTIME], { stdio: ["pipe", "pipe", "pipe"] });
    child.stderr.on("data", (d: Buffer) => process.stderr.write(`[${netns}] ${d.toString()}`));
    return new PodHandle(child);
  }

  #send(request: object): { id: number; answer: Promise<Answer> } {
    const id = this.#next++;
    const answer = new Promise<Answer>((resolve) => this.#waiting.set(id, resolve));
    this.#child.stdin.write(JSON.stringify({ id, ...request }) + "\n");
    return { id, answer };
  }

  #result(request: object): { id: number; result: Promise<string | null> } {
    const { id, answer } = this.#send(request);
    return { id, result: answer.then((a) => (a.ok ? null : (a.error ?? "failed"))) };
  }

  /**
   * Serves `protocol/port` on `address` (undefined: every address), once — asking again is answered
   * by the first request; an error code, or null once listening. A port serves one kind.
   */
  listen(protocol: ServerKind, port: number, address?: string): Promise<string | null> {
    const key = `${protocol}/${port}/${address ?? ""}`;
    let r = this.#listening.get(key);
    if (r === undefined) this.#listening.set(key, (r = this.#result({ op: "listen", protocol, port, address }).result));
    return r;
  }

  /** Adds names (name → IPv4 address) this process answers as a DNS server. */
  async zone(records: Readonly<Record<string, string>>): Promise<string | null> {
    return this.#result({ op: "zone", records }).result;
  }

  connect(r: ConnectRequest): PendingConnect {
    const { id, result } = this.#result({ op: "connect", ...r });
    return { result, cancel: () => this.#child.stdin.write(JSON.stringify({ id: this.#next++, op: "cancel", target: id }) + "\n") };
  }

  /**
   * Opens a TCP connection that sends a byte every `intervalMs` for the server to echo; resolves
   * once connected (or to the error) with `stop()`, which ends it and tells what it saw.
   */
  async stream(ip: string, port: number, intervalMs: number): Promise<{ error: string | null; stop(): Promise<StreamReport> }> {
    const { id, answer } = this.#send({ op: "stream", ip, port, intervalMs });
    const opened = await answer;
    return {
      error: opened.ok ? null : (opened.error ?? "failed"),
      stop: async () => {
        const a = await this.#send({ op: "stream-stop", target: id }).answer;
        return { error: a.ok ? null : (a.error ?? "failed"), sent: a.sent ?? 0, echoed: a.echoed ?? 0 };
      },
    };
  }

  /** Ends the process (closing stdin ends it; a kill follows if it lingers). */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.on("exit", () => resolve()));
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 2000);
    await exited;
    clearTimeout(timer);
  }
}
