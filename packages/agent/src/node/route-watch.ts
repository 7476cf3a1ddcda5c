/** Following a node's routing table: a CNI routes a new pod's address to its device after the pod exists. */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** How long route changes settle before `onChange` runs once for all of them (a CNI adds a few at once). */
const SETTLE_MS = 100;

/**
 * Runs `onChange` after the IPv4 routes of this namespace change (`ip monitor route`); returns
 * the function that stops watching. `onEnd` hears why watching ended early (`ip` missing or gone).
 */
export function watchRoutes(onChange: () => void, onEnd: (why: string) => void): () => void {
  const child = spawn("ip", ["-4", "-o", "monitor", "route"], { stdio: ["ignore", "pipe", "ignore"] });
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  child.on("error", (e) => {
    if (!stopped) onEnd(e.message);
  });
  child.on("exit", (code, signal) => {
    if (!stopped) onEnd(`ip monitor exited (${String(code ?? signal)})`);
  });
  createInterface({ input: child.stdout }).on("line", () => {
    if (stopped) return;
    timer ??= setTimeout(() => {
      timer = null;
      onChange();
    }, SETTLE_MS);
  });
  return () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    child.kill();
  };
}
