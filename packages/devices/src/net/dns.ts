// A DNS responder's message handling (RFC 1035, 4.1: header, question, resource records):
// one question per query, names as labels (a compression pointer in a question is refused),
// answers of type A only.

import { readU16, writeU16, writeU32, type Ip4 } from "./packets.ts";

export const DNS_PORT = 53;
export const DNS_TYPE_A = 1;
export const DNS_CLASS_IN = 1;
export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;

export interface DnsQuestion {
  /** The name, lower case, without a trailing dot. */
  name: string;
  type: number;
  cls: number;
}

/**
 * The answer to a query: `lookup(name)` gives the A record's address or null (no such name).
 * Returns null for a message that is not worth answering (a response, or shorter than a header).
 */
export function answerDnsQuery(q: Uint8Array, lookup: (name: string) => Ip4 | null, ttl = 300): Uint8Array | null {
  if (q.length < 12) return null;
  const flags = readU16(q, 2);
  if (flags & 0x8000) return null; // a response
  const opcode = (flags >> 11) & 0x0f;
  const rd = flags & 0x0100;
  const reply = (rcode: number, question: Uint8Array | null, answer: Uint8Array | null): Uint8Array => {
    const out = new Uint8Array(12 + (question?.length ?? 0) + (answer?.length ?? 0));
    writeU16(out, 0, readU16(q, 0));
    // QR, the opcode, AA (this server owns the names it answers), RD copied, RA, RCODE.
    writeU16(out, 2, 0x8000 | (opcode << 11) | 0x0400 | rd | 0x0080 | rcode);
    writeU16(out, 4, question ? 1 : 0);
    writeU16(out, 6, answer ? 1 : 0);
    if (question) out.set(question, 12);
    if (answer) out.set(answer, 12 + question!.length);
    return out;
  };
  if (opcode !== 0) return reply(RCODE_NOTIMP, null, null);
  if (readU16(q, 4) !== 1) return reply(RCODE_FORMERR, null, null);
  const parsed = parseQuestion(q, 12);
  if (!parsed) return reply(RCODE_FORMERR, null, null);
  const { question, end } = parsed;
  const raw = q.subarray(12, end);
  const addr = lookup(question.name);
  if (addr === null) return reply(RCODE_NXDOMAIN, raw, null);
  if (question.type !== DNS_TYPE_A || question.cls !== DNS_CLASS_IN) return reply(RCODE_NOERROR, raw, null);
  const rr = new Uint8Array(16);
  writeU16(rr, 0, 0xc00c); // the name: a pointer to the question's, at offset 12
  writeU16(rr, 2, DNS_TYPE_A);
  writeU16(rr, 4, DNS_CLASS_IN);
  writeU32(rr, 6, ttl);
  writeU16(rr, 10, 4);
  writeU32(rr, 12, addr);
  return reply(RCODE_NOERROR, raw, rr);
}

/** The question at `at`, and where it ends; null when malformed. */
export function parseQuestion(q: Uint8Array, at: number): { question: DnsQuestion; end: number } | null {
  const labels: string[] = [];
  let o = at;
  for (;;) {
    if (o >= q.length) return null;
    const len = q[o++];
    if (len === 0) break;
    if (len > 63 || o + len > q.length) return null; // 0xC0: a pointer, not used in questions here
    labels.push(String.fromCharCode(...q.subarray(o, o + len)).toLowerCase());
    o += len;
  }
  if (o + 4 > q.length) return null;
  return { question: { name: labels.join("."), type: readU16(q, o), cls: readU16(q, o + 2) }, end: o + 4 };
}

/** A query for `name` (type A, recursion desired), as a client's resolver sends it. */
export function buildDnsQuery(id: number, name: string, type = DNS_TYPE_A): Uint8Array {
  const labels = name.split(".").filter((l) => l.length > 0);
  const qlen = labels.reduce((n, l) => n + 1 + l.length, 1) + 4;
  const out = new Uint8Array(12 + qlen);
  writeU16(out, 0, id);
  writeU16(out, 2, 0x0100);
  writeU16(out, 4, 1);
  let o = 12;
  for (const l of labels) {
    out[o++] = l.length;
    for (let i = 0; i < l.length; i++) out[o++] = l.charCodeAt(i);
  }
  out[o++] = 0;
  writeU16(out, o, type);
  writeU16(out, o + 2, DNS_CLASS_IN);
  return out;
}
