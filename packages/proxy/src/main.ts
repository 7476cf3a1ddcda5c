#!/usr/bin/env node
/**
 * The standalone L7 proxy, for tests and benchmarks before the datapath redirects traffic:
 * `node packages/proxy/src/main.ts http|dns --listen … --upstream … --policy … --from … --to … [--port …]`.
 * Under load, start it with the Node flags of `PROXY_NODE_FLAGS` (./node-flags.ts), as the benchmarks do.
 */
import { runStandalone } from "./cli/index.ts";

const result = await runStandalone(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
if (typeof result === "number") {
  process.exitCode = result;
} else {
  const stop = (): void => {
    void result.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
