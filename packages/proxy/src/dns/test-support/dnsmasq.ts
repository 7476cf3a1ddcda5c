import { spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildQuery } from "./raw-client.ts";

/** A dnsmasq resolver run by a test on 127.0.0.1. */
export interface Dnsmasq {
  readonly port: number;
  /** Stops it (SIGTERM, then SIGKILL) and removes its files. */
  stop(): Promise<void>;
}

/**
 * The test zone: `api.example.com` A 93.184.216.34 (TTL 30), `www.example.com` CNAME to it
 * (TTL 5), everything under `blocked.test` A 10.9.9.9, `v6.example.com` AAAA 2001:db8::1; other
 * records get the local TTL of 2 s. No upstream, no /etc/hosts, no configuration file.
 */
export const ZONE_ARGS: readonly string[] = [
  "--host-record=api.example.com,93.184.216.34,30",
  "--host-record=v6.example.com,2001:db8::1,30",
  "--cname=www.example.com,api.example.com,5",
  "--address=/blocked.test/10.9.9.9",
  "--local-ttl=2",
];

const STARTUP_MS = 5000;

/**
 * Starts dnsmasq in the foreground on a free port of 127.0.0.1 with `args` (default: the test
 * zone). Throws — failing the test — when dnsmasq is not installed: run `scripts/setup.sh`.
 */
export async function startDnsmasq(args: readonly string[] = ZONE_ARGS): Promise<Dnsmasq> {
  let lastError = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "membrane-dnsmasq-"));
    const child = spawn(
      "dnsmasq",
      [
        "--no-daemon",
        `--port=${port}`,
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--no-resolv",
        "--no-hosts",
        "--no-poll",
        "--conf-file=/dev/null",
        `--pid-file=${join(dir, "dnsmasq.pid")}`,
        ...args,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
    const spawnError = new Promise<string>((resolve) => child.once("error", (e) => resolve(e.message)));
    const exited = new Promise<string>((resolve) => child.once("exit", (code, signal) => resolve(`exited (${code ?? signal})`)));
    const kill = (): void => void child.kill("SIGKILL");
    process.once("exit", kill);
    const outcome = await Promise.race([
      waitReady(port).then((ready) => (ready ? "ready" : "not answering")),
      spawnError.then((m) => `spawn: ${m}`),
      exited,
    ]);
    if (outcome === "ready")
      return {
        port,
        stop: async () => {
          process.off("exit", kill);
          await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    process.off("exit", kill);
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    if (outcome.startsWith("spawn:") && outcome.includes("ENOENT"))
      throw new Error("dnsmasq is not installed: the DNS proxy tests need it as their upstream resolver (run scripts/setup.sh)");
    lastError = `${outcome}: ${stderr.trim()}`;
    // Another process may have taken the port between the probe and dnsmasq's bind: try another.
    if (!/in use/i.test(stderr)) break;
  }
  throw new Error(`dnsmasq did not start: ${lastError}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
  await exited;
  clearTimeout(timer);
}

/** A port that is free for both UDP and TCP on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  for (;;) {
    const udp = dgram.createSocket("udp4");
    const port = await new Promise<number>((resolve) => udp.bind(0, "127.0.0.1", () => resolve(udp.address().port)));
    const tcp = createServer();
    const free = await new Promise<boolean>((resolve) => {
      tcp.once("error", () => resolve(false));
      tcp.listen(port, "127.0.0.1", () => resolve(true));
    });
    await new Promise<void>((r) => (free ? tcp.close(() => r()) : r()));
    await new Promise<void>((r) => udp.close(() => r()));
    if (free) return port;
  }
}

/** Polls the resolver until it answers a query (true) or the startup time is over (false). */
async function waitReady(port: number): Promise<boolean> {
  const deadline = Date.now() + STARTUP_MS;
  const sock = dgram.createSocket("udp4");
  try {
    while (Date.now() < deadline) {
      const answered = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 100);
        sock.once("message", () => {
          clearTimeout(timer);
          resolve(true);
        });
        sock.send(buildQuery("api.example.com", 1, 1), port, "127.0.0.1");
      });
      if (answered) return true;
    }
    return false;
  } finally {
    sock.close();
  }
}
