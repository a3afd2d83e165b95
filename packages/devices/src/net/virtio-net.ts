// A virtio network device (OASIS "Virtual I/O Device (VIRTIO) Version 1.1", 5.1 "Network
// Device") on PCI through the legacy interface (virtio/virtio-pci.ts): vendor 1AF4h, device
// 1000h, subsystem 0001h, class 020000h. Linux's virtio_net (through virtio_pci) drives it.
//
// Queue 0 is the receive queue, queue 1 the transmit queue, 256 entries each. Every packet in
// either direction is a virtio_net_hdr followed by the Ethernet frame (no CRC); without
// VIRTIO_NET_F_MRG_RXBUF and VIRTIO_F_VERSION_1 the header is 10 bytes (flags, gso_type,
// hdr_len, gso_size, csum_start, csum_offset). The configuration is the station address (6
// bytes) and the link status (u16, bit 0 = link up).
//
// Key design choices:
//  - Features offered: VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS and VIRTIO_F_ANY_LAYOUT (a
//    chain is read and written as one byte stream, so the header may share a buffer with the
//    frame or not). No offloads: no checksum, segmentation or mergeable receive buffers, no
//    control queue (the device hands the driver every frame the wire brings; the driver's stack
//    drops what is not for it), no multiqueue.
//  - The wire is the same as the NE2000's (NicWire): `onTransmit(frame)` gets every frame the
//    driver queues, at the notification; `receive(frame)` puts a frame in the next receive
//    buffer, and `canReceive()` says whether one is posted, so NicLink holds frames until then.
//  - A receive buffer too small for the header and the frame is left in place and the frame is
//    dropped (counted); so is a transmitted frame shorter than the header plus an Ethernet
//    header or longer than 1,514 bytes after it (its buffer is still returned).

import { bool, bytes, type FieldSpecs } from "@x86vm/core";
import type { IrqLine } from "../irq.ts";
import type { PciFunction } from "../pci/pci-function.ts";
import { VirtioPciFunction } from "../virtio/virtio-pci.ts";
import { DescChain, type GuestMemory } from "../virtio/virtqueue.ts";

/** The virtio device ID of a network card. */
export const VIRTIO_ID_NET = 1;
export const VIRTIO_NET_F_MAC = 5;
export const VIRTIO_NET_F_STATUS = 16;
export const VIRTIO_F_ANY_LAYOUT = 27;
export const VIRTIO_NET_S_LINK_UP = 1;
/** struct virtio_net_hdr (legacy, without mergeable buffers). */
export const VIRTIO_NET_HDR_SIZE = 10;
export const VIRTIO_NET_RX_QUEUE = 0;
export const VIRTIO_NET_TX_QUEUE = 1;
export const VIRTIO_NET_QUEUE_SIZE = 256;
/** The features the device offers (all of them may be negotiated). */
export const VIRTIO_NET_FEATURES =
  ((1 << VIRTIO_NET_F_MAC) | (1 << VIRTIO_NET_F_STATUS) | (1 << VIRTIO_F_ANY_LAYOUT)) >>> 0;
/** Configuration bytes: mac[6], status (u16). */
const CONFIG_SIZE = 8;
const MIN_FRAME = 14;
const MAX_FRAME = 1514;

export interface VirtioNetOptions {
  mac: Uint8Array;
  mem: GuestMemory;
  irq: IrqLine;
  onTransmit?: (frame: Uint8Array) => void;
}

export class VirtioNet extends VirtioPciFunction {
  readonly mac: Uint8Array;
  /** The link as the status field reports it. */
  linkUp = true;
  onTransmit: (frame: Uint8Array) => void;
  framesSent = 0;
  framesReceived = 0;
  /** Frames dropped: a receive buffer too small, a transmitted frame of an impossible length. */
  framesLost = 0;

  private readonly chain = new DescChain(VIRTIO_NET_QUEUE_SIZE);
  private readonly txBuf = new Uint8Array(MAX_FRAME);
  private static readonly ZERO_HDR = new Uint8Array(VIRTIO_NET_HDR_SIZE);

  constructor(opts: VirtioNetOptions) {
    super(
      {
        stateName: "virtio-net",
        virtioId: VIRTIO_ID_NET,
        classCode: 0x020000,
        features: VIRTIO_NET_FEATURES,
        queueSizes: [VIRTIO_NET_QUEUE_SIZE, VIRTIO_NET_QUEUE_SIZE],
        configSize: CONFIG_SIZE,
      },
      opts.mem,
      opts.irq,
    );
    if (opts.mac.length !== 6) throw new Error(`virtio-net: a station address is 6 bytes, got ${opts.mac.length}`);
    this.mac = opts.mac.slice();
    this.onTransmit = opts.onTransmit ?? (() => {});
  }

  /** Brings the link up or down (the status field), with a configuration interrupt when it changes. */
  setLink(up: boolean): void {
    if (up === this.linkUp) return;
    this.linkUp = up;
    if (this.negotiated(VIRTIO_NET_F_STATUS)) this.configInterrupt();
  }

  // ---- the wire

  /** Whether a frame would be taken now: the driver runs, the link is up and a receive buffer is posted. */
  canReceive(_len = MAX_FRAME): boolean {
    if (!this.running || !this.linkUp) return false;
    let n = 0;
    this.guard(() => (n = this.queues[VIRTIO_NET_RX_QUEUE].pending()));
    return n > 0;
  }

  /** A frame from the wire (destination address first, no CRC). Returns whether it went into a receive buffer. */
  receive(frame: Uint8Array): boolean {
    if (!this.running || !this.linkUp || frame.length < MIN_FRAME || frame.length > MAX_FRAME) return false;
    const q = this.queues[VIRTIO_NET_RX_QUEUE],
      c = this.chain;
    let taken = false;
    this.guard(() => {
      if (!q.peek(c)) return;
      const total = VIRTIO_NET_HDR_SIZE + frame.length;
      if (c.writeLength < total) {
        this.framesLost++;
        return;
      }
      q.write(c, 0, VirtioNet.ZERO_HDR, 0, VIRTIO_NET_HDR_SIZE);
      q.write(c, VIRTIO_NET_HDR_SIZE, frame, 0, frame.length);
      q.pop(c);
      q.push(c.head, total);
      this.framesReceived++;
      taken = true;
      this.queueInterrupt(q);
    });
    return taken;
  }

  // ---- the transport's hooks

  protected readConfig(off: number): number {
    if (off < 6) return this.mac[off];
    if (off === 6) return this.linkUp ? VIRTIO_NET_S_LINK_UP : 0;
    return 0;
  }

  protected writeConfig(off: number, value: number): void {
    // Legacy drivers set the station address by writing it here (5.1.6.5.2 "Legacy Interface").
    if (off < 6) this.mac[off] = value;
  }

  protected queueNotified(q: number): void {
    if (q === VIRTIO_NET_TX_QUEUE) this.transmit();
    // A notification of the receive queue means buffers were posted: NicLink's next pump fills them.
  }

  protected driverReady(): void {
    this.transmit();
  }

  protected deviceReset(): void {}

  /** Sends every frame the driver has queued, returns the buffers, interrupts once. */
  private transmit(): void {
    const q = this.queues[VIRTIO_NET_TX_QUEUE],
      c = this.chain;
    let used = 0;
    while (q.pop(c)) {
      const len = c.readLength - VIRTIO_NET_HDR_SIZE;
      if (len < MIN_FRAME || len > MAX_FRAME) this.framesLost++;
      else {
        q.read(c, VIRTIO_NET_HDR_SIZE, this.txBuf, 0, len);
        this.framesSent++;
        this.onTransmit(this.txBuf.slice(0, len));
      }
      q.push(c.head, 0);
      used++;
    }
    if (used > 0) this.queueInterrupt(q);
  }

  // ---- snapshot: the configuration space, the transport, the station address and the link

  protected override stateFields(): FieldSpecs<PciFunction> {
    return {
      ...super.stateFields(),
      ...VirtioPciFunction.transportFields(VIRTIO_NET_FEATURES, 2, VIRTIO_NET_QUEUE_SIZE),
      mac: bytes(6),
      linkUp: bool,
    };
  }
}
