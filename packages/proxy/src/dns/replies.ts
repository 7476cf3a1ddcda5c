import { err, ok, type Result } from "@membrane/engine";
import { encodeMessage } from "./wire.ts";
import { asciiLower } from "./wire-name.ts";
import { CLASS_IN, RCODE, typeName, type DnsMessage } from "./wire-types.ts";

/**
 * The proxy's own answers and what it reads out of upstream answers (cilium/cilium
 * pkg/fqdn/dnsproxy/proxy.go `sendErrorResponse`, `ExtractMsgDetails`).
 */

/**
 * A reply the proxy makes itself (a policy rejection, SERVFAIL, NOTIMP): the query's ID, opcode
 * and first question, RD and CD copied, QR set, RA as the query had it, nothing else — what
 * miekg/dns `SetRcode` builds for Cilium.
 */
export function localReply(query: DnsMessage, rcode: number): Result<Uint8Array, string> {
  const q = query.header;
  const first = query.questions[0];
  const reply = encodeMessage({
    header: { id: q.id, qr: true, opcode: q.opcode, aa: false, tc: false, rd: q.rd, ra: q.ra, z: false, ad: false, cd: q.cd, rcode },
    questions: first === undefined ? [] : [first],
    answers: [],
    authorities: [],
    additionals: [],
  });
  return reply.ok ? ok(reply.value) : err(reply.error.message);
}

/** What an upstream answer says, for learning and for flow records. */
export interface AnswerDetails {
  /** The first question's name, lowercased, fully qualified. */
  readonly query: string;
  readonly rcode: number;
  /** Every A and AAAA address of the answer section, in order, without repeats. */
  readonly ips: readonly string[];
  /** The smallest TTL of the answer's A, AAAA and CNAME records; null when it has none. */
  readonly ttl: number | null;
  /** CNAME targets in chain order. */
  readonly cnames: readonly string[];
  /** The type of every answer record (`A`, `CNAME`, …). */
  readonly rrtypes: readonly string[];
  /** The type of every question. */
  readonly qtypes: readonly string[];
  /**
   * Whether the answer records follow the chain from the question name through its CNAMEs.
   * Cilium learns nothing from an answer that does not (its IPs are then left out).
   */
  readonly chained: boolean;
}

/**
 * Reads an answer the way Cilium's `ExtractMsgDetails` does: it must echo the question, and its
 * records must follow the CNAME chain from the question name (each record owned by the name the
 * chain has reached); A/AAAA addresses belong to the question name (E34); the TTL is the minimum
 * over A, AAAA and CNAME records.
 */
export function answerDetails(answer: DnsMessage): AnswerDetails {
  const query = asciiLower(answer.questions[0]?.name ?? ".");
  const ips: string[] = [];
  const cnames: string[] = [];
  let ttl: number | null = null;
  let expected = query;
  let chained = answer.questions.length > 0;
  for (const r of chained ? answer.answers : []) {
    if (asciiLower(r.name) !== expected) {
      chained = false;
      break;
    }
    const isIn = r.class === CLASS_IN;
    if ((r.data.kind === "a" || r.data.kind === "aaaa") && isIn) {
      if (!ips.includes(r.data.address)) ips.push(r.data.address);
    } else if (r.data.kind === "cname") {
      cnames.push(r.data.target);
      expected = asciiLower(r.data.target);
    } else continue;
    ttl = ttl === null ? r.ttl : Math.min(ttl, r.ttl);
  }
  return {
    query,
    rcode: answer.header.rcode,
    ips: chained ? ips : [],
    ttl: chained ? ttl : null,
    cnames: chained ? cnames : [],
    rrtypes: answer.answers.map((r) => typeName(r.type)),
    qtypes: answer.questions.map((q) => typeName(q.type)),
    chained,
  };
}

/** Whether an answer teaches IPs (§8.5): NOERROR with at least one A/AAAA along the chain. */
export function isLearnable(d: AnswerDetails): boolean {
  return d.rcode === RCODE.NOERROR && d.ips.length > 0 && d.ttl !== null;
}
