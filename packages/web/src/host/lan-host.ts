// The page's LAN (shared/lan.ts): the VMs created with a network card share one Ethernet switch
// that runs in its own worker (worker/lan-worker.ts), started with the first such VM. The page
// only sets up each VM's pair of frame rings, gives each a station address, and reads the
// rings' counters for the LAN panel; frames never pass through it.

import { FrameRing, type FrameCounts } from "../shared/frame-ring.ts";
import { LAN_RING_BYTES, type LanLease, type LanReport, type LanRequest, type LanWire } from "../shared/lan.ts";

export interface LanPortInfo {
  id: string;
  name: string;
  mac: string;
  /** Its DHCP lease, once it has one. */
  ip: string | null;
  /** Frames the VM sent (into its tx ring) and dropped there (the switch was behind). */
  out: FrameCounts;
  /** Frames the switch gave the VM (into its rx ring) and dropped there (the guest was behind). */
  in: FrameCounts;
}

interface Port {
  id: string;
  name: string;
  mac: number[];
  tx: FrameRing;
  rx: FrameRing;
}

/** Bytes each VM on the LAN holds in rings. */
export const LAN_PORT_BYTES = 2 * FrameRing.bytesFor(LAN_RING_BYTES);

function macString(mac: readonly number[]): string {
  return mac.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

export class LanHost {
  private worker: Worker | null = null;
  private readonly bell = new SharedArrayBuffer(4);
  private readonly ports = new Map<string, Port>();
  private leases: LanLease[] = [];
  private readonly listeners = new Set<() => void>();
  /** The server's relay the gateway's NAT goes out through, once a VM asked for it. */
  relay: string | null = null;
  /** Set when the LAN worker reported a failure. */
  error: string | null = null;

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  /**
   * A station address no VM on the LAN has: 52:54:00 (QEMU's prefix, locally administered
   * range in practice) and three random bytes.
   */
  newMac(): number[] {
    const taken = new Set([...this.ports.values()].map((p) => macString(p.mac)));
    for (;;) {
      const r = crypto.getRandomValues(new Uint8Array(3));
      const mac = [0x52, 0x54, 0x00, r[0], r[1], r[2]];
      if (!taken.has(macString(mac)) && macString(mac) !== "52:54:00:12:34:56") return mac;
    }
  }

  /** The rings of a VM about to join (wire() before the VM's worker starts, join() after). */
  wire(id: string, name: string, mac: number[]): LanWire {
    const tx = FrameRing.create(LAN_RING_BYTES),
      rx = FrameRing.create(LAN_RING_BYTES);
    this.ports.set(id, { id, name, mac, tx, rx });
    return { mac, tx: tx.buffer, rx: rx.buffer, bell: this.bell };
  }

  /** Puts the VM's port on the switch; `control`: its control block (the switch rings it). */
  join(id: string, control: SharedArrayBuffer, mac?: number[]): void {
    const p = this.ports.get(id);
    if (!p) throw new Error(`no LAN wire for ${id}`);
    if (mac) p.mac = mac;
    this.post({ kind: "add", id, name: p.name, tx: p.tx.buffer, rx: p.rx.buffer, control });
    this.changed();
  }

  /**
   * Lets the LAN out through the server's network relay at `url` (one WebSocket for the LAN's
   * gateway, so every VM on the LAN reaches what the server allows).
   */
  useRelay(url: string): void {
    if (this.relay) return;
    this.relay = url;
    if (this.worker) this.post({ kind: "relay", url });
    this.changed();
  }

  /** Takes the VM off the switch. */
  leave(id: string): void {
    if (!this.ports.delete(id)) return;
    if (this.worker) this.post({ kind: "remove", id });
    this.changed();
  }

  has(id: string): boolean {
    return this.ports.has(id);
  }

  /** The VMs on the LAN with their addresses and counters (read from the rings now). */
  info(): LanPortInfo[] {
    return [...this.ports.values()].map((p) => {
      const mac = macString(p.mac);
      return {
        id: p.id,
        name: p.name,
        mac,
        ip: this.leases.find((l) => l.port === p.id || l.mac === mac)?.ip ?? null,
        out: p.tx.counts(),
        in: p.rx.counts(),
      };
    });
  }

  private post(m: LanRequest): void {
    if (!this.worker) {
      this.worker = new Worker(new URL("../worker/lan-worker.ts", import.meta.url), {
        type: "module",
        name: "x86vm LAN",
      });
      this.worker.addEventListener("message", (e: MessageEvent<LanReport>) => this.onReport(e.data));
      this.worker.addEventListener("error", (e) => {
        this.error = `the LAN's worker crashed: ${e.message || "script error"}`;
        this.changed();
      });
      this.worker.postMessage({ kind: "init", bell: this.bell, relay: this.relay ?? undefined } satisfies LanRequest);
    }
    this.worker.postMessage(m);
  }

  private onReport(r: LanReport): void {
    if (r.kind === "leases") this.leases = r.leases;
    else this.error = r.message;
    this.changed();
  }
}
