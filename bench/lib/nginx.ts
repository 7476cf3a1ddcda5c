/**
 * nginx as the reference reverse proxy: one worker, no access log, HTTP/1.1 with keep-alive to the
 * upstream, its configuration, pid, logs and temp files in a directory of the benchmark's own.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freeTcpPort, onCpu, progress, SERVER_CPU, spawnPlain, stop, waitTcp } from "./procs.ts";

export interface Nginx {
  readonly port: number;
  close(): Promise<void>;
}

function config(dir: string, port: number, upstreamPort: number, connections: number): string {
  return `worker_processes 1;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  upstream backend {
    server 127.0.0.1:${upstreamPort};
    keepalive ${connections};
    keepalive_requests 1000000;
    keepalive_timeout 60s;
  }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/** The pids of a process's children (nginx's workers). */
function childPids(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

/** Starts nginx in the foreground (`daemon off`), on the servers' CPU, on a free port of 127.0.0.1 in front of `upstreamPort`. */
export async function startNginx(dir: string, upstreamPort: number, connections: number): Promise<Nginx> {
  mkdirSync(join(dir, "tmp"), { recursive: true });
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeTcpPort();
    const conf = join(dir, "nginx.conf");
    writeFileSync(conf, config(dir, port, upstreamPort, connections));
    const child: ChildProcess = spawnPlain(
      ...onCpu(SERVER_CPU, "nginx", ["-c", conf, "-p", dir, "-e", join(dir, "error.log"), "-g", "daemon off; master_process on;"]),
    );
    let spawnError: Error | null = null;
    child.once("error", (e) => (spawnError = e));
    const alive = (): boolean => spawnError === null && child.exitCode === null && child.signalCode === null;
    const ready = await waitTcp(port, 5000, alive);
    if (spawnError !== null) throw new Error(`cannot start nginx (run scripts/setup.sh): ${(spawnError as Error).message}`);
    if (ready) {
      return {
        port,
        close: async () => {
          const workers = child.pid === undefined ? [] : childPids(child.pid);
          await stop(child);
          for (const w of workers) {
            try {
              process.kill(w, "SIGKILL");
            } catch {
              // Already gone with its master.
            }
          }
        },
      };
    }
    await stop(child);
    let log = "";
    try {
      log = readFileSync(join(dir, "error.log"), "utf8").slice(-2000);
    } catch {
      // No log yet.
    }
    if (child.exitCode === null && child.signalCode === null) throw new Error("nginx did not stop");
    if (!/in use/i.test(log)) throw new Error(`nginx did not start (is it installed? run scripts/setup.sh): ${log.trim()}`);
    progress(`nginx: port ${port} taken, trying another`);
  }
  throw new Error("nginx did not start: no free port");
}
