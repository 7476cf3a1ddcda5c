import type { AddressInfo, Server } from "node:net";
import { err, ok, type Result } from "@membrane/engine";

/** Starts `server` listening on `host:port` (port 0 picks a free one); the bound address, or why not. */
export function listenTcp(server: Server, host: string, port: number): Promise<Result<AddressInfo, string>> {
  return new Promise((resolve) => {
    const onError = (e: Error): void => resolve(err(`cannot listen on ${host}:${port}: ${e.message}`));
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      // Later server errors (accept failures) must not crash the process; connections carry their own.
      server.on("error", () => undefined);
      resolve(ok(server.address() as AddressInfo));
    });
  });
}

/** The TCP address `server` listens on, if it listens. */
export function boundAddress(server: Server | null): AddressInfo | null {
  const a = server?.address();
  return a !== undefined && a !== null && typeof a === "object" ? a : null;
}
