// A VM's end of the page's LAN (shared/lan.ts): its network card's transmissions go into the
// `tx` frame ring at once (the LAN worker is woken by its bell); frames from the switch wait in
// the `rx` ring until the card has room for them, handed over by pump() between the parts of
// each time slice. The ring is the card's only queue: while the guest does not read, frames
// stay there, and the switch drops (and counts) what no longer fits. Frames a resumed snapshot's
// link part (devices/net/nic-link.ts) kept for the card go to it first.

import type { NicLink, NicWire } from "@x86vm/devices";
import { FrameRing, MAX_RING_FRAME } from "../shared/frame-ring.ts";
import { ringBell, type LanWire } from "../shared/lan.ts";

export class LanLink {
  private readonly tx: FrameRing;
  private readonly rx: FrameRing;
  private readonly bell: Int32Array;
  private readonly scratch = new Uint8Array(MAX_RING_FRAME);
  private nic: NicWire | null = null;
  private link: NicLink | null = null;

  constructor(wire: LanWire) {
    this.tx = new FrameRing(wire.tx);
    this.rx = new FrameRing(wire.rx);
    this.bell = new Int32Array(wire.bell, 0, 1);
  }

  /**
   * Joins a card (a new machine's, after a reset or a restore) to the LAN; `link`: the machine's
   * link part, whose waiting frames (from a snapshot) the card gets first.
   */
  attach(nic: NicWire, link: NicLink | null = null): void {
    this.nic = nic;
    this.link = link;
    nic.onTransmit = (frame) => {
      if (frame.length > 0 && frame.length <= MAX_RING_FRAME && this.tx.push(frame)) ringBell(this.bell);
    };
  }

  detach(): void {
    if (this.nic) this.nic.onTransmit = () => {};
    this.nic = null;
    this.link = null;
  }

  /** Whether a frame is waiting that the card has room for (the guest must not sleep on it). */
  get ready(): boolean {
    const nic = this.nic;
    if (!nic) return false;
    const kept = this.link?.queue[0];
    const len = kept ? kept.length : this.rx.peekLength();
    return len > 0 && nic.canReceive(len);
  }

  /** Hands the card the frames waiting for it, as many as its ring takes; returns how many. */
  pump(): number {
    const nic = this.nic;
    if (!nic) return 0;
    let n = 0;
    if (this.link && this.link.pending > 0) {
      n = this.link.pump();
      if (this.link.pending > 0) return n;
    }
    for (;;) {
      const len = this.rx.peekLength();
      if (len === 0 || !nic.canReceive(len)) return n;
      this.rx.pop(this.scratch);
      nic.receive(this.scratch.subarray(0, len));
      n++;
    }
  }
}
