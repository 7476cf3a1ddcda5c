import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, Socket, type AddressInfo } from "node:net";
import { test } from "node:test";
import { markedSocket, PROXY_UPSTREAM_PORTS, upstreamPortsHonoured } from "./sockets.ts";

test("an egress proxy's transparent upstream connections take their ports from PROXY_UPSTREAM_PORTS, chosen at connect", async () => {
  assert.equal(upstreamPortsHonoured(null), true, "this kernel (6.3+) and the default ephemeral range honour the range");
  const server = createServer((c) => c.on("error", () => undefined));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const fd = markedSocket(null, 4, 0, "tcp", "127.0.0.1");
      assert.ok(fd.ok, fd.ok ? "" : fd.error.message);
      const s = new Socket({ fd: fd.value });
      sockets.push(s);
      assert.equal(s.localPort ?? 0, 0, "no port before connect (IP_BIND_ADDRESS_NO_PORT: the range's ports are shared by destinations)");
      s.connect(port, "127.0.0.1");
      await once(s, "connect");
      assert.ok(s.localPort! >= PROXY_UPSTREAM_PORTS.min && s.localPort! <= PROXY_UPSTREAM_PORTS.max, `port ${s.localPort}`);
    }
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});
