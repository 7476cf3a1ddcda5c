/** HTTP/2 cleartext (prior knowledge) serving. */
export { serveHttp2 } from "./session.ts";
