// The user-mode network's TCP NAT: the guest's TCP connections end here, at a small TCP of
// ours on the gateway's side (RFC 9293, which restates RFC 793), and each is carried on as a
// byte stream through HostSockets.connectTcp. The guest sees an ordinary peer at the address
// it dialled.
//
// What our side does, per connection:
//  - The guest's SYN opens the host stream; the SYN-ACK (with an MSS option of 1460) goes out
//    only once the host says the stream is open, so a refused or failing connect is answered
//    with a RST (the guest's connect() gets "connection refused"). Retransmitted SYNs are
//    absorbed while the host connects.
//  - Guest to host: only in-order data is taken (overlaps trimmed); a segment beyond RCV.NXT
//    is dropped and answered with an ACK of RCV.NXT, so the guest retransmits. Every segment
//    is acknowledged at once (no delayed ACK). The window we advertise is 65535 less what the
//    host has not sent on yet (bufferedAmount), opened again on onDrain.
//  - Host to guest: bytes wait in a send buffer until the guest acknowledges them; segments of
//    at most the guest's MSS go out while they fit the guest's window and the link towards the
//    card has room (`room()`), so no frame is lost in the link's queue; the host stream is
//    paused while the buffer holds PAUSE_BYTES or more and resumed below RESUME_BYTES.
//  - FIN both ways, with half-close: the guest's FIN ends the host stream's writing side
//    (end()); the host's end sends our FIN after the buffered data. A RST from the guest
//    closes the host stream; a host error after the connection is up sends a RST.
//  - Losses (RFC 5681, RFC 6582): the third duplicate ACK sends the first unacknowledged segment
//    again, that one only (fast retransmit); until everything sent before it is acknowledged,
//    each ACK that covers part of it sends the next missing segment (NewReno's partial ACKs), and
//    further duplicates send nothing. Sending the whole window again at each third duplicate, as
//    this NAT once did, piled copies onto the frames still queued towards the card, lost more of
//    them and so made more duplicates: a storm that moved almost nothing.
//  - Timers run on guest time passed to poll(nowNs): a segment not acknowledged after the
//    retransmission timeout (1 s, doubling, 8 tries) is sent again from SND.UNA, one segment
//    first, then one more per ACK that acknowledges something new (slow start, until the
//    guest's window is the only limit again); a zero window is probed; a connection closed by both sides lingers in
//    TIME-WAIT for 2 s of guest time to acknowledge a repeated FIN. Without poll() nothing is
//    retransmitted, and with a link that never drops nothing needs to be.
//  - Not done: window scaling, SACK, timestamps (none is offered, so the guest uses none),
//    urgent data, IP options, connections the host opens towards the guest.

import type { HostSockets, HostTcpStream } from "./host-sockets.ts";
import {
  IP_PROTO_TCP,
  internetChecksum,
  ip4Text,
  pseudoHeaderSum,
  readU16,
  readU32,
  writeU16,
  writeU32,
} from "./packets.ts";
import type { Ip4, Ip4Packet } from "./packets.ts";

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** The MSS we announce: an Ethernet frame's 1500-byte IP datagram less 40 bytes of headers. */
export const NAT_MSS = 1460;
/** The guest's MSS when its SYN names none (RFC 9293 3.7.1). */
const DEFAULT_MSS = 536;
const MAX_WINDOW = 0xffff;
/** Send-buffer levels at which the host stream is paused and resumed. */
export const PAUSE_BYTES = 128 * 1024;
export const RESUME_BYTES = 64 * 1024;
/** Frames kept free in the link for ACKs, RSTs and other NAT traffic. */
const ROOM_RESERVE = 16;
const RTO_NS = 1e9;
const MAX_RTO_NS = 16e9;
const MAX_RETRIES = 8;
const TIME_WAIT_NS = 2e9;

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** The MSS option's value, or null. */
  mss: number | null;
  data: Uint8Array;
}

/** A segment whose header fits and whose checksum holds, else null. */
export function parseTcp(p: Uint8Array, src: Ip4, dst: Ip4): TcpSegment | null {
  if (p.length < 20) return null;
  const off = (p[12] >> 4) * 4;
  if (off < 20 || off > p.length) return null;
  if (internetChecksum(p, pseudoHeaderSum(src, dst, p.length, IP_PROTO_TCP)) !== 0) return null;
  let mss: number | null = null;
  for (let o = 20; o < off;) {
    const kind = p[o];
    if (kind === 0) break; // end of options
    if (kind === 1) {
      o++; // no-operation
      continue;
    }
    const len = o + 1 < off ? p[o + 1] : 0;
    if (len < 2 || o + len > off) return null;
    if (kind === 2 && len === 4) mss = readU16(p, o + 2);
    o += len;
  }
  return {
    srcPort: readU16(p, 0),
    dstPort: readU16(p, 2),
    seq: readU32(p, 4),
    ack: readU32(p, 8),
    flags: p[13] & 0x3f,
    window: readU16(p, 14),
    mss,
    data: p.subarray(off),
  };
}

/** A segment with its checksum; `mss` adds the MSS option (for a SYN). */
export function buildTcp(
  src: Ip4,
  dst: Ip4,
  s: { srcPort: number; dstPort: number; seq: number; ack: number; flags: number; window: number; mss?: number },
  data: Uint8Array = EMPTY,
): Uint8Array {
  const hlen = s.mss !== undefined ? 24 : 20;
  const p = new Uint8Array(hlen + data.length);
  writeU16(p, 0, s.srcPort);
  writeU16(p, 2, s.dstPort);
  writeU32(p, 4, s.seq >>> 0);
  writeU32(p, 8, s.ack >>> 0);
  p[12] = (hlen / 4) << 4;
  p[13] = s.flags;
  writeU16(p, 14, s.window);
  if (s.mss !== undefined) {
    p[20] = 2;
    p[21] = 4;
    writeU16(p, 22, s.mss);
  }
  p.set(data, hlen);
  writeU16(p, 16, internetChecksum(p, pseudoHeaderSum(src, dst, p.length, IP_PROTO_TCP)));
  return p;
}

const EMPTY = new Uint8Array(0);

/** Sequence-number order modulo 2^32 (RFC 9293 3.4). */
const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const seqLe = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
const seqDiff = (a: number, b: number): number => (a - b) | 0;
const seqAdd = (a: number, n: number): number => (a + n) >>> 0;

/** What the NAT needs of the network it sits in. */
export interface NatOutput {
  /** Sends an IPv4 packet to the guest at `dst`, from `src`. */
  sendIp(src: Ip4, dst: Ip4, protocol: number, payload: Uint8Array): void;
  /** How many more frames the link towards the card takes now (Infinity if it never drops). */
  room(): number;
}

type State = "connecting" | "syn-received" | "established" | "time-wait";

class Connection {
  state: State = "connecting";
  stream: HostTcpStream | null = null;
  // Our sending side.
  readonly iss: number;
  sndUna: number;
  sndNxt: number;
  /** The highest sequence number sent (SND.NXT goes back below it to retransmit). */
  sndMax: number;
  sndWnd: number;
  sndWl1: number;
  sndWl2 = 0;
  sndMss: number;
  /** Bytes from the host not yet acknowledged by the guest; the first is at `dataStart`. */
  readonly buf: Uint8Array[] = [];
  bufHead = 0;
  bufBytes = 0;
  dataStart: number;
  hostEnded = false;
  finSent = false;
  finAcked = false;
  paused = false;
  // The guest's sending side.
  rcvNxt: number;
  guestFin = false;
  ackOwed = false;
  /** The window last advertised. */
  rcvWndSent = MAX_WINDOW;
  // Timers (guest time, ns).
  lastSendNs = 0;
  rtoNs = RTO_NS;
  retries = 0;
  dupAcks = 0;
  /**
   * Bytes that may be in flight beyond SND.UNA besides the guest's window: Infinity until a
   * retransmission timeout, then one segment, growing by one per ACK of new data.
   */
  cwnd = Infinity;
  /** SND.MAX when a fast retransmit started; in recovery until the guest acknowledges it. */
  recover: number | null = null;
  timeWaitUntil = 0;

  constructor(
    readonly key: string,
    readonly guest: Ip4,
    readonly guestPort: number,
    readonly remote: Ip4,
    readonly remotePort: number,
    syn: TcpSegment,
    iss: number,
  ) {
    this.iss = iss;
    this.sndUna = this.sndNxt = this.sndMax = iss;
    this.dataStart = seqAdd(iss, 1);
    this.rcvNxt = seqAdd(syn.seq, 1);
    this.sndWnd = syn.window;
    this.sndWl1 = syn.seq;
    this.sndMss = Math.max(64, Math.min(syn.mss ?? DEFAULT_MSS, NAT_MSS));
  }

  /** The sequence number just past the buffered data (where our FIN goes). */
  get dataEnd(): number {
    return seqAdd(this.dataStart, this.bufBytes);
  }

  /** Copies `n` buffered bytes starting at sequence number `seq`. */
  copy(seq: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    let skip = seqDiff(seq, this.dataStart);
    let at = 0;
    for (let i = 0; i < this.buf.length && at < n; i++) {
      const chunk = this.buf[i];
      const from = i === 0 ? this.bufHead : 0;
      const len = chunk.length - from;
      if (skip >= len) {
        skip -= len;
        continue;
      }
      const take = Math.min(len - skip, n - at);
      out.set(chunk.subarray(from + skip, from + skip + take), at);
      at += take;
      skip = 0;
    }
    return out;
  }

  /** Drops `n` acknowledged bytes from the front of the buffer. */
  drop(n: number): void {
    this.bufBytes -= n;
    this.dataStart = seqAdd(this.dataStart, n);
    while (n > 0) {
      const left = this.buf[0].length - this.bufHead;
      if (n < left) {
        this.bufHead += n;
        return;
      }
      n -= left;
      this.buf.shift();
      this.bufHead = 0;
    }
  }
}

export class TcpNat {
  private readonly conns = new Map<string, Connection>();
  private nowNs = 0;
  private issSeed = 0x1f2e3d4c;
  /** Segments from the guest that were malformed or fitted no connection. */
  dropped = 0;

  constructor(
    private readonly sockets: HostSockets,
    private readonly out: NatOutput,
    /** Addresses the guest may not reach through the NAT (our own servers): it gets a RST. */
    private readonly refused: (addr: Ip4) => boolean = () => false,
  ) {}

  /** Connections open or closing. */
  get size(): number {
    return this.conns.size;
  }

  /** A TCP segment the guest sent (in `ip`, already checked). */
  receive(ip: Ip4Packet): void {
    const seg = parseTcp(ip.payload, ip.src, ip.dst);
    if (!seg) return void this.dropped++;
    const key = `${ip.src}:${seg.srcPort}>${ip.dst}:${seg.dstPort}`;
    const c = this.conns.get(key);
    if (!c || (c.state === "time-wait" && seg.flags & TCP_SYN && !(seg.flags & TCP_ACK))) {
      if (c) this.conns.delete(key);
      this.unknown(ip, seg, key);
      return;
    }
    this.segment(c, seg);
    this.output(c);
  }

  /** Guest time moved on: retransmissions, probes, TIME-WAIT; and sends what waited for room. */
  poll(nowNs: number): void {
    this.nowNs = nowNs;
    for (const c of this.conns.values()) {
      if (c.state === "time-wait") {
        if (nowNs >= c.timeWaitUntil) this.conns.delete(c.key);
        continue;
      }
      if (c.state === "connecting") continue;
      const outstanding = c.state === "syn-received" || seqLt(c.sndUna, c.sndMax);
      if (outstanding && nowNs - c.lastSendNs >= c.rtoNs) {
        if (++c.retries > MAX_RETRIES) {
          this.abort(c);
          continue;
        }
        c.rtoNs = Math.min(c.rtoNs * 2, MAX_RTO_NS);
        if (c.state === "syn-received") this.sendSynAck(c);
        else {
          c.cwnd = c.sndMss;
          c.recover = null;
          this.goBack(c);
        }
      } else if (!outstanding && c.sndWnd === 0 && this.hasToSend(c) && nowNs - c.lastSendNs >= c.rtoNs) {
        // Zero-window probe: an old sequence number makes the guest answer with its window.
        c.rtoNs = Math.min(c.rtoNs * 2, MAX_RTO_NS);
        this.send(c, TCP_ACK, seqAdd(c.sndNxt, -1), EMPTY);
      }
      this.output(c);
    }
  }

  private hasToSend(c: Connection): boolean {
    return seqLt(c.sndNxt, c.dataEnd) || (c.hostEnded && !c.finSent);
  }

  /** A segment for no connection: a SYN opens one, anything else but a RST gets a RST. */
  private unknown(ip: Ip4Packet, seg: TcpSegment, key: string): void {
    if (seg.flags & TCP_RST) return;
    if ((seg.flags & (TCP_SYN | TCP_ACK)) !== TCP_SYN) {
      this.dropped++;
      this.resetFor(ip.dst, ip.src, seg);
      return;
    }
    if (this.refused(ip.dst)) {
      this.resetFor(ip.dst, ip.src, seg);
      return;
    }
    this.issSeed = (Math.imul(this.issSeed, 1103515245) + 12345 + seg.seq) >>> 0;
    const c = new Connection(key, ip.src, seg.srcPort, ip.dst, seg.dstPort, seg, this.issSeed);
    this.conns.set(key, c);
    c.stream = this.sockets.connectTcp(ip4Text(ip.dst), seg.dstPort, {
      onOpen: () => {
        if (this.conns.get(key) !== c || c.state !== "connecting") return;
        c.state = "syn-received";
        this.sendSynAck(c);
      },
      onData: (data) => {
        if (this.conns.get(key) !== c || c.hostEnded || data.length === 0) return;
        c.buf.push(data);
        c.bufBytes += data.length;
        if (!c.paused && c.bufBytes >= PAUSE_BYTES) {
          c.paused = true;
          c.stream?.pause();
        }
        this.output(c);
      },
      onEnd: () => {
        if (this.conns.get(key) !== c) return;
        c.hostEnded = true;
        this.output(c);
      },
      onError: () => {
        if (this.conns.get(key) !== c) return;
        this.conns.delete(key);
        if (c.state === "connecting") this.rst(c, 0, c.rcvNxt);
        else if (c.state !== "time-wait") this.rst(c, c.sndMax, null);
      },
      onDrain: () => {
        if (this.conns.get(key) !== c || c.state !== "established") return;
        if (this.rcvWnd(c) > c.rcvWndSent) {
          c.ackOwed = true;
          this.output(c);
        }
      },
    });
  }

  /** RFC 9293 3.10.7.1: the reset for a segment that belongs to no connection. */
  private resetFor(from: Ip4, to: Ip4, seg: TcpSegment): void {
    const len = seg.data.length + (seg.flags & TCP_SYN ? 1 : 0) + (seg.flags & TCP_FIN ? 1 : 0);
    const s =
      seg.flags & TCP_ACK
        ? { seq: seg.ack, ack: 0, flags: TCP_RST }
        : { seq: 0, ack: seqAdd(seg.seq, len), flags: TCP_RST | TCP_ACK };
    const p = buildTcp(from, to, { srcPort: seg.dstPort, dstPort: seg.srcPort, window: 0, ...s });
    this.out.sendIp(from, to, IP_PROTO_TCP, p);
  }

  /** A segment on a known connection (RFC 9293 3.10.7.3 and 3.10.7.4, simplified). */
  private segment(c: Connection, seg: TcpSegment): void {
    if (seg.flags & TCP_RST) {
      // Accepted when in the window (we keep no window-edge bookkeeping for a RST: the guest is
      // the only one who can send on this wire).
      if (c.state !== "time-wait") c.stream?.close();
      this.conns.delete(c.key);
      return;
    }
    if (c.state === "connecting") return; // a repeated SYN while the host connects
    if (seg.flags & TCP_SYN) {
      // Our SYN-ACK was lost (the guest sends its SYN again), or a SYN on an open connection:
      // answer with the SYN-ACK, or an ACK that tells where we are.
      if (c.state === "syn-received" && seg.seq === seqAdd(c.rcvNxt, -1)) this.sendSynAck(c);
      else c.ackOwed = true;
      return;
    }
    if (!(seg.flags & TCP_ACK)) return;
    if (c.state === "time-wait") {
      if (seg.flags & TCP_FIN) c.ackOwed = true; // our ACK of its FIN was lost
      return;
    }
    if (c.state === "syn-received") {
      if (seg.ack !== seqAdd(c.iss, 1)) {
        this.resetFor(c.remote, c.guest, seg);
        return;
      }
      c.state = "established";
      c.sndUna = c.sndNxt = c.sndMax = seg.ack;
      c.retries = 0;
      c.rtoNs = RTO_NS;
      c.sndWnd = seg.window;
      c.sndWl1 = seg.seq;
      c.sndWl2 = seg.ack;
    }
    this.ack(c, seg);
    if (this.conns.get(c.key) === c) this.data(c, seg);
  }

  private ack(c: Connection, seg: TcpSegment): void {
    if (seqLt(c.sndMax, seg.ack)) {
      c.ackOwed = true; // acknowledges something not sent
      return;
    }
    const fresh = seqLt(c.sndUna, seg.ack);
    if (fresh) {
      const dataAcked = Math.min(seqDiff(seg.ack, c.dataStart), c.bufBytes);
      if (dataAcked > 0) c.drop(dataAcked);
      if (c.finSent && seqLt(c.dataEnd, seg.ack)) c.finAcked = true;
      c.sndUna = seg.ack;
      if (seqLt(c.sndNxt, c.sndUna)) c.sndNxt = c.sndUna;
      c.dupAcks = 0;
      c.retries = 0;
      c.rtoNs = RTO_NS;
      c.lastSendNs = this.nowNs;
      if (c.cwnd !== Infinity) c.cwnd = c.cwnd + c.sndMss > MAX_WINDOW ? Infinity : c.cwnd + c.sndMss;
      if (c.recover !== null) {
        // A partial ACK: the next segment the guest is missing goes at once.
        if (seqLt(seg.ack, c.recover)) this.resendFirst(c);
        else c.recover = null;
      }
      if (c.paused && c.bufBytes < RESUME_BYTES) {
        c.paused = false;
        c.stream?.resume();
      }
    } else if (
      seg.ack === c.sndUna &&
      seg.data.length === 0 &&
      !(seg.flags & TCP_FIN) &&
      seg.window === c.sndWnd &&
      seqLt(c.sndUna, c.sndMax)
    ) {
      // A duplicate ACK: the guest got something out of order. On the third, the segment it
      // is missing goes again (once: later duplicates are for segments sent before it).
      if (++c.dupAcks === 3 && c.recover === null) {
        c.recover = c.sndMax;
        this.resendFirst(c);
      }
    }
    if (seqLt(c.sndWl1, seg.seq) || (c.sndWl1 === seg.seq && seqLe(c.sndWl2, seg.ack))) {
      c.sndWnd = seg.window;
      c.sndWl1 = seg.seq;
      c.sndWl2 = seg.ack;
    }
    if (c.finAcked && c.guestFin) this.timeWait(c);
  }

  private data(c: Connection, seg: TcpSegment): void {
    const fin = (seg.flags & TCP_FIN) !== 0;
    if (seg.data.length === 0 && !fin) return;
    c.ackOwed = true;
    if (c.guestFin) return; // after its FIN: a repeat; the ACK says so
    const skip = seqDiff(c.rcvNxt, seg.seq);
    if (skip < 0) return; // out of order: dropped, the ACK of RCV.NXT asks for what is missing
    if (skip > seg.data.length) return; // all old (a repeat)
    const fresh = seg.data.subarray(skip);
    if (fresh.length > 0) {
      c.stream?.write(fresh.slice());
      c.rcvNxt = seqAdd(c.rcvNxt, fresh.length);
    }
    if (fin) {
      c.rcvNxt = seqAdd(c.rcvNxt, 1);
      c.guestFin = true;
      c.stream?.end();
      if (c.finAcked) this.timeWait(c);
    }
  }

  private timeWait(c: Connection): void {
    c.state = "time-wait";
    c.timeWaitUntil = this.nowNs + TIME_WAIT_NS;
  }

  /** Sends the first unacknowledged segment again (or our FIN, when that is all there is). */
  private resendFirst(c: Connection): void {
    const n = Math.min(seqDiff(c.dataEnd, c.sndUna), c.sndMss);
    if (n > 0) this.send(c, TCP_ACK, c.sndUna, c.copy(c.sndUna, n));
    else if (c.finSent) this.send(c, TCP_ACK | TCP_FIN, c.sndUna, EMPTY);
  }

  /** Retransmits from SND.UNA (as much as the window and cwnd allow). */
  private goBack(c: Connection): void {
    c.sndNxt = c.sndUna;
    if (seqLe(c.sndUna, c.dataEnd)) c.finSent = false;
    c.dupAcks = 0;
    c.lastSendNs = this.nowNs;
    this.output(c);
  }

  /** The window we advertise: what the host stream still takes. */
  private rcvWnd(c: Connection): number {
    const buffered = c.stream?.bufferedAmount ?? 0;
    return Math.max(0, Math.min(MAX_WINDOW, MAX_WINDOW - buffered));
  }

  /** Sends what the guest's window and the link's room allow, then an ACK if one is owed. */
  private output(c: Connection): void {
    if (c.state === "established" && this.conns.get(c.key) === c) {
      const edge = seqAdd(c.sndUna, Math.min(c.sndWnd, c.cwnd));
      for (;;) {
        if (this.out.room() <= ROOM_RESERVE) break;
        const n = Math.min(seqDiff(c.dataEnd, c.sndNxt), seqDiff(edge, c.sndNxt), c.sndMss);
        if (n > 0) {
          const last = n === seqDiff(c.dataEnd, c.sndNxt);
          this.send(c, TCP_ACK | (last ? TCP_PSH : 0), c.sndNxt, c.copy(c.sndNxt, n));
          c.sndNxt = seqAdd(c.sndNxt, n);
        } else if (c.hostEnded && !c.finSent && c.sndNxt === c.dataEnd) {
          this.send(c, TCP_ACK | TCP_FIN, c.sndNxt, EMPTY);
          c.sndNxt = seqAdd(c.sndNxt, 1);
          c.finSent = true;
        } else break;
        if (seqLt(c.sndMax, c.sndNxt)) c.sndMax = c.sndNxt;
      }
    }
    if (c.ackOwed) this.send(c, TCP_ACK, c.sndNxt, EMPTY);
  }

  private sendSynAck(c: Connection): void {
    const p = buildTcp(c.remote, c.guest, {
      srcPort: c.remotePort,
      dstPort: c.guestPort,
      seq: c.iss,
      ack: c.rcvNxt,
      flags: TCP_SYN | TCP_ACK,
      window: this.rcvWnd(c),
      mss: NAT_MSS,
    });
    c.sndNxt = c.sndMax = seqAdd(c.iss, 1);
    c.lastSendNs = this.nowNs;
    this.out.sendIp(c.remote, c.guest, IP_PROTO_TCP, p);
  }

  /** One segment on the connection, carrying the ACK of RCV.NXT and our window. */
  private send(c: Connection, flags: number, seq: number, data: Uint8Array): void {
    const window = this.rcvWnd(c);
    const p = buildTcp(
      c.remote,
      c.guest,
      { srcPort: c.remotePort, dstPort: c.guestPort, seq, ack: c.rcvNxt, flags, window },
      data,
    );
    c.ackOwed = false;
    c.rcvWndSent = window;
    if (data.length > 0 || flags & TCP_FIN) c.lastSendNs = this.nowNs;
    this.out.sendIp(c.remote, c.guest, IP_PROTO_TCP, p);
  }

  /** A RST to the guest: `ack` null for a plain RST, else RST+ACK. */
  private rst(c: Connection, seq: number, ack: number | null): void {
    const p = buildTcp(c.remote, c.guest, {
      srcPort: c.remotePort,
      dstPort: c.guestPort,
      seq,
      ack: ack ?? 0,
      flags: ack === null ? TCP_RST : TCP_RST | TCP_ACK,
      window: 0,
    });
    this.out.sendIp(c.remote, c.guest, IP_PROTO_TCP, p);
  }

  /** Gives up on a connection the guest stopped answering. */
  private abort(c: Connection): void {
    this.conns.delete(c.key);
    c.stream?.close();
    this.rst(c, c.sndMax, null);
  }
}
