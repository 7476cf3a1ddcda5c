import { err, ok, type Result } from "@membrane/engine";
import { decodeMessage } from "./wire.ts";
import { sameName } from "./wire-name.ts";
import type { DnsMessage, DnsQuestion } from "./wire-types.ts";

/** An upstream's answer: its bytes (carrying the client's query ID) and what they decode to. */
export interface Exchanged {
  readonly bytes: Uint8Array;
  readonly message: DnsMessage;
}

/** Why no usable answer came from the upstream. */
export type ExchangeError =
  | { readonly kind: "timeout" }
  | { readonly kind: "unreachable"; readonly message: string }
  | { readonly kind: "malformed"; readonly message: string }
  | { readonly kind: "mismatch"; readonly message: string }
  | { readonly kind: "closed" };

/**
 * Checks an upstream's answer to a query with `question`, and rewrites its ID to `clientId`: it
 * must decode, be a response, and (when it echoes a question) echo the query's first question.
 */
export function checkAnswer(bytes: Uint8Array, question: DnsQuestion, clientId: number): Result<Exchanged, ExchangeError> {
  const decoded = decodeMessage(bytes);
  if (!decoded.ok) return err({ kind: "malformed", message: `${decoded.error.message} (at byte ${decoded.error.offset})` });
  const m = decoded.value;
  if (!m.header.qr) return err({ kind: "malformed", message: "the answer is not a response" });
  const echoed = m.questions[0];
  if (echoed !== undefined && (echoed.type !== question.type || echoed.class !== question.class || !sameName(echoed.name, question.name)))
    return err({ kind: "mismatch", message: `answer for ${echoed.name} to a query for ${question.name}` });
  const out = bytes.slice();
  out[0] = clientId >> 8;
  out[1] = clientId & 0xff;
  return ok({ bytes: out, message: m });
}

/** A short text for an exchange error. */
export function describeExchangeError(e: ExchangeError): string {
  switch (e.kind) {
    case "timeout":
      return "upstream timed out";
    case "closed":
      return "proxy closed";
    case "unreachable":
    case "malformed":
    case "mismatch":
      return `upstream ${e.kind}: ${e.message}`;
  }
}
