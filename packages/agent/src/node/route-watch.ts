/** Following a node's routing table: a CNI routes a new pod's address to its device after the pod exists. */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** How long route changes settle before `onChange` runs once for all of them (a CNI adds a few at once). */
const SETTLE_MS = 100;

/**
 * Runs `onChange` after the IPv4 routes of this namespace change (`ip monitor route`); returns
 * the function that stops watching. A watcher that cannot run (no `ip`) only means no watching.
 */
export function watchRoutes(onChange: () => void): () => void {
  const child = spawn("ip", ["-4", "-o", "monitor", "route"], { stdio: ["ignore", "pipe", "ignore"] });
  child.on("error", () => undefined);
  let timer: NodeJS.Timeout | null = null;
  createInterface({ input: child.stdout }).on("line", () => {
    timer ??= setTimeout(() => {
      timer = null;
      onChange();
    }, SETTLE_MS);
  });
  return () => {
    if (timer !== null) clearTimeout(timer);
    child.kill();
  };
}
