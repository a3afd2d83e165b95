// The RTL8029 on the board, as a PCI driver finds it: its configuration space through CF8h/CFCh
// (identity, a 32-byte I/O BAR, INTA# routed to the IRQ in its interrupt line register), the
// NE2000 at BAR0 (the PROM through remote DMA), its interrupt reaching the PIC as a level,
// decoding that follows the command register, and a snapshot round trip. A machine built
// without a network option has no card and no records for it. Then the same NE2000 on ISA (300h,
// IRQ 10, edge-triggered), and the link's frames waiting for a card kept by a snapshot.
import { describe, expect, it } from "vitest";
import { PcMachine } from "../pc/pc.ts";
import { restoreSnapshot, saveSnapshot } from "../pc/snapshot.ts";
import { NIC_IO_BASE, NIC_IRQ, NIC_ISA_IO_BASE, NIC_ISA_IRQ, NIC_PCI_DEVICE } from "../pc/board.ts";

const MAC = Uint8Array.from([0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);

function cfgRead(pc: PcMachine, dev: number, off: number): number {
  const io = pc.machine.io.io;
  io.out32(0xcf8, (0x80000000 | (dev << 11) | (off & 0xfc)) >>> 0);
  return io.in32(0xcfc) >>> 0;
}

function cfgWrite(pc: PcMachine, dev: number, off: number, v: number): void {
  const io = pc.machine.io.io;
  io.out32(0xcf8, (0x80000000 | (dev << 11) | (off & 0xfc)) >>> 0);
  io.out32(0xcfc, v);
}

function irr(pc: PcMachine): number {
  const io = pc.machine.io.io;
  io.out8(0x20, 0x0a);
  io.out8(0xa0, 0x0a);
  return io.in8(0x20) | (io.in8(0xa0) << 8);
}

/** The station address from the PROM, read as ne2k-pci does: word mode, a byte read per word. */
function readPromMac(pc: PcMachine, base: number): number[] {
  const io = pc.machine.io.io;
  io.in8(base + 0x1f); // reset
  io.out8(base, 0x21);
  io.out8(base + 0x0e, 0x49);
  io.out8(base + 0x0a, 32);
  io.out8(base + 0x0b, 0);
  io.out8(base + 0x08, 0);
  io.out8(base + 0x09, 0);
  io.out8(base, 0x0a);
  const prom: number[] = [];
  for (let i = 0; i < 16; i++) prom.push(io.in8(base + 0x10));
  return prom.slice(0, 6);
}

describe("the RTL8029 network card on the board", () => {
  it("is a PCI Ethernet controller 10EC:8029 with a 32-byte I/O BAR and INTA# on IRQ 11", () => {
    const pc = new PcMachine({ memoryMiB: 2, net: { mac: MAC } });
    const d = NIC_PCI_DEVICE;
    expect(cfgRead(pc, d, 0x00)).toBe(0x802910ec);
    expect(cfgRead(pc, d, 0x08) >>> 8).toBe(0x020000);
    expect(cfgRead(pc, d, 0x10)).toBe(NIC_IO_BASE | 1);
    expect(cfgRead(pc, d, 0x3c) & 0xffff).toBe(0x0100 | NIC_IRQ);
    expect(cfgRead(pc, d, 0x04) & 1).toBe(1);
    // BAR sizing: all ones read back the size mask of 32 ports.
    cfgWrite(pc, d, 0x10, 0xffffffff);
    expect(cfgRead(pc, d, 0x10) & 0xffff).toBe(0xffe1);
    cfgWrite(pc, d, 0x10, NIC_IO_BASE);
    // The ELCR has the line level-triggered.
    expect((pc.machine.io.io.in8(0x4d1) >> (NIC_IRQ - 8)) & 1).toBe(1);
  });

  it("answers at BAR0 while I/O decoding is on, with the station address in its PROM", () => {
    const pc = new PcMachine({ memoryMiB: 2, net: { mac: MAC } });
    expect(readPromMac(pc, NIC_IO_BASE)).toEqual([...MAC]);
    cfgWrite(pc, NIC_PCI_DEVICE, 0x04, 0); // I/O off
    expect(pc.machine.io.io.in8(NIC_IO_BASE)).toBe(0xff);
    cfgWrite(pc, NIC_PCI_DEVICE, 0x04, 1);
    expect(pc.machine.io.io.in8(NIC_IO_BASE) & 0x3f).not.toBe(0xff & 0x3f);
  });

  it("raises IRQ 11 while an unmasked interrupt is pending and lowers it when acknowledged", () => {
    const pc = new PcMachine({ memoryMiB: 2, net: {} });
    const io = pc.machine.io.io;
    const b = NIC_IO_BASE;
    io.out8(b, 0x21);
    io.out8(b + 0x07, 0xff);
    io.out8(b + 0x0f, 0x01); // PRX only
    io.out8(b + 0x01, 0x46);
    io.out8(b + 0x02, 0x80);
    io.out8(b + 0x03, 0x46);
    io.out8(b + 0x0c, 0x04); // broadcast
    io.out8(b, 0x61);
    io.out8(b + 0x07, 0x47);
    io.out8(b, 0x22);
    expect(irr(pc) & (1 << NIC_IRQ)).toBe(0);
    const frame = new Uint8Array(60).fill(0xff, 0, 6);
    expect(pc.nic!.receive(frame)).toBe(true);
    expect(irr(pc) & (1 << NIC_IRQ)).not.toBe(0);
    io.out8(b + 0x07, 0x01);
    expect(irr(pc) & (1 << NIC_IRQ)).toBe(0);
  });

  it("is absent by default: no function at its slot, no ports, no records", () => {
    const pc = new PcMachine({ memoryMiB: 2 });
    expect(cfgRead(pc, NIC_PCI_DEVICE, 0x00)).toBe(0xffffffff);
    expect(pc.machine.io.io.ownerOf(NIC_IO_BASE)).toBeUndefined();
    expect(pc.nic).toBeNull();
    expect(pc.namedDevices().some(([id]) => id === "nic" || id === "nic-pci")).toBe(false);
  });

  it("saves and restores the card: its configuration, registers, buffer and station address", async () => {
    const pc = new PcMachine({ memoryMiB: 2, net: { mac: MAC } });
    const io = pc.machine.io.io;
    io.out8(NIC_IO_BASE + 0x01, 0x4c); // PSTART (page 0, stopped)
    cfgWrite(pc, NIC_PCI_DEVICE, 0x3c, 0x0109);
    const snap = await saveSnapshot(pc);
    const back = await restoreSnapshot(snap);
    expect(back.nic).not.toBeNull();
    expect([...back.parts.nic!.mac]).toEqual([...MAC]);
    expect(back.parts.nic!.pstart).toBe(0x4c);
    expect(cfgRead(back, NIC_PCI_DEVICE, 0x3c) & 0xff).toBe(0x09);
    expect(readPromMac(back, NIC_IO_BASE)).toEqual([...MAC]);
    // A machine without a card restores without one.
    const bare = await restoreSnapshot(await saveSnapshot(new PcMachine({ memoryMiB: 2 })));
    expect(bare.nic).toBeNull();
  });
});

describe("the NE2000 on ISA", () => {
  it("answers at 300h with its PROM and raises IRQ 10, edge-triggered, with no PCI function", () => {
    const pc = new PcMachine({ memoryMiB: 2, net: { card: "ne2k-isa", mac: MAC } });
    const io = pc.machine.io.io;
    expect(cfgRead(pc, NIC_PCI_DEVICE, 0x00)).toBe(0xffffffff);
    expect(io.ownerOf(NIC_IO_BASE)).toBeUndefined();
    expect(io.ownerOf(NIC_ISA_IO_BASE)).toBe("nic-isa");
    expect(readPromMac(pc, NIC_ISA_IO_BASE)).toEqual([...MAC]);
    expect(io.in8(0x4d0 + (NIC_ISA_IRQ >> 3)) & (1 << (NIC_ISA_IRQ & 7))).toBe(0); // not level in the ELCR
    const b = NIC_ISA_IO_BASE;
    io.out8(b, 0x21);
    io.out8(b + 0x0f, 0x01);
    io.out8(b + 0x01, 0x46);
    io.out8(b + 0x02, 0x80);
    io.out8(b + 0x03, 0x46);
    io.out8(b + 0x0c, 0x04);
    io.out8(b, 0x61);
    io.out8(b + 0x07, 0x47);
    io.out8(b, 0x22);
    expect(irr(pc) & (1 << NIC_ISA_IRQ)).toBe(0);
    expect(pc.nic!.receive(new Uint8Array(60).fill(0xff, 0, 6))).toBe(true);
    expect(irr(pc) & (1 << NIC_ISA_IRQ)).not.toBe(0);
  });

  it("restores as the ISA card, with the frames that waited in the link for a stopped card", async () => {
    const pc = new PcMachine({ memoryMiB: 2, net: { card: "ne2k-isa", mac: MAC } });
    const link = pc.nicLink!;
    link.toNic(Uint8Array.from({ length: 60 }, (_, i) => i));
    link.toNic(Uint8Array.from({ length: 70 }, (_, i) => 255 - i));
    expect(link.pump()).toBe(0); // the chip is stopped: nothing taken
    const back = await restoreSnapshot(await saveSnapshot(pc));
    expect(back.parts["nic-isa"]).not.toBeNull();
    expect(back.parts.nic).toBeNull();
    expect(back.parts["nic-pci"]).toBeNull();
    expect(readPromMac(back, NIC_ISA_IO_BASE)).toEqual([...MAC]);
    expect(back.nicLink!.queue.map((f) => [f.length, f[1]])).toEqual([
      [60, 1],
      [70, 254],
    ]);
  });
});
