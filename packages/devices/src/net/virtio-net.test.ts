// virtio-net through the legacy PCI interface (virtio-net.ts, virtio/virtio-pci.ts), driven the
// way Linux's virtio_pci and virtio_net drive it: status handshake, feature negotiation, queue
// placement, transmit and receive through the rings, the ISR and the INTx line, interrupt
// suppression, the link status, a broken ring, reset; then on the PC board: its PCI identity,
// its ports and IRQ, and a snapshot taken with receive buffers posted and frames waiting in the
// link, which the restored machine delivers.
import { describe, expect, it } from "vitest";
import { PhysicalMemory } from "@x86vm/core";
import { PCI_COMMAND, PCI_COMMAND_IO, PCI_COMMAND_MASTER } from "../pci/pci-function.ts";
import {
  VIRTIO_ISR_CONFIG,
  VIRTIO_ISR_QUEUE,
  VIRTIO_PCI_CONFIG,
  VIRTIO_PCI_GUEST_FEATURES,
  VIRTIO_PCI_HOST_FEATURES,
  VIRTIO_PCI_ISR,
  VIRTIO_PCI_QUEUE_NOTIFY,
  VIRTIO_PCI_QUEUE_NUM,
  VIRTIO_PCI_QUEUE_PFN,
  VIRTIO_PCI_QUEUE_SEL,
  VIRTIO_PCI_STATUS,
  VIRTIO_STATUS_ACKNOWLEDGE,
  VIRTIO_STATUS_DEVICE_NEEDS_RESET,
  VIRTIO_STATUS_DRIVER,
  VIRTIO_STATUS_DRIVER_OK,
} from "../virtio/virtio-pci.ts";
import { VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from "../virtio/virtqueue.ts";
import {
  VIRTIO_NET_FEATURES,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_STATUS,
  VIRTIO_NET_HDR_SIZE,
  VIRTIO_NET_QUEUE_SIZE,
  VirtioNet,
} from "./virtio-net.ts";
import { PcMachine } from "../pc/pc.ts";
import { NIC_IO_BASE, NIC_IRQ, NIC_PCI_DEVICE } from "../pc/board.ts";
import { restoreSnapshot, saveSnapshot } from "../pc/snapshot.ts";

const MAC = Uint8Array.from([0x52, 0x54, 0x00, 0xab, 0xcd, 0xef]);
const RX_PFN = 0x10,
  TX_PFN = 0x20;

/** Register access: the device's own, or a machine's ports at the card's I/O base. */
interface Regs {
  in(off: number, size: number): number;
  out(off: number, size: number, v: number): void;
}

/** A driver of one virtio-net: what Linux's virtio_pci (legacy) and virtio_net do. */
class Driver {
  private readonly nextDesc = [0, 0];
  private readonly avail = [0, 0];
  private readonly usedSeen = [0, 0];
  constructor(
    readonly mem: PhysicalMemory,
    readonly regs: Regs,
  ) {}

  qbase(q: number): number {
    return (q === 0 ? RX_PFN : TX_PFN) * 4096;
  }

  /** Reset, ACKNOWLEDGE, DRIVER, features, both queues placed, DRIVER_OK. */
  start(features = VIRTIO_NET_FEATURES): void {
    const r = this.regs;
    r.out(VIRTIO_PCI_STATUS, 1, 0);
    r.out(VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
    r.out(VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    r.out(VIRTIO_PCI_GUEST_FEATURES, 4, r.in(VIRTIO_PCI_HOST_FEATURES, 4) & features);
    for (const [q, pfn] of [
      [0, RX_PFN],
      [1, TX_PFN],
    ]) {
      r.out(VIRTIO_PCI_QUEUE_SEL, 2, q);
      expect(r.in(VIRTIO_PCI_QUEUE_NUM, 2)).toBe(VIRTIO_NET_QUEUE_SIZE);
      expect(r.in(VIRTIO_PCI_QUEUE_PFN, 4)).toBe(0);
      for (let a = pfn * 4096; a < (pfn + 3) * 4096; a += 4) this.mem.write32(a, 0); // a fresh ring
      r.out(VIRTIO_PCI_QUEUE_PFN, 4, pfn);
    }
    r.out(VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
  }

  /** Chains buffers ([address, length, device-writable]) and makes them available; returns the head. */
  add(q: number, bufs: [number, number, boolean][], notify = true): number {
    const base = this.qbase(q),
      num = VIRTIO_NET_QUEUE_SIZE;
    const head = this.nextDesc[q];
    bufs.forEach(([addr, len, w], i) => {
      const d = base + 16 * ((head + i) % num);
      this.mem.write32(d, addr);
      this.mem.write32(d + 4, 0);
      this.mem.write32(d + 8, len);
      this.mem.write16(d + 12, (w ? VIRTQ_DESC_F_WRITE : 0) | (i < bufs.length - 1 ? VIRTQ_DESC_F_NEXT : 0));
      this.mem.write16(d + 14, (head + i + 1) % num);
    });
    this.nextDesc[q] = (head + bufs.length) % num;
    const avail = base + 16 * num;
    this.mem.write16(avail + 4 + 2 * (this.avail[q] % num), head);
    this.avail[q] = (this.avail[q] + 1) & 0xffff;
    this.mem.write16(avail + 2, this.avail[q]);
    if (notify) this.regs.out(VIRTIO_PCI_QUEUE_NOTIFY, 2, q);
    return head;
  }

  /** Used entries the device returned since the last call: [head, length]. */
  used(q: number): [number, number][] {
    const used = this.qbase(q) + 8192; // 4 KiB table + available ring, page aligned
    const out: [number, number][] = [];
    const idx = this.mem.read16(used + 2);
    while (this.usedSeen[q] !== idx) {
      const e = used + 4 + 8 * (this.usedSeen[q] % VIRTIO_NET_QUEUE_SIZE);
      out.push([this.mem.read32(e), this.mem.read32(e + 4)]);
      this.usedSeen[q] = (this.usedSeen[q] + 1) & 0xffff;
    }
    return out;
  }

  setAvailFlags(q: number, flags: number): void {
    this.mem.write16(this.qbase(q) + 16 * VIRTIO_NET_QUEUE_SIZE, flags);
  }
}

function rig() {
  const mem = new PhysicalMemory(1 << 20);
  const irq = { level: false, raises: 0 };
  const sent: Uint8Array[] = [];
  const dev = new VirtioNet({
    mac: MAC,
    mem,
    irq: {
      raise: () => {
        irq.level = true;
        irq.raises++;
      },
      lower: () => (irq.level = false),
    },
    onTransmit: (f) => sent.push(f),
  });
  dev.write(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
  const drv = new Driver(mem, { in: (o, s) => dev.readReg(o, s), out: (o, s, v) => dev.writeReg(o, s, v) });
  return { mem, dev, drv, irq, sent };
}

function frame(dst: ArrayLike<number>, len: number, fill = 0x5a): Uint8Array {
  const f = new Uint8Array(len).fill(fill);
  f.set(dst, 0);
  f.set([2, 0, 0, 0, 0, 1], 6);
  return f;
}

describe("virtio-net (legacy PCI interface)", () => {
  it("is a transitional virtio network device with its station address and link in the configuration", () => {
    const { dev } = rig();
    expect(dev.read(0x00, 4)).toBe(0x10001af4);
    expect(dev.read(0x08, 4) >>> 8).toBe(0x020000);
    expect(dev.read(0x08, 1)).toBe(0); // revision 0: the legacy ABI
    expect(dev.read(0x2c, 4)).toBe(0x00011af4); // subsystem: virtio device 1, network
    expect(dev.read(0x3d, 1)).toBe(1); // INTA#
    dev.write(0x10, 4, 0xffffffff);
    expect(dev.read(0x10, 4)).toBe(0xffffffe1); // a 32-port I/O BAR
    expect(dev.readReg(VIRTIO_PCI_HOST_FEATURES, 4)).toBe(VIRTIO_NET_FEATURES);
    expect(VIRTIO_NET_FEATURES & (1 << VIRTIO_NET_F_MAC)).not.toBe(0);
    const cfg = Array.from({ length: 8 }, (_, i) => dev.readReg(VIRTIO_PCI_CONFIG + i, 1));
    expect(cfg).toEqual([...MAC, 1, 0]); // mac, status LINK_UP
    expect(dev.readReg(VIRTIO_PCI_CONFIG + 4, 2)).toBe(0xefcd);
  });

  it("negotiates only the features it offers", () => {
    const { dev, drv } = rig();
    drv.start(0xffffffff);
    expect(dev.readReg(VIRTIO_PCI_GUEST_FEATURES, 4)).toBe(VIRTIO_NET_FEATURES);
    dev.writeReg(VIRTIO_PCI_GUEST_FEATURES, 4, 1 << 24); // not offered
    expect(dev.readReg(VIRTIO_PCI_GUEST_FEATURES, 4)).toBe(0);
  });

  it("sends the frame behind the header when the transmit queue is notified, returns the buffer and interrupts", () => {
    const { mem, dev, drv, irq, sent } = rig();
    drv.start();
    const f = frame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 98);
    // Header in a buffer of its own, the frame split over two more (Linux without ANY_LAYOUT).
    for (let i = 0; i < 98; i++) mem.write8((i < 40 ? 0x40000 : 0x41000 - 40) + i, f[i]);
    const head = drv.add(1, [
      [0x3f000, VIRTIO_NET_HDR_SIZE, false],
      [0x40000, 40, false],
      [0x41000, 58, false],
    ]);
    expect(sent).toHaveLength(1);
    expect([...sent[0]]).toEqual([...f]);
    expect(drv.used(1)).toEqual([[head, 0]]);
    expect(irq.level).toBe(true);
    expect(dev.readReg(VIRTIO_PCI_ISR, 1)).toBe(VIRTIO_ISR_QUEUE);
    expect(irq.level).toBe(false); // reading the ISR acknowledges
    expect(dev.readReg(VIRTIO_PCI_ISR, 1)).toBe(0);
    // Header and frame in one buffer (ANY_LAYOUT), interrupts suppressed by the driver.
    drv.setAvailFlags(1, VIRTQ_AVAIL_F_NO_INTERRUPT);
    for (let i = 0; i < 60; i++) mem.write8(0x42000 + VIRTIO_NET_HDR_SIZE + i, f[i]);
    drv.add(1, [[0x42000, VIRTIO_NET_HDR_SIZE + 60, false]]);
    expect(sent).toHaveLength(2);
    expect([...sent[1]]).toEqual([...f.subarray(0, 60)]);
    expect(drv.used(1)).toHaveLength(1);
    expect(irq.level).toBe(false);
    // A chain too short for a frame is returned and counted, not sent.
    drv.add(1, [[0x42000, VIRTIO_NET_HDR_SIZE + 4, false]]);
    expect(sent).toHaveLength(2);
    expect(drv.used(1)).toHaveLength(1);
    expect(dev.framesLost).toBe(1);
  });

  it("puts a received frame behind a zero header in the next receive buffer", () => {
    const { mem, dev, drv, irq } = rig();
    const f = frame(MAC, 70);
    expect(dev.canReceive()).toBe(false); // no driver yet
    expect(dev.receive(f)).toBe(false);
    drv.start();
    expect(dev.canReceive()).toBe(false); // no buffer posted
    mem.write8(0x50000, 0xee); // the header must be overwritten with zeros
    const head = drv.add(0, [[0x50000, VIRTIO_NET_HDR_SIZE + 1518, true]]);
    expect(dev.canReceive()).toBe(true);
    expect(dev.receive(f)).toBe(true);
    expect(drv.used(0)).toEqual([[head, VIRTIO_NET_HDR_SIZE + 70]]);
    expect(Array.from({ length: 10 }, (_, i) => mem.read8(0x50000 + i))).toEqual(new Array(10).fill(0));
    expect(Array.from({ length: 70 }, (_, i) => mem.read8(0x50000 + 10 + i))).toEqual([...f]);
    expect(irq.level).toBe(true);
    expect(dev.canReceive()).toBe(false);
    expect(dev.receive(f)).toBe(false);
    // A buffer too small for the frame stays posted and the frame is dropped.
    dev.readReg(VIRTIO_PCI_ISR, 1);
    drv.add(0, [[0x51000, 40, true]]);
    expect(dev.receive(f)).toBe(false);
    expect(dev.framesLost).toBe(1);
    expect(dev.canReceive()).toBe(true);
    expect(drv.used(0)).toEqual([]);
    expect(irq.level).toBe(false);
  });

  it("reports the link going down with a configuration interrupt, and takes no frames then", () => {
    const { dev, drv, irq } = rig();
    drv.start();
    drv.add(0, [[0x50000, 1600, true]]);
    dev.setLink(false);
    expect(dev.readReg(VIRTIO_PCI_CONFIG + 6, 2)).toBe(0);
    expect(irq.level).toBe(true);
    expect(dev.readReg(VIRTIO_PCI_ISR, 1)).toBe(VIRTIO_ISR_CONFIG);
    expect(dev.canReceive()).toBe(false);
    dev.setLink(true);
    expect(dev.readReg(VIRTIO_PCI_CONFIG + 6, 2)).toBe(1);
    expect(dev.canReceive()).toBe(true);
    // Without VIRTIO_NET_F_STATUS negotiated there is no interrupt for it.
    dev.readReg(VIRTIO_PCI_ISR, 1);
    drv.start(1 << VIRTIO_NET_F_MAC);
    expect(dev.negotiated(VIRTIO_NET_F_STATUS)).toBe(false);
    dev.setLink(false);
    expect(irq.level).toBe(false);
  });

  it("stops on a broken ring until the driver resets it, and reset clears everything", () => {
    const { mem, dev, drv, irq, sent } = rig();
    drv.start();
    // A transmit chain whose descriptor links beyond the table.
    const d = TX_PFN * 4096;
    mem.write32(d + 8, 20);
    mem.write16(d + 12, VIRTQ_DESC_F_NEXT);
    mem.write16(d + 14, 999);
    mem.write16(d + 16 * 256 + 4, 0);
    mem.write16(d + 16 * 256 + 2, 1);
    dev.writeReg(VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);
    expect(dev.readReg(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_DEVICE_NEEDS_RESET).not.toBe(0);
    expect(dev.lastError).toMatch(/links to 999/);
    expect(dev.canReceive()).toBe(false);
    dev.setLink(false); // leaves an interrupt pending
    expect(irq.level).toBe(true);
    dev.writeReg(VIRTIO_PCI_STATUS, 1, 0);
    expect(irq.level).toBe(false);
    expect(dev.readReg(VIRTIO_PCI_STATUS, 1)).toBe(0);
    expect(dev.readReg(VIRTIO_PCI_GUEST_FEATURES, 4)).toBe(0);
    expect(dev.lastError).toBeNull();
    for (const q of [0, 1]) {
      dev.writeReg(VIRTIO_PCI_QUEUE_SEL, 2, q);
      expect(dev.readReg(VIRTIO_PCI_QUEUE_PFN, 4)).toBe(0);
    }
    // And it works again after a fresh start.
    const fresh = new Driver(mem, { in: (o, s) => dev.readReg(o, s), out: (o, s, v) => dev.writeReg(o, s, v) });
    fresh.start();
    fresh.add(1, [[0x60000, VIRTIO_NET_HDR_SIZE + 60, false]]);
    expect(sent).toHaveLength(1);
  });

  it("does no DMA while the bus master bit is off", () => {
    const { dev, drv, sent } = rig();
    drv.start();
    dev.write(PCI_COMMAND, 2, PCI_COMMAND_IO);
    drv.add(1, [[0x60000, VIRTIO_NET_HDR_SIZE + 60, false]]);
    expect(sent).toHaveLength(0);
    drv.add(0, [[0x50000, 1600, true]]);
    expect(dev.canReceive()).toBe(false);
  });
});

describe("virtio-net on the PC board", () => {
  function cfgRead(pc: PcMachine, off: number): number {
    const io = pc.machine.io.io;
    io.out32(0xcf8, (0x80000000 | (NIC_PCI_DEVICE << 11) | (off & 0xfc)) >>> 0);
    return io.in32(0xcfc) >>> 0;
  }
  function irr(pc: PcMachine): number {
    const io = pc.machine.io.io;
    io.out8(0x20, 0x0a);
    io.out8(0xa0, 0x0a);
    return io.in8(0x20) | (io.in8(0xa0) << 8);
  }
  const portRegs = (pc: PcMachine): Regs => {
    const io = pc.machine.io.io;
    return {
      in: (o, s) => (s === 1 ? io.in8(NIC_IO_BASE + o) : s === 2 ? io.in16(NIC_IO_BASE + o) : io.in32(NIC_IO_BASE + o)),
      out: (o, s, v) =>
        s === 1 ? io.out8(NIC_IO_BASE + o, v) : s === 2 ? io.out16(NIC_IO_BASE + o, v) : io.out32(NIC_IO_BASE + o, v),
    };
  };
  const enableMaster = (pc: PcMachine) => {
    const io = pc.machine.io.io;
    io.out32(0xcf8, (0x80000000 | (NIC_PCI_DEVICE << 11) | PCI_COMMAND) >>> 0);
    io.out16(0xcfc, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
  };

  it("sits at PCI 03.0 with BAR0 at the card's ports and INTA# on IRQ 11", () => {
    const pc = new PcMachine({ memoryMiB: 2, net: { card: "virtio", mac: MAC } });
    expect(cfgRead(pc, 0x00)).toBe(0x10001af4);
    expect(cfgRead(pc, 0x10)).toBe(NIC_IO_BASE | 1);
    expect(cfgRead(pc, 0x3c) & 0xff).toBe(NIC_IRQ);
    expect(pc.nic).toBe(pc.parts["virtio-net"]);
    const regs = portRegs(pc);
    expect(regs.in(VIRTIO_PCI_CONFIG, 4) >>> 0).toBe(0xab005452);
    enableMaster(pc);
    const drv = new Driver(pc.machine.mem, regs);
    drv.start();
    drv.add(0, [[0x50000, 1600, true]]);
    expect(irr(pc) & (1 << NIC_IRQ)).toBe(0);
    expect(pc.nicLink!.pump()).toBe(0);
    pc.nicLink!.toNic(frame(MAC, 64));
    expect(pc.nicLink!.pump()).toBe(1);
    expect(irr(pc) & (1 << NIC_IRQ)).not.toBe(0);
    regs.in(VIRTIO_PCI_ISR, 1);
    expect(irr(pc) & (1 << NIC_IRQ)).toBe(0);
  });

  it("keeps the queues' positions and the frames waiting in the link across a snapshot", async () => {
    const pc = new PcMachine({ memoryMiB: 2, net: { card: "virtio", mac: MAC } });
    enableMaster(pc);
    const drv = new Driver(pc.machine.mem, portRegs(pc));
    drv.start();
    drv.add(0, [[0x50000, 1600, true]]);
    const link = pc.nicLink!;
    link.toNic(frame(MAC, 64, 1));
    expect(link.pump()).toBe(1);
    link.toNic(frame(MAC, 64, 2));
    link.toNic(frame(MAC, 80, 3));
    expect(link.pump()).toBe(0); // no buffer: both wait in the link
    const back = await restoreSnapshot(await saveSnapshot(pc));
    expect(back.parts["virtio-net"]).not.toBeNull();
    expect([...back.parts["virtio-net"]!.mac]).toEqual([...MAC]);
    expect(back.nicLink!.pending).toBe(2);
    const regs = portRegs(back);
    expect(regs.in(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_DRIVER_OK).not.toBe(0);
    expect(regs.in(VIRTIO_PCI_ISR, 1)).toBe(VIRTIO_ISR_QUEUE); // the first frame's interrupt
    // The driver goes on where it was: two more buffers take the two frames, in order.
    const drv2 = new Driver(back.machine.mem, regs);
    Object.assign(drv2, { nextDesc: [1, 0], avail: [1, 0], usedSeen: [1, 0] });
    drv2.add(0, [[0x52000, 1600, true]]);
    drv2.add(0, [[0x53000, 1600, true]]);
    expect(back.nicLink!.pump()).toBe(2);
    expect(drv2.used(0)).toEqual([
      [1, VIRTIO_NET_HDR_SIZE + 64],
      [2, VIRTIO_NET_HDR_SIZE + 80],
    ]);
    expect(back.machine.mem.read8(0x52000 + VIRTIO_NET_HDR_SIZE + 20)).toBe(2);
    expect(back.machine.mem.read8(0x53000 + VIRTIO_NET_HDR_SIZE + 20)).toBe(3);
  });
});
