import { encodeRequest } from "../request.ts";
import { arr, str } from "./bytes.ts";

export { apiVersions, fetch, metadata, produce } from "../sample-requests.ts";

/** DescribeGroups v0: an API the proxy does not read. */
export const describeGroups = (correlationId: number): Uint8Array =>
  encodeRequest({ apiKey: 15, apiVersion: 0, correlationId, clientId: "raw-client" }, { raw: Uint8Array.from(arr([str("g")])) });
