// The board table (board.ts): a PcMachine is what PC_PARTS says: every part once, its ports on
// the I/O bus, its window in memory, its record in snapshots under the id old snapshots use, the
// lines it declares (shared ones ORed), the media slots held by parts that exist; and FERR#
// reaches IRQ13 through a line like every other interrupt source.
import { describe, expect, it } from "vitest";
import { MemoryDisk } from "@x86vm/core";
import { PcMachine } from "./pc.ts";
import { PC_DMA_PAGE_BASE } from "../dma8237.ts";
import { PC_FDC_BASE } from "../fdc82077.ts";
import { NIC_MODELS, PC_MEDIA_SLOTS, PC_PARTS, wireBoard, type NicModel } from "./board.ts";

/** The record ids of snapshots saved before the board was a table: they must still load. */
const RECORD_IDS = [
  "pic",
  "lapic",
  "ioapic",
  "pit",
  "port61",
  "port92",
  "post",
  "rtc",
  "keyboard",
  "mouse",
  "kbc",
  "dma",
  "fdc",
  "vga",
  "com1",
  "com2",
  "com3",
  "com4",
  "pci",
  "pci-host",
  "pci-isa",
  "pci-ide",
  "ide0",
  "ide1",
  "ide-bus-master",
  "hd0",
  "hd1",
  "cdrom",
  "acpi-pm", // since the ACPI PM registers: snapshots from before load without it
];

const hardDisk = () => new MemoryDisk(new Uint8Array(1024 * 1024), true);

/** The 8259 pair's interrupt request register, both chips (OCW3 read IRR). */
function irr(pc: PcMachine): number {
  const io = pc.machine.io.io;
  io.out8(0x20, 0x0a);
  io.out8(0xa0, 0x0a);
  return io.in8(0x20) | (io.in8(0xa0) << 8);
}

describe("the PC board table", () => {
  it("builds every part once, and saves the stateful ones under the record ids snapshots have always used", () => {
    const ids = PC_PARTS.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const pc = new PcMachine({ memoryMiB: 2, hda: hardDisk(), hdb: hardDisk() });
    expect(Object.keys(pc.parts).sort()).toEqual([...ids].sort());
    // The built-in BIOS's record follows the parts'.
    expect(pc.namedDevices().map(([id]) => id)).toEqual([...RECORD_IDS, "bios"]);
    for (const [id, dev] of pc.namedDevices())
      expect(dev, id).toBe(id === "bios" ? pc.bios : pc.parts[id as keyof typeof pc.parts]);
    // Without hard disk images there are no ATA devices, and no records for them.
    const bare = new PcMachine({ memoryMiB: 2 });
    expect(bare.parts.hd0).toBeNull();
    expect(bare.namedDevices().map(([id]) => id)).toEqual([...RECORD_IDS.filter((id) => !/^hd/.test(id)), "bios"]);
    // Without APICs (apic: false, and snapshots saved before them) there are no records for them.
    const noApic = new PcMachine({ memoryMiB: 2, apic: false });
    expect(noApic.parts.lapic).toBeNull();
    expect(noApic.parts.ioapic).toBeNull();
    expect(noApic.namedDevices().map(([id]) => id)).toEqual([
      ...RECORD_IDS.filter((id) => !/^hd|apic$/.test(id)),
      "bios",
    ]);
    // A network card adds its records after the others.
    const net = new PcMachine({ memoryMiB: 2, net: {} });
    expect(net.namedDevices().map(([id]) => id)).toEqual([
      ...RECORD_IDS.filter((id) => !/^hd/.test(id)),
      "nic-pci",
      "nic",
      "nic-link",
      "bios",
    ]);
    // Each card has records of its own, so a snapshot says which card the machine had.
    const card = (c: NicModel) =>
      new PcMachine({ memoryMiB: 2, net: { card: c } })
        .namedDevices()
        .map(([id]) => id)
        .slice(-3);
    expect(card("ne2k-isa")).toEqual(["nic-isa", "nic-link", "bios"]);
    expect(card("virtio")).toEqual(["virtio-net", "nic-link", "bios"]);
    expect(() => new PcMachine({ memoryMiB: 2, net: { card: "e1000" as NicModel } })).toThrow(/no network card/);
  });

  it("puts each part's ports on the I/O bus and the VGA window in memory", () => {
    // With the parts options add: each network card in turn.
    const pcs = NIC_MODELS.map((card) => new PcMachine({ memoryMiB: 2, net: { card } }));
    // A base is a part's first register, but for the FDC (registers from base + 2) and the DMA
    // page registers (81h-8Fh; 80h is the POST port).
    const first: Record<string, number> = { [PC_FDC_BASE]: 2, [PC_DMA_PAGE_BASE]: 1 };
    for (const p of PC_PARTS) {
      const on = pcs.filter((m) => m.parts[p.id] !== null);
      if (p.ports) expect(on.length, p.id).toBeGreaterThan(0);
      for (const m of on)
        for (const base of p.ports ?? []) {
          const port = base + (first[base] ?? 0);
          expect(m.machine.io.io.ownerOf(port), `${p.id} at ${port.toString(16)}h`).toBeDefined();
        }
    }
    const pc = pcs[0];
    expect(pc.machine.io.io.ownerOf(0xf0)).toBe("fpu-error");
    // The VGA window is not RAM: its pages are the VGA's.
    for (const a of [0xa0000, 0xb8000, 0xbf000]) expect(pc.machine.mem.isRam(a >>> 12), a.toString(16)).toBe(false);
    expect(pc.machine.mem.isRam(0x9f000 >>> 12)).toBe(true);
  });

  it("refuses a table that uses a part before building it, or names two parts alike", () => {
    const pc = new PcMachine({ memoryMiB: 2 });
    const env = {
      startTimeMs: 0,
      disk: () => null,
      resetCpu: () => {},
      powerOff: () => {},
      apic: false,
      vgaBios: null,
    };
    const port61 = PC_PARTS.find((p) => p.id === "port61")!;
    const pic = PC_PARTS.find((p) => p.id === "pic")!;
    expect(() => wireBoard([pic, port61], pc.machine, env)).toThrow(/part 'pit' is used before it is built/);
    expect(() => wireBoard([pic, pic], pc.machine, env)).toThrow(/two parts are called 'pic'/);
  });

  it("raises IRQ13 on FERR# through its line, and lowers it when F0h is written", () => {
    const pc = new PcMachine({ memoryMiB: 2 });
    expect(irr(pc) & (1 << 13)).toBe(0);
    pc.machine.cpu.fpu.ferrLine(true);
    expect(irr(pc) & (1 << 13)).not.toBe(0);
    pc.machine.cpu.fpu.ferrLine(false); // FERR# going away does not clear the latch
    expect(irr(pc) & (1 << 13)).not.toBe(0);
    pc.machine.io.io.out8(0xf0, 0);
    expect(irr(pc) & (1 << 13)).toBe(0);
  });

  it("shares a line two parts declare: IRQ4 is up while COM1 or COM3 holds it", () => {
    const pc = new PcMachine({ memoryMiB: 2 });
    const io = pc.machine.io.io;
    // Each UART: OUT2 on (the PC gates the IRQ with it), transmitter-empty interrupt enabled.
    const arm = (base: number, on: boolean) => {
      io.out8(base + 4, on ? 0x08 : 0);
      io.out8(base + 1, on ? 0x02 : 0);
    };
    arm(0x3f8, true);
    arm(0x3e8, true);
    expect(irr(pc) & (1 << 4)).not.toBe(0);
    arm(0x3f8, false);
    expect(irr(pc) & (1 << 4), "COM3 still holds it").not.toBe(0);
    arm(0x3e8, false);
    expect(irr(pc) & (1 << 4)).toBe(0);
  });

  it("holds each media slot in a part of the board (boot files in the BIOS)", () => {
    const ids = new Set<string>(PC_PARTS.map((p) => p.id));
    for (const s of PC_MEDIA_SLOTS) expect(ids.has(s.part) || s.part === "bios", s.slot).toBe(true);
  });

  it("takes an image in and out of each removable slot while it runs; the other slots are built in", () => {
    const pc = new PcMachine({ memoryMiB: 2, hda: hardDisk(), hdb: hardDisk() });
    for (const s of PC_MEDIA_SLOTS) {
      const image = new MemoryDisk(new Uint8Array(s.kind === "cdrom" ? 64 * 2048 : 1474560), true);
      if (!s.removable) {
        expect(() => pc.insertMedia(s.slot, image), s.slot).toThrow(/takes its image when the machine is built/);
        continue;
      }
      pc.insertMedia(s.slot, image);
      expect(pc.mediaIn(s.slot)?.base, s.slot).toBe(image);
      expect(pc.disk(s.slot) !== null, s.slot).toBe(s.writable);
      pc.ejectMedia(s.slot);
      expect(pc.mediaIn(s.slot), s.slot).toBeNull();
    }
    // A writable slot's disk is its part's drive of that unit.
    expect(pc.disk("hdb")).toBe(pc.hardDisks[1]);
    expect(pc.disk("hda")).toBe(pc.hardDisks[0]);
  });
});
