// When nothing can boot: the BIOS says so on the screen, one line per drive it tried and then
// "No bootable device. System halted.", halts, and PcMachine.run reports { kind: "no-boot" }
// with what each drive lacked, at once and on every later run, until a reset.
import { describe, expect, it } from "vitest";
import { MemoryDisk } from "@x86vm/core";
import { PcMachine, type PcOptions } from "./pc.ts";

const FLOPPY_144 = 1474560;

/** Bytes from a small fixed-seed generator (xorshift32), without a boot signature. */
function randomBytes(size: number, seed = 0x2545f491): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  if (out[510] === 0x55 && out[511] === 0xaa) out[511] = 0;
  return out;
}

/** A disk whose first sector is `code`, with the 55AAh signature. */
function bootable(size: number, code: number[]): MemoryDisk {
  const img = new Uint8Array(size);
  img.set(code);
  img.set([0x55, 0xaa], 510);
  return new MemoryDisk(img, true);
}

/** Runs up to 2 s of machine time in 20 ms slices; returns the first result that is not "ran". */
function runToEvent(pc: PcMachine) {
  for (let i = 0; i < 100; i++) {
    const r = pc.run(20e6);
    if (r.kind !== "ran") return r;
  }
  return { kind: "ran" as const };
}

const board = (opts: PcOptions) => new PcMachine({ memoryMiB: 4, clock: "deterministic", ...opts });
const screen = (pc: PcMachine) => pc.textRows()!.join("\n");

describe("no bootable disk", () => {
  it("a floppy of random bytes: a line on the screen, a halt, and a no-boot result at once", () => {
    const pc = board({ fda: new MemoryDisk(randomBytes(FLOPPY_144), true) });
    expect(runToEvent(pc)).toEqual({ kind: "no-boot", reason: "fda: no boot signature" });
    expect(pc.machine.clock.now()).toBeLessThan(100e6); // within the first slices, not a timeout
    expect(pc.textRows()!.filter((row) => row !== "")).toEqual([
      "Boot from floppy failed: not a bootable disk (no boot signature)",
      "No bootable device. System halted.",
    ]);
    const cpu = pc.machine.cpu;
    expect(cpu.halted).toBe(true);
    expect(cpu.getFlags() & 0x200).toBe(0);
    // It stays that way: every run says so again, without running the clock on.
    const t = pc.machine.clock.now();
    expect(pc.run(1e9)).toEqual({ kind: "no-boot", reason: "fda: no boot signature" });
    expect(pc.machine.clock.now()).toBe(t);
  });

  it("the realtime clock reports it too", () => {
    let ms = 0;
    const pc = board({ clock: "realtime", hostMs: () => (ms += 0.5), fda: new MemoryDisk(randomBytes(FLOPPY_144)) });
    expect(runToEvent(pc)).toEqual({ kind: "no-boot", reason: "fda: no boot signature" });
  });

  it("names every drive it tried, in boot order", () => {
    const pc = board({
      fda: new MemoryDisk(randomBytes(737280)),
      hda: new MemoryDisk(randomBytes(1 << 20, 7)),
      cdrom: new MemoryDisk(new Uint8Array(2048 * 32)),
    });
    const r = runToEvent(pc);
    expect(r).toEqual({
      kind: "no-boot",
      reason: "fda: no boot signature; cdrom: no El Torito boot record (not a bootable CD); hda: no boot signature",
    });
    expect(screen(pc)).toContain("Boot from CD-ROM failed: no El Torito boot record (not a bootable CD)");
    expect(screen(pc)).toContain("Boot from hard disk failed: not a bootable disk (no boot signature)");
  });

  it("a boot sector that gives up through INT 18h, and no media at all", () => {
    const gaveUp = board({ hda: bootable(1 << 20, [0xcd, 0x18]) }); // int 18h
    expect(runToEvent(gaveUp)).toEqual({
      kind: "no-boot",
      reason: "hda: its boot program found nothing to start (INT 18h)",
    });
    const afterFloppy = board({ fda: new MemoryDisk(randomBytes(FLOPPY_144)), hda: bootable(1 << 20, [0xcd, 0x18]) });
    expect(runToEvent(afterFloppy)).toEqual({
      kind: "no-boot",
      reason: "fda: no boot signature; hda: its boot program found nothing to start (INT 18h)",
    });
    expect(runToEvent(board({ bootOrder: [] }))).toEqual({ kind: "no-boot", reason: "no disk in any boot drive" });
  });

  it("a halt elsewhere is not a boot failure, and a reset with a good floppy boots", () => {
    // A signed floppy that halts with interrupts off (cli; hlt): halted, but not the BIOS's stop.
    const pc = board({ fda: bootable(FLOPPY_144, [0xfa, 0xf4]) });
    for (let i = 0; i < 20; i++) expect(pc.run(20e6).kind).not.toBe("no-boot");
    const failed = board({ fda: new MemoryDisk(randomBytes(FLOPPY_144)) });
    expect(runToEvent(failed).kind).toBe("no-boot");
    // mov ax,0E42h ('B'); int 10h; cli; hlt
    failed.insertFloppy(0, bootable(FLOPPY_144, [0xb8, 0x42, 0x0e, 0xcd, 0x10, 0xfa, 0xf4]));
    failed.reset();
    for (let i = 0; i < 20; i++) expect(failed.run(20e6).kind).not.toBe("no-boot");
    expect(failed.noBootReason()).toBeNull();
    expect(screen(failed)).toContain("B");
  });
});
