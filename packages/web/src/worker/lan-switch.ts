// The Ethernet switch of the page's LAN, with the gateway on one of its ports. It runs in the
// LAN worker (lan-worker.ts); each VM with a network card is a port, joined by two frame rings
// (shared/frame-ring.ts): `tx` from the VM's worker, `rx` to it. Frames never pass through the
// page's main thread.
//
// Switching, as a learning bridge does (IEEE 802.1D's filtering database, without aging or
// spanning tree: one switch, no loops): the source address of each frame a port sends is
// learnt for that port; a frame for a learnt unicast address goes to that port only (or
// nowhere, when it is the port it came from); broadcast, multicast and unknown unicast go to
// every other port and the gateway. A port's rx ring that is full drops the frame and counts
// it (frame-ring.ts): the frames in flight are bounded by the rings.
//
// The gateway is the user-mode network endpoint (devices/net/user-net.ts) with a lease pool:
// 10.0.2.2 (router) and 10.0.2.3 (DNS) answer ARP and ping, DHCP hands out 10.0.2.15, .16, ...
// by hardware address, and DNS answers each VM's name (lower case, spaces as "-") with its
// lease. Passing `sockets` (HostSockets) gives it the user network's NAT to the outside;
// `sender` says, while the gateway takes a frame, which port it came from (the NAT opens its
// streams then, so they can be counted to that VM).
// Leases last LAN_LEASE_SECONDS on the host's clock and are kept while their VM's address is
// learnt on a port (the Linux guest asks once and never renews): a VM taken off the LAN keeps
// its address for that long, then the address may go to another VM.

import { DhcpLeases, USER_NET_GUEST, USER_NET_HOST_MAC, UserNetwork, ip4Text, type HostSockets } from "@x86vm/devices";
import { FrameRing, MAX_RING_FRAME } from "../shared/frame-ring.ts";

/** Addresses the gateway's DHCP hands out: 10.0.2.15 to 10.0.2.254. */
export const LAN_LEASES = 240;
/** The lease time the gateway's DHCP grants (an hour). */
export const LAN_LEASE_SECONDS = 3600;
/** How often the leases of the VMs on the switch are kept from ending. */
const KEEP_LEASES_MS = 1000;

export interface LanPortSetup {
  id: string;
  /** The VM's name: its DNS name on the LAN is this in lower case, spaces as "-". */
  name: string;
  /** VM -> switch. */
  tx: SharedArrayBuffer;
  /** Switch -> VM. */
  rx: SharedArrayBuffer;
}

interface Port {
  id: string;
  name: string;
  dnsName: string;
  tx: FrameRing;
  rx: FrameRing;
  /** Called once after a poll that gave the port frames (rings its worker's doorbell). */
  wake: () => void;
  woken: boolean;
}

/** A MAC address as a number (48 bits fit a double exactly): the filtering database's key. */
function macKey(b: ArrayLike<number>, at: number): number {
  return (
    ((b[at] << 8) | b[at + 1]) * 2 ** 32 +
    (((b[at + 2] << 24) | (b[at + 3] << 16) | (b[at + 4] << 8) | b[at + 5]) >>> 0)
  );
}

/** The MAC address of a key (macKey). */
function keyMac(k: number): number[] {
  const hi = Math.floor(k / 2 ** 32),
    lo = k >>> 0;
  return [hi >>> 8, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff];
}

/** The key of a MAC address in the leases' text form ("52:54:00:12:34:56"). */
function textKey(mac: string): number {
  return macKey(
    mac.split(":").map((h) => parseInt(h, 16)),
    0,
  );
}

/** The DNS name of a VM called `name`: lower case, runs of other characters as "-". */
export function lanDnsName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

export interface LanSwitchOptions {
  /** The gateway's NAT to the outside (the relay through the server); without it, no NAT. */
  sockets?: HostSockets;
  /** The host's clock in ms, for the leases (default performance.now). */
  now?: () => number;
  /** The leases' time (default LAN_LEASE_SECONDS). */
  leaseSeconds?: number;
}

export class LanSwitch {
  private readonly ports: Port[] = [];
  private readonly table = new Map<number, Port>();
  private readonly scratch = new Uint8Array(MAX_RING_FRAME);
  readonly gateway: UserNetwork;
  readonly leases: DhcpLeases;
  private readonly now: () => number;
  private keptAt = -Infinity;
  private readonly gatewayKey = macKey(USER_NET_HOST_MAC, 0);
  /** Inside poll(): ports are woken once at its end, not per frame. */
  private polling = false;
  /** Frames that went to every port (broadcast, multicast, unknown destination). */
  flooded = 0;
  /** Frames the gateway sent. */
  fromGateway = 0;
  /** Bumped whenever a lease is handed out (the page shows the addresses). */
  leaseVersion = 0;
  /** The id of the port whose frame the gateway is taking (null the rest of the time). */
  sender: string | null = null;

  constructor(opts: LanSwitchOptions = {}) {
    this.now = opts.now ?? (() => performance.now());
    this.leases = new DhcpLeases(USER_NET_GUEST, LAN_LEASES, {
      leaseSeconds: opts.leaseSeconds ?? LAN_LEASE_SECONDS,
      now: this.now,
    });
    const gwOpts = {
      send: (f: Uint8Array) => {
        this.fromGateway++;
        this.forward(null, f, f.length);
        // What the gateway sends later (the NAT's data from the outside) wakes its VM at once.
        if (!this.polling) this.wakePorts();
      },
      leases: this.leases,
      resolve: (name: string) => this.resolve(name),
      ...(opts.sockets ? { sockets: opts.sockets } : {}),
    };
    this.gateway = new UserNetwork(gwOpts);
  }

  get portCount(): number {
    return this.ports.length;
  }

  addPort(setup: LanPortSetup, wake: () => void): void {
    if (this.ports.some((p) => p.id === setup.id)) throw new Error(`the LAN has a port ${setup.id} already`);
    this.ports.push({
      id: setup.id,
      name: setup.name,
      dnsName: lanDnsName(setup.name),
      tx: new FrameRing(setup.tx),
      rx: new FrameRing(setup.rx),
      wake,
      woken: false,
    });
  }

  /** Takes a port off the switch and forgets the addresses learnt on it. */
  removePort(id: string): void {
    const i = this.ports.findIndex((p) => p.id === id);
    if (i < 0) return;
    const p = this.ports[i];
    this.ports.splice(i, 1);
    for (const [k, q] of this.table) if (q === p) this.table.delete(k);
  }

  /** The address a VM's name resolves to: its port's learnt MAC's lease. */
  private resolve(name: string): number | null {
    const p = this.ports.find((q) => q.dnsName === name && q.dnsName !== "");
    if (!p) return null;
    for (const [mac, ip] of this.leases.entries()) if (this.table.get(textKey(mac)) === p) return ip;
    return null;
  }

  /** The leases as text, by the id of the port their MAC was last seen on (null: not seen). */
  leaseList(): { mac: string; ip: string; port: string | null }[] {
    return this.leases
      .entries()
      .map(([mac, ip]) => ({ mac, ip: ip4Text(ip), port: this.table.get(textKey(mac))?.id ?? null }));
  }

  /** Moves every frame waiting on the ports' tx rings; returns how many it moved. */
  poll(): number {
    let moved = 0;
    const buf = this.scratch;
    this.polling = true;
    for (const p of this.ports) {
      for (;;) {
        const len = p.tx.pop(buf);
        if (len === 0) break;
        moved++;
        if (len < 14) continue; // a runt: nothing to switch on
        if ((buf[6] & 1) === 0) this.table.set(macKey(buf, 6), p);
        this.forward(p, buf, len);
      }
    }
    this.polling = false;
    this.wakePorts();
    this.keepLeases();
    return moved;
  }

  /** Keeps the leases of the addresses learnt on the ports (at most every KEEP_LEASES_MS). */
  private keepLeases(): void {
    const now = this.now();
    if (now - this.keptAt < KEEP_LEASES_MS) return;
    this.keptAt = now;
    for (const k of this.table.keys()) this.leases.keep(keyMac(k));
  }

  private wakePorts(): void {
    for (const p of this.ports)
      if (p.woken) {
        p.woken = false;
        p.wake();
      }
  }

  /** Sends a frame from `from` (null: the gateway) where its destination is. */
  private forward(from: Port | null, buf: Uint8Array, len: number): void {
    const frame = buf.subarray(0, len);
    if ((buf[0] & 1) === 0) {
      const key = macKey(buf, 0);
      if (key === this.gatewayKey) {
        if (from) this.toGateway(from, frame);
        return;
      }
      const to = this.table.get(key);
      if (to) {
        if (to !== from) this.deliver(to, frame);
        return;
      }
    }
    this.flooded++;
    for (const p of this.ports) if (p !== from) this.deliver(p, frame);
    if (from) this.toGateway(from, frame);
  }

  private deliver(p: Port, frame: Uint8Array): void {
    if (p.rx.push(frame)) p.woken = true;
  }

  private toGateway(from: Port, frame: Uint8Array): void {
    const before = this.leases.version;
    // A copy: the gateway may keep views of what it is given (the NAT's queued data).
    this.sender = from.id;
    try {
      this.gateway.receive(frame.slice());
    } finally {
      this.sender = null;
    }
    if (this.leases.version !== before) this.leaseVersion++;
  }
}
