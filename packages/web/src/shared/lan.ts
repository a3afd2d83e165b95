// The page's LAN: what the page, the VM workers and the LAN worker (worker/lan-worker.ts) share.
//
// Frames travel only through SharedArrayBuffers: each VM with a network card has two frame rings
// (frame-ring.ts) to the LAN worker, `tx` (VM -> switch) and `rx` (switch -> VM). A VM's worker
// that pushed a frame rings the LAN's bell (an Int32 in its own buffer) so the switch wakes; the
// switch rings the VM's control-block doorbell when it gave the VM frames, so an idle guest
// wakes at once. Messages (below) only join and remove ports and report the leases.

/** Bytes of each direction's frame ring: about 85 full-size frames in flight per direction. */
export const LAN_RING_BYTES = 128 * 1024;

/** What a VM worker gets to join the LAN (VmSetup.lan). */
export interface LanWire {
  /** The card's station address (6 bytes); a resumed snapshot keeps its own. */
  mac: number[];
  tx: SharedArrayBuffer;
  rx: SharedArrayBuffer;
  /** The LAN worker's bell: Int32 0, bumped and notified after pushing to `tx`. */
  bell: SharedArrayBuffer;
}

/** Page -> LAN worker. */
export type LanRequest =
  /**
   * First message. `relay`: the server's /net WebSocket URL: the gateway then has the user
   * network's NAT to the outside through it (RelaySockets; one WebSocket for the whole LAN).
   */
  | { kind: "init"; bell: SharedArrayBuffer; relay?: string }
  | { kind: "add"; id: string; name: string; tx: SharedArrayBuffer; rx: SharedArrayBuffer; control: SharedArrayBuffer }
  | { kind: "remove"; id: string }
  /** The gateway's NAT goes out through the server's relay at `url` from now on (see "init"). */
  | { kind: "relay"; url: string };

/** A lease the gateway's DHCP handed out; `port`: the VM id its MAC was last seen from. */
export interface LanLease {
  mac: string;
  ip: string;
  port: string | null;
}

/** LAN worker -> page. */
export type LanReport = { kind: "leases"; leases: LanLease[] } | { kind: "error"; message: string };

/** Bumps the bell and wakes its waiter. */
export function ringBell(bell: Int32Array): void {
  Atomics.add(bell, 0, 1);
  Atomics.notify(bell, 0);
}
