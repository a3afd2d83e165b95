// The cable between a network card and what is at the other end of it (the user-mode network,
// a LAN switch): transmitted frames go to the endpoint at once, frames for the card wait in a
// queue until the card has room for them (its receive ring, or a posted receive buffer).
//
// Key design choice: the queue is part of the machine (the board's `nic-link` part, with a
// snapshot record of its own), so a snapshot taken while frames wait for the card restores
// them; what the endpoint holds is the host's business.

import { bytes, defineState, list, u32, type StateRecord, type Stateful } from "@x86vm/core";

/** What the link needs of a card: the NE2000's and virtio-net's wire. */
export interface NicWire {
  onTransmit: (frame: Uint8Array) => void;
  receive(frame: Uint8Array): boolean;
  /**
   * Whether to hand the card a frame of len bytes now; false: it waits (the card has no room
   * and its driver is going to make some). A card says true when holding the frame back would
   * leave it waiting forever, even if the frame is then lost (the NE2000's overflow).
   */
  canReceive(len?: number): boolean;
}

/** Frames a link holds for its card at most (more are dropped, as a full switch port drops). */
export const NIC_LINK_LIMIT = 256;
/** The longest frame a link carries (an Ethernet frame is at most 1,514 bytes without its CRC). */
const MAX_LINK_FRAME = 0xffff;

/**
 * Joins a card to a network endpoint: transmitted frames go to the endpoint at once, frames for
 * the card wait in a queue (at most `limit`; more are dropped) until pump() finds room in the
 * card. The host calls pump() between runs of the machine.
 */
export class NicLink implements Stateful {
  /** Frames waiting for the card, oldest first. */
  queue: Uint8Array[] = [];
  dropped = 0;

  constructor(
    private readonly nic: NicWire,
    readonly limit = NIC_LINK_LIMIT,
  ) {
    if (!Number.isInteger(limit) || limit < 1 || limit > NIC_LINK_LIMIT)
      throw new RangeError(`a link holds 1 to ${NIC_LINK_LIMIT} frames, not ${limit}`);
  }

  /** Where the endpoint sends frames for the card. */
  readonly toNic = (frame: Uint8Array): void => {
    if (this.queue.length >= this.limit || frame.length > MAX_LINK_FRAME) this.dropped++;
    else this.queue.push(frame);
  };

  /** Connects the card's transmissions to `endpoint`. */
  attach(endpoint: (frame: Uint8Array) => void): this {
    this.nic.onTransmit = endpoint;
    return this;
  }

  /** Frames waiting for the card. */
  get pending(): number {
    return this.queue.length;
  }

  /** Hands the card as many waiting frames as it takes; returns how many it took. */
  pump(): number {
    let n = 0;
    while (this.queue.length > 0 && this.nic.canReceive(this.queue[0].length)) {
      this.nic.receive(this.queue.shift()!);
      n++;
    }
    return n;
  }

  // ---- snapshot: the frames waiting and the count of dropped ones

  static readonly STATE = defineState<NicLink>()({
    name: "nic-link",
    version: 1,
    minVersion: 1,
    fields: {
      queue: list(bytes(-1, { maxLength: MAX_LINK_FRAME }), NIC_LINK_LIMIT),
      dropped: u32,
    },
    check(v, fail, link) {
      if (v.queue.length > link.limit) fail(`holds ${v.queue.length} frames, more than the link's ${link.limit}`);
    },
    // Frames of their own, not views of the record's blocks.
    postLoad: (link) => (link.queue = link.queue.map((f) => f.slice())),
  });
  readonly stateDefinition = NicLink.STATE;
  readonly stateName = NicLink.STATE.name;
  readonly stateVersion = NicLink.STATE.version;
  readonly stateMinVersion = NicLink.STATE.minVersion;

  saveState(): StateRecord {
    return NicLink.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    NicLink.STATE.load(this, fields, version);
  }
}
