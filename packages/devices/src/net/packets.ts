// Ethernet II, ARP, IPv4, ICMP and UDP framing, written from the RFCs: Ethernet II and ARP
// (RFC 826: hardware type 1, protocol 0800h, opcodes 1 and 2), IPv4 (RFC 791: the 20-byte
// header and its ones'-complement header checksum, options skipped by IHL), ICMP (RFC 792:
// checksum over the whole message) and UDP (RFC 768: checksum over the pseudo-header, the
// header and the data; 0 sent as FFFFh, 0 received meaning none).
//
// Key design choice: parsing returns views into the frame (subarray), or null for anything
// malformed, so the endpoint drops bad input without throwing; building allocates the frame.

export const ETH_HEADER = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const IP_PROTO_ICMP = 1;
export const IP_PROTO_TCP = 6;
export const IP_PROTO_UDP = 17;
export const BROADCAST_MAC: readonly number[] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

/** An IPv4 address as an unsigned 32-bit number (10.0.2.2 is 0x0a000202). */
export type Ip4 = number;

export function ip4(text: string): Ip4 {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255))
    throw new Error(`not an IPv4 address: '${text}'`);
  return parts.reduce((a, p) => ((a << 8) | Number(p)) >>> 0, 0);
}

export function ip4Text(a: Ip4): string {
  return [a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff].join(".");
}

export function readU16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function readU32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

export function writeU16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** The 16-bit ones'-complement sum of b (odd length padded with a zero byte), plus `initial`. */
function onesSum(b: Uint8Array, initial = 0): number {
  let sum = initial;
  const even = b.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (b.length & 1) sum += b[b.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The Internet checksum (RFC 791, 1071): the ones' complement of the ones'-complement sum. */
export function internetChecksum(b: Uint8Array, initial = 0): number {
  return ~onesSum(b, initial) & 0xffff;
}

// ---- Ethernet

export interface EthFrame {
  dst: Uint8Array;
  src: Uint8Array;
  type: number;
  payload: Uint8Array;
}

export function parseEth(frame: Uint8Array): EthFrame | null {
  if (frame.length < ETH_HEADER) return null;
  return {
    dst: frame.subarray(0, 6),
    src: frame.subarray(6, 12),
    type: readU16(frame, 12),
    payload: frame.subarray(ETH_HEADER),
  };
}

export function buildEth(
  dst: ArrayLike<number>,
  src: ArrayLike<number>,
  type: number,
  payload: Uint8Array,
): Uint8Array {
  const f = new Uint8Array(ETH_HEADER + payload.length);
  f.set(dst, 0);
  f.set(src, 6);
  writeU16(f, 12, type);
  f.set(payload, ETH_HEADER);
  return f;
}

// ---- ARP (RFC 826), for IPv4 over Ethernet

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
const ARP_LEN = 28;

export interface ArpPacket {
  op: number;
  senderMac: Uint8Array;
  senderIp: Ip4;
  targetMac: Uint8Array;
  targetIp: Ip4;
}

export function parseArp(p: Uint8Array): ArpPacket | null {
  if (p.length < ARP_LEN) return null;
  if (readU16(p, 0) !== 1 || readU16(p, 2) !== ETHERTYPE_IPV4 || p[4] !== 6 || p[5] !== 4) return null;
  return {
    op: readU16(p, 6),
    senderMac: p.subarray(8, 14),
    senderIp: readU32(p, 14),
    targetMac: p.subarray(18, 24),
    targetIp: readU32(p, 24),
  };
}

export function buildArp(a: {
  op: number;
  senderMac: ArrayLike<number>;
  senderIp: Ip4;
  targetMac: ArrayLike<number>;
  targetIp: Ip4;
}): Uint8Array {
  const p = new Uint8Array(ARP_LEN);
  writeU16(p, 0, 1);
  writeU16(p, 2, ETHERTYPE_IPV4);
  p[4] = 6;
  p[5] = 4;
  writeU16(p, 6, a.op);
  p.set(a.senderMac, 8);
  writeU32(p, 14, a.senderIp);
  p.set(a.targetMac, 18);
  writeU32(p, 24, a.targetIp);
  return p;
}

// ---- IPv4 (RFC 791)

export interface Ip4Packet {
  protocol: number;
  src: Ip4;
  dst: Ip4;
  ttl: number;
  id: number;
  payload: Uint8Array;
}

/** A whole (unfragmented) datagram with a valid header checksum, else null. */
export function parseIp4(p: Uint8Array): Ip4Packet | null {
  if (p.length < 20 || p[0] >> 4 !== 4) return null;
  const ihl = (p[0] & 0x0f) * 4;
  const total = readU16(p, 2);
  if (ihl < 20 || total < ihl || total > p.length) return null;
  if (internetChecksum(p.subarray(0, ihl)) !== 0) return null;
  const frag = readU16(p, 6);
  if (frag & 0x2000 || (frag & 0x1fff) !== 0) return null; // more fragments, or not the first: not reassembled
  return {
    protocol: p[9],
    src: readU32(p, 12),
    dst: readU32(p, 16),
    ttl: p[8],
    id: readU16(p, 4),
    payload: p.subarray(ihl, total),
  };
}

export function buildIp4(
  a: { protocol: number; src: Ip4; dst: Ip4; id?: number; ttl?: number },
  payload: Uint8Array,
): Uint8Array {
  const p = new Uint8Array(20 + payload.length);
  p[0] = 0x45;
  writeU16(p, 2, p.length);
  writeU16(p, 4, a.id ?? 0);
  writeU16(p, 6, 0x4000); // don't fragment
  p[8] = a.ttl ?? 64;
  p[9] = a.protocol;
  writeU32(p, 12, a.src);
  writeU32(p, 16, a.dst);
  writeU16(p, 10, internetChecksum(p.subarray(0, 20)));
  p.set(payload, 20);
  return p;
}

// ---- ICMP (RFC 792)

export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO_REQUEST = 8;

export interface IcmpMessage {
  type: number;
  code: number;
  /** The 4 bytes after the checksum (identifier and sequence number for echo) and the data. */
  rest: Uint8Array;
}

export function parseIcmp(p: Uint8Array): IcmpMessage | null {
  if (p.length < 8 || internetChecksum(p) !== 0) return null;
  return { type: p[0], code: p[1], rest: p.subarray(4) };
}

export function buildIcmp(type: number, code: number, rest: Uint8Array): Uint8Array {
  const p = new Uint8Array(4 + rest.length);
  p[0] = type;
  p[1] = code;
  p.set(rest, 4);
  writeU16(p, 2, internetChecksum(p));
  return p;
}

// ---- UDP (RFC 768)

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  data: Uint8Array;
}

/** The ones'-complement sum of the IPv4 pseudo-header UDP and TCP checksums cover. */
export function pseudoHeaderSum(src: Ip4, dst: Ip4, length: number, protocol = IP_PROTO_UDP): number {
  const h = new Uint8Array(12);
  writeU32(h, 0, src);
  writeU32(h, 4, dst);
  h[9] = protocol;
  writeU16(h, 10, length);
  return onesSum(h);
}

/** A datagram whose length fits and whose checksum (when the sender gave one) holds, else null. */
export function parseUdp(p: Uint8Array, src: Ip4, dst: Ip4): UdpDatagram | null {
  if (p.length < 8) return null;
  const len = readU16(p, 4);
  if (len < 8 || len > p.length) return null;
  const d = p.subarray(0, len);
  if (readU16(p, 6) !== 0 && internetChecksum(d, pseudoHeaderSum(src, dst, len)) !== 0) return null;
  return { srcPort: readU16(p, 0), dstPort: readU16(p, 2), data: d.subarray(8) };
}

export function buildUdp(src: Ip4, dst: Ip4, srcPort: number, dstPort: number, data: Uint8Array): Uint8Array {
  const p = new Uint8Array(8 + data.length);
  writeU16(p, 0, srcPort);
  writeU16(p, 2, dstPort);
  writeU16(p, 4, p.length);
  p.set(data, 8);
  const sum = internetChecksum(p, pseudoHeaderSum(src, dst, p.length));
  writeU16(p, 6, sum === 0 ? 0xffff : sum);
  return p;
}
