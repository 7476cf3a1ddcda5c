/** HTTP/1.x serving with the proxy's own strict request parser. */
export { Http1Connection } from "./connection.ts";
export { HeadScanner, type HeadScan, type HeadError } from "./head-scanner.ts";
export { parseRequestHead, type RequestHead, type BodyFraming } from "./request-head.ts";
export { ChunkedReader, LengthReader, bodyReaderFor, type BodyReader, type BodyStep } from "./body-reader.ts";
