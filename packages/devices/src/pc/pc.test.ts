// Board-level checks: the wiring of the PC (ports, IRQs, A20 and reset paths) and what a
// triple fault does.
import { describe, expect, it } from "vitest";
import { MemoryDisk } from "@x86vm/core";
import { PcMachine } from "./pc.ts";

/** A 1.44 MB floppy whose boot sector is `code` (with the 55AA signature). */
function floppy(code: number[]): MemoryDisk {
  const img = new Uint8Array(1474560);
  img.set(code, 0);
  img[510] = 0x55;
  img[511] = 0xaa;
  return new MemoryDisk(img, true);
}

describe("the PC board", () => {
  it("resets on a triple fault and reports it", () => {
    // cli; lidt [7C10h] (limit 0); int 20h -> #GP -> #DF -> triple fault
    const boot = [0xfa, 0x0f, 0x01, 0x1e, 0x10, 0x7c, 0xcd, 0x20, 0xf4];
    const code = [...boot, ...Array(16 - boot.length).fill(0x90), 0, 0, 0, 0, 0, 0];
    const pc = new PcMachine({ fda: floppy(code) });
    let resets = 0;
    for (let i = 0; i < 100 && resets < 2; i++) {
      const r = pc.run(1e6);
      if (r.kind === "reset") {
        resets++;
        expect(r.reason).toMatch(/triple fault/);
      }
    }
    expect(resets).toBe(2);
    expect(pc.tripleFaults).toBe(2);
    expect(pc.lastShutdown).toMatch(/triple fault/);
    // With tripleFault: "stop" the machine stays stopped instead.
    const stopped = new PcMachine({ fda: floppy(code), tripleFault: "stop" });
    let r = stopped.run(1e6);
    for (let i = 0; i < 50 && r.kind !== "shutdown"; i++) r = stopped.run(1e6);
    expect(r.kind).toBe("shutdown");
    expect(stopped.run(1e6).kind).toBe("shutdown");
  });

  it("gates A20 and resets the CPU through port 92h and the keyboard controller", () => {
    const pc = new PcMachine({ fda: floppy([0xf4]) });
    pc.run(5e6);
    const io = pc.machine.io.io,
      mem = pc.machine.mem;
    io.out8(0x92, 0x00);
    expect(mem.a20Enabled).toBe(false);
    expect(io.in8(0x92) & 2).toBe(0);
    io.out8(0x92, 0x02);
    expect(mem.a20Enabled).toBe(true);
    io.out8(0x64, 0xdd); // 8042: A20 off
    expect(mem.a20Enabled).toBe(false);
    io.out8(0x64, 0xdf);
    expect(mem.a20Enabled).toBe(true);
    // A reset pulse from the 8042 restarts the CPU at the reset vector.
    io.out8(0x64, 0xfe);
    expect(pc.machine.cpu.sreg[1]).toBe(0xf000);
    expect(pc.machine.cpu.getEip()).toBe(0xfff0);
  });

  it("wires COM1 to IRQ4, the PCI bus and the IDE channels", () => {
    const pc = new PcMachine({ fda: floppy([0xf4]), hda: new MemoryDisk(new Uint8Array(8 << 20)) });
    const io = pc.machine.io.io;
    const sent: number[] = [];
    pc.uarts[0].onTransmit = (b) => sent.push(b);
    io.out8(0x3f8, 0x41);
    expect(sent).toEqual([0x41]);
    // PCI: 00.0 is the i440FX, 01.1 the PIIX3 IDE function.
    io.out32(0xcf8, 0x80000000);
    expect(io.in32(0xcfc) >>> 0).toBe(0x12378086);
    io.out32(0xcf8, 0x80000900);
    expect(io.in32(0xcfc) >>> 0).toBe(0x70108086);
    // The hard disk answers IDENTIFY on the primary channel.
    io.out8(0x1f6, 0xa0);
    io.out8(0x1f7, 0xec);
    expect(io.in8(0x1f7) & 0x08).toBe(0x08); // DRQ
    const words = Array.from({ length: 256 }, () => io.in16(0x1f0));
    expect(words[60] | (words[61] << 16)).toBe((8 << 20) / 512); // LBA28 sector count
    // The BIOS lists COM1-COM4 in its data area and equipment word after POST.
    pc.run(5e6);
    expect(pc.machine.mem.read16(0x400)).toBe(0x3f8);
    expect((pc.machine.mem.read16(0x410) >> 9) & 7).toBe(4);
  });
});
