import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { createServer as createH2Server, type Http2Server, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";

/** A request as an upstream saw it. */
export interface UpstreamHit {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** Raw header names and values as sent to the upstream. */
  readonly rawHeaders: readonly string[];
  body: string;
  /** Whether the whole body arrived. */
  complete: boolean;
}

/** A running test upstream. */
export interface TestUpstream {
  readonly port: number;
  readonly hits: UpstreamHit[];
  close(): Promise<void>;
}

/**
 * An HTTP/1.1 upstream on 127.0.0.1 that records every request and answers with a JSON echo.
 * `/chunked` answers without a length (three chunks, a trailer); `/big` answers 1 MiB;
 * `/status/NNN` answers that status; `/stall` never reads the body nor answers.
 */
export async function startHttp1Upstream(): Promise<TestUpstream> {
  const hits: UpstreamHit[] = [];
  const server: Server = createServer((req, res) => {
    const hit: UpstreamHit = {
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: "",
      complete: false,
    };
    hits.push(hit);
    if (hit.url === "/stall") {
      // Reads nothing and never answers: the proxy must hold the client back, not buffer its body.
      req.pause();
      return;
    }
    req.setEncoding("utf8");
    req.on("data", (d: string) => (hit.body += d));
    req.on("error", () => undefined);
    req.on("end", () => {
      hit.complete = true;
      const url = hit.url;
      if (url === "/chunked") {
        res.writeHead(200, { "content-type": "text/plain", trailer: "x-checksum" });
        res.write("one,");
        res.write("two,");
        res.addTrailers({ "x-checksum": "abc" });
        res.end("three");
        return;
      }
      if (url === "/big") {
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(1 << 20) });
        res.end(Buffer.alloc(1 << 20, 0x61));
        return;
      }
      const status = /^\/status\/(\d{3})$/.exec(url);
      const body = JSON.stringify({ method: hit.method, url, headers: req.headers, body: hit.body });
      res.writeHead(status !== null ? Number(status[1]) : 200, { "content-type": "application/json", "x-upstream": "h1" });
      res.end(body);
    });
  });
  const port = await listen(server);
  return {
    port,
    hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An h2c upstream on 127.0.0.1 that records every request and answers a JSON echo with a trailer. */
export async function startHttp2Upstream(): Promise<TestUpstream> {
  const hits: UpstreamHit[] = [];
  const sessions = new Set<{ destroy(): void }>();
  const server: Http2Server = createH2Server();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  server.on("stream", (stream: ServerHttp2Stream, headers, _flags, rawHeaders: string[]) => {
    const hit: UpstreamHit = {
      method: String(headers[":method"]),
      url: String(headers[":path"]),
      headers: headers as IncomingHttpHeaders,
      rawHeaders,
      body: "",
      complete: false,
    };
    hits.push(hit);
    stream.setEncoding("utf8");
    stream.on("error", () => undefined);
    stream.on("data", (d: string) => (hit.body += d));
    stream.on("end", () => {
      hit.complete = true;
      stream.respond({ ":status": 200, "content-type": "application/json", "x-upstream": "h2" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "x-trailer": "done" }));
      stream.end(JSON.stringify({ method: hit.method, url: hit.url, headers, body: hit.body }));
    });
  });
  const port = await listen(server);
  return {
    port,
    hits,
    close: () =>
      new Promise((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function listen(server: Server | Http2Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}
