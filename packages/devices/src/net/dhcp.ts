// DHCP messages (RFC 2131: the BOOTP layout, section 2; RFC 2132: the magic cookie and the
// options used here), parsed from a client and built by a server.

import { readU16, readU32, writeU16, writeU32, type Ip4 } from "./packets.ts";

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
const MAGIC_COOKIE = 0x63825363;
const OPTIONS_AT = 240;
export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
/** The flags field's broadcast bit: the client cannot take unicast before it has an address. */
export const DHCP_FLAG_BROADCAST = 0x8000;

// RFC 2132 option codes.
export const OPT_PAD = 0;
export const OPT_SUBNET_MASK = 1;
export const OPT_ROUTER = 3;
export const OPT_DNS = 6;
export const OPT_REQUESTED_IP = 50;
export const OPT_LEASE_TIME = 51;
export const OPT_MESSAGE_TYPE = 53;
export const OPT_SERVER_ID = 54;
export const OPT_END = 255;

// Option 53 values.
export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;
export const DHCPREQUEST = 3;
export const DHCPDECLINE = 4;
export const DHCPACK = 5;
export const DHCPNAK = 6;
export const DHCPRELEASE = 7;
export const DHCPINFORM = 8;

export interface DhcpMessage {
  op: number;
  xid: number;
  flags: number;
  ciaddr: Ip4;
  yiaddr: Ip4;
  siaddr: Ip4;
  giaddr: Ip4;
  /** The client hardware address (hlen bytes, 6 for Ethernet). */
  chaddr: Uint8Array;
  /** Options by code: their data bytes. */
  options: Map<number, Uint8Array>;
}

/** A BOOTP message with the DHCP cookie, else null (options overloaded into sname/file are not read). */
export function parseDhcp(b: Uint8Array): DhcpMessage | null {
  if (b.length < OPTIONS_AT || readU32(b, 236) !== MAGIC_COOKIE) return null;
  const hlen = b[2];
  if (hlen > 16) return null;
  const options = new Map<number, Uint8Array>();
  let o = OPTIONS_AT;
  while (o < b.length) {
    const code = b[o++];
    if (code === OPT_PAD) continue;
    if (code === OPT_END) break;
    if (o >= b.length) return null;
    const len = b[o++];
    if (o + len > b.length) return null;
    if (!options.has(code)) options.set(code, b.subarray(o, o + len));
    o += len;
  }
  return {
    op: b[0],
    xid: readU32(b, 4),
    flags: readU16(b, 10),
    ciaddr: readU32(b, 12),
    yiaddr: readU32(b, 16),
    siaddr: readU32(b, 20),
    giaddr: readU32(b, 24),
    chaddr: b.subarray(28, 28 + hlen),
    options,
  };
}

/** The message type (option 53), or 0 when absent. */
export function dhcpType(m: DhcpMessage): number {
  const t = m.options.get(OPT_MESSAGE_TYPE);
  return t && t.length === 1 ? t[0] : 0;
}

/** An option holding one IPv4 address, or null. */
export function dhcpAddressOption(m: DhcpMessage, code: number): Ip4 | null {
  const v = m.options.get(code);
  return v && v.length === 4 ? readU32(v, 0) : null;
}

/** A BOOTREPLY to `request`: `yiaddr`, the server's address, and options in the order given. */
export function buildDhcpReply(
  request: DhcpMessage,
  a: { yiaddr: Ip4; siaddr: Ip4; options: [number, Uint8Array][] },
): Uint8Array {
  let optLen = 1;
  for (const [, v] of a.options) optLen += 2 + v.length;
  const b = new Uint8Array(Math.max(300, OPTIONS_AT + optLen)); // BOOTP's minimum message
  b[0] = BOOTREPLY;
  b[1] = 1; // Ethernet
  b[2] = request.chaddr.length;
  writeU32(b, 4, request.xid);
  writeU16(b, 10, request.flags & DHCP_FLAG_BROADCAST);
  writeU32(b, 16, a.yiaddr);
  writeU32(b, 20, a.siaddr);
  writeU32(b, 24, request.giaddr);
  b.set(request.chaddr, 28);
  writeU32(b, 236, MAGIC_COOKIE);
  let o = OPTIONS_AT;
  for (const [code, v] of a.options) {
    b[o++] = code;
    b[o++] = v.length;
    b.set(v, o);
    o += v.length;
  }
  b[o] = OPT_END;
  return b;
}

/** Four bytes of an address or a 32-bit number, for an option. */
export function u32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  writeU32(b, 0, v);
  return b;
}

/** A hardware address as text (lower-case hex, colon-separated), as leases key it. */
export function macText(mac: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < mac.length; i++) s += (i ? ":" : "") + (mac[i] & 0xff).toString(16).padStart(2, "0");
  return s;
}

/** How a lease pool keeps time (DhcpLeases). */
export interface DhcpLeaseOptions {
  /**
   * The lease time the server grants (option 51), in seconds. Without `now`, leases never
   * expire (the client keeps its address for as long as the server lives), whatever this says.
   */
  leaseSeconds?: number;
  /** The server's clock, in ms: with it, a lease not renewed or kept (keep()) expires. */
  now?: () => number;
}

/** The lease time offered when the pool is not told one: one day, as slirp. */
export const DEFAULT_LEASE_SECONDS = 86400;

/**
 * The addresses a DHCP server hands out: `count` of them from `first`, one per client hardware
 * address, the lowest free one to a new client. With a single address (one guest, as slirp),
 * whoever asks gets it, so a guest whose card changed its address still gets its lease.
 *
 * With a clock (`now`), each lease ends `leaseSeconds` after the client last asked for it, or
 * after the server last saw the client on the network (keep(): the page's LAN keeps the
 * leases of the VMs on its switch, since a guest that took its address once, as `udhcpc -q`
 * does, never renews). An expired lease stays with its client until its address is needed: a
 * new client gets the lowest address no unexpired lease holds, which may be one a stopped
 * guest held; the stopped guest, back before that, gets its own address again.
 */
export class DhcpLeases {
  private readonly byMac = new Map<string, Ip4>();
  /** When each lease ends (server ms); absent without a clock. */
  private readonly ends = new Map<string, number>();
  readonly leaseSeconds: number;
  /** Bumped whenever an address goes to a client or is given back. */
  version = 0;
  private readonly now: (() => number) | null;

  constructor(
    readonly first: Ip4,
    readonly count: number,
    opts: DhcpLeaseOptions = {},
  ) {
    if (!Number.isInteger(count) || count < 1 || count > 256)
      throw new RangeError(`a lease pool of ${count} addresses`);
    const secs = opts.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
    if (!Number.isInteger(secs) || secs < 1 || secs > 0xfffffffe)
      throw new RangeError(`a lease time of ${secs} seconds`);
    this.leaseSeconds = secs;
    this.now = opts.now ?? null;
  }

  /** Starts the client's lease again from now (it asked, or was seen). */
  private renew(key: string): void {
    if (this.now) this.ends.set(key, this.now() + this.leaseSeconds * 1000);
  }

  /** Whether the lease of the client (macText) has ended. */
  private ended(key: string): boolean {
    const end = this.ends.get(key);
    return end !== undefined && this.now !== null && this.now() >= end;
  }

  /**
   * The client's address: the one it holds (its lease starts again), else a free one (held from
   * now on); null when none is free.
   */
  addressFor(mac: ArrayLike<number>): Ip4 | null {
    const key = macText(mac);
    const held = this.byMac.get(key);
    if (held !== undefined) {
      this.renew(key);
      return held;
    }
    if (this.count === 1) {
      this.byMac.clear();
      this.ends.clear();
      this.byMac.set(key, this.first);
      this.renew(key);
      this.version++;
      return this.first;
    }
    const taken = new Map<Ip4, string>();
    for (const [k, a] of this.byMac) taken.set(a, k);
    for (let i = 0; i < this.count; i++) {
      const a = (this.first + i) >>> 0;
      const holder = taken.get(a);
      if (holder !== undefined && !this.ended(holder)) continue;
      if (holder !== undefined) this.forget(holder); // expired: the address goes to the new client
      this.byMac.set(key, a);
      this.renew(key);
      this.version++;
      return a;
    }
    return null;
  }

  /** Keeps the client's lease from ending: the server saw it on the network now. */
  keep(mac: ArrayLike<number>): void {
    const key = macText(mac);
    if (this.byMac.has(key)) this.renew(key);
  }

  /** Whether the client holds a lease that has ended (its address may go to another client). */
  expired(mac: ArrayLike<number>): boolean {
    return this.ended(macText(mac));
  }

  private forget(key: string): void {
    if (this.byMac.delete(key)) this.version++;
    this.ends.delete(key);
  }

  /** The address the client holds, or null. */
  held(mac: ArrayLike<number>): Ip4 | null {
    return this.byMac.get(macText(mac)) ?? null;
  }

  /** The hardware address (macText) holding `ip`, or null. */
  holderOf(ip: Ip4): string | null {
    for (const [mac, a] of this.byMac) if (a === ip) return mac;
    return null;
  }

  /** Gives the client's address back (DHCPRELEASE). */
  release(mac: ArrayLike<number>): void {
    this.forget(macText(mac));
  }

  /** Every lease (expired ones too, until their address goes to another client): hardware address (macText) and address. */
  entries(): [string, Ip4][] {
    return [...this.byMac];
  }
}
