// PC snapshots: every chip and the CPU round-trip (the restored machine saves the same state,
// byte for byte), snapshots taken in the middle of the FreeDOS boot (floppy transfers, timers,
// keyboard setup in flight) continue exactly as the original machine does, and a snapshot
// that does not fit (image missing or different, unknown device, bad device state) is refused
// with a SnapshotError.
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CpuStateAdapter,
  MemoryDisk,
  cpuStatefuls,
  SnapshotError,
  readSnapshotManifest,
  type DiskImage,
  VmMemory,
} from "@x86vm/core";
import { PcMachine } from "./pc.ts";
import { restoreSnapshot, saveSnapshot } from "./snapshot.ts";
import { rebuildSnapshot } from "./snapshot-testing.ts";
import { IDE_BUS_MASTER_BASE, PC_MEDIA_SLOTS, type MediaKind, type PcImageSlot } from "./board.ts";

const FREEDOS = path.resolve(__dirname, "../../../../../shared/guests/freedos722.img");

function freedosDisk(): MemoryDisk {
  const b = fs.readFileSync(FREEDOS);
  return new MemoryDisk(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), true);
}

/** The smallest bzImage header the Linux loader accepts (nothing runs it). */
function tinyKernel(): Uint8Array {
  const kernel = new Uint8Array(0x3000);
  kernel[0x1f1] = 4;
  kernel[0x1fe] = 0x55;
  kernel[0x1ff] = 0xaa;
  kernel.set([0x48, 0x64, 0x72, 0x53], 0x202); // "HdrS"
  kernel[0x206] = 0x0c;
  kernel[0x207] = 0x02; // protocol 2.12
  kernel[0x211] = 1; // loaded high
  return kernel;
}

/** An image for a slot of each kind, filled with a pattern of `seed`. */
function imageOf(kind: MediaKind, seed: number): Uint8Array {
  const size = { floppy: 1474560, hdd: 2 * 1024 * 1024, cdrom: 64 * 2048, "boot-file": 5000, firmware: 0x10000 }[kind];
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i += 509) b[i] = (i * seed) & 0xff;
  if (kind === "firmware") b.set([0x55, 0xaa, 0x80]); // an option ROM's signature (a system BIOS does not care)
  return b;
}

const screen = (pc: PcMachine) => (pc.textRows() ?? []).join("\n");

function runToPrompt(pc: PcMachine): void {
  for (let i = 0; i < 3000 && !screen(pc).includes("A:\\>"); i++) pc.run(10e6);
  expect(screen(pc)).toContain("A:\\>");
}

/** Everything a snapshot holds, for comparison. */
function stateOf(pc: PcMachine) {
  return {
    devices: pc.statefulDevices().map((d) => ({ name: d.stateName, state: d.saveState() })),
    cpu: new CpuStateAdapter(pc.machine.cpu).saveState(),
    now: pc.machine.clock.now(),
    a20: pc.machine.mem.a20Enabled,
    overlays: [...pc.floppies, ...pc.hardDisks].map((d) =>
      d ? [...d.overlay.entries()].sort((x, y) => x[0] - y[0]) : null,
    ),
  };
}

/** Two machines hold the same state: their snapshots are identical (details on failure). */
async function expectSameMachine(a: PcMachine, b: PcMachine): Promise<void> {
  const [x, y] = [await saveSnapshot(a), await saveSnapshot(b)];
  if (Buffer.compare(x, y) === 0) return;
  const sa = stateOf(a),
    sb = stateOf(b);
  expect(sa.cpu).toEqual(sb.cpu);
  for (let i = 0; i < sa.devices.length; i++) expect(sa.devices[i], sa.devices[i].name).toEqual(sb.devices[i]);
  expect(sa.now).toBe(sb.now);
  expect(Buffer.compare(a.machine.mem.ram, b.machine.mem.ram), "RAM").toBe(0);
  expect(sa.overlays).toEqual(sb.overlays);
  expect.unreachable("snapshots differ");
}

describe("PC snapshots", () => {
  let disk: MemoryDisk;
  let atPrompt: PcMachine;
  let snap: Uint8Array;
  const images = (img: DiskImage) => () => img;

  beforeAll(async () => {
    disk = freedosDisk();
    atPrompt = new PcMachine({ memoryMiB: 32, clock: "deterministic", fda: disk });
    runToPrompt(atPrompt);
    snap = await saveSnapshot(atPrompt, { hints: { fda: "freedos722.img" } });
  });

  it("round-trip every chip, the CPU, RAM, the overlay and the clock (FreeDOS at A:\\>)", async () => {
    const pc = await restoreSnapshot(snap, { images: images(disk) });
    const a = stateOf(atPrompt),
      b = stateOf(pc);
    for (let i = 0; i < a.devices.length; i++) expect(b.devices[i], a.devices[i].name).toEqual(a.devices[i]);
    expect(b.cpu).toEqual(a.cpu);
    expect(b.now).toBe(a.now);
    expect(b.a20).toBe(a.a20);
    expect(b.overlays).toEqual(a.overlays);
    expect(Buffer.compare(pc.machine.mem.ram, atPrompt.machine.mem.ram)).toBe(0);
    expect(screen(pc)).toBe(screen(atPrompt));
    // The restored machine saves the same snapshot, byte for byte.
    expect(Buffer.compare(await saveSnapshot(pc, { hints: { fda: "freedos722.img" } }), snap)).toBe(0);
    const m = await readSnapshotManifest(snap);
    // Every chip is in the snapshot once, the CPU last; several instances of a schema have their own ids.
    const ids = atPrompt.namedDevices().map(([id]) => id);
    const cpuIds = cpuStatefuls(atPrompt.machine.cpu).map((x) => x.stateName); // the CPU, and its FPU when it has one
    expect(cpuIds[0]).toBe("cpu-i686");
    expect(m.devices.map((d) => d.id).sort()).toEqual([...ids, ...cpuIds].sort());
    expect(m.devices.slice(-cpuIds.length - 1).map((d) => d.id)).toEqual(["pic", ...cpuIds]);
    expect(m.images).toEqual([
      expect.objectContaining({ slot: "fda", size: 737280, hint: "freedos722.img", embedded: null }),
    ]);
  });

  it("continues exactly like the original from snapshots taken during the boot", async () => {
    // The reference runs from power-on to a fixed machine time after the prompt.
    const reference = new PcMachine({ memoryMiB: 32, clock: "deterministic", fda: disk });
    runToPrompt(reference);
    const promptNs = reference.machine.clock.now();
    const end = promptNs + 20e6;
    reference.machine.run(end);
    // Snapshot points spread over the boot (BIOS, boot sector, kernel and shell loading from
    // the floppy) and one at the prompt.
    const pc = new PcMachine({ memoryMiB: 32, clock: "deterministic", fda: disk });
    for (const t of [0.5e6, 5e6, 0.3 * promptNs, 0.6 * promptNs, 0.9 * promptNs, promptNs + 1e6]) {
      pc.machine.run(t);
      const resumed = await restoreSnapshot(await saveSnapshot(pc), { images: images(disk) });
      await expectSameMachine(resumed, pc);
      resumed.machine.run(end);
      expect(resumed.machine.cpu.instret, `snapshot at ${t / 1e6} ms`).toBe(reference.machine.cpu.instret);
      await expectSameMachine(resumed, reference);
      expect(screen(resumed)).toContain("A:\\>");
    }
  });

  it("round-trips a machine that never ran, and one with a written floppy and A20 off", async () => {
    const fresh = new PcMachine({ memoryMiB: 2, clock: "deterministic", fda: disk, bootOrder: ["hdd", "floppy"] });
    const pc = await restoreSnapshot(await saveSnapshot(fresh), { images: images(disk) });
    await expectSameMachine(pc, fresh);
    expect(pc.bios.platform.bootOrder).toEqual(["hdd", "floppy"]);
    fresh.floppies[0]!.write(512 * 100, new Uint8Array(512).fill(0xee));
    fresh.machine.mem.setA20(false);
    const again = await restoreSnapshot(await saveSnapshot(fresh), { images: images(disk) });
    await expectSameMachine(again, fresh);
    expect(again.machine.mem.a20Enabled).toBe(false);
  });

  it("carries the BIOS's floppy media-change latches, and loads a snapshot saved without them with none pending", async () => {
    const pc = new PcMachine({ memoryMiB: 2, clock: "deterministic", fda: disk });
    pc.ejectFloppy(1); // INT 13h AH=16h would now report drive 1 changed
    expect(pc.bios.disk.floppyChanged).toBe(0b10);
    const saved = await saveSnapshot(pc);
    expect((await readSnapshotManifest(saved)).devices.map((d) => d.id)).toContain("bios");
    const restored = await restoreSnapshot(saved, { images: images(disk) });
    expect(restored.bios.disk.floppyChanged).toBe(0b10);
    await expectSameMachine(restored, pc);
    // Snapshots written before the BIOS had a record hold none.
    const older = await rebuildSnapshot(saved, (s) => {
      const i = s.manifest.devices.findIndex((x) => x.id === "bios");
      s.manifest.devices.splice(i, 1);
      s.records.splice(i, 1);
    });
    expect((await restoreSnapshot(older, { images: images(disk) })).bios.disk.floppyChanged).toBe(0);
    const bad = await rebuildSnapshot(saved, (s) => {
      s.record("bios").floppyChanged = 4;
    });
    await expect(restoreSnapshot(bad, { images: images(disk) })).rejects.toThrow(
      /device state refused \(bios\): bios: field 'floppyChanged'/,
    );
  });

  it("carries the ACPI PM registers, and loads a snapshot saved before them with their power-on values", async () => {
    const pc = new PcMachine({ memoryMiB: 4, clock: "deterministic", fda: disk });
    pc.parts["acpi-pm"].write(2, 2, 0x0001); // TMR_EN
    const saved = await saveSnapshot(pc);
    expect((await restoreSnapshot(saved, { images: images(disk) })).parts["acpi-pm"].enable).toBe(1);
    const older = await rebuildSnapshot(saved, (s) => {
      const i = s.manifest.devices.findIndex((x) => x.id === "acpi-pm");
      s.manifest.devices.splice(i, 1);
      s.records.splice(i, 1);
    });
    expect((await restoreSnapshot(older, { images: images(disk) })).parts["acpi-pm"].enable).toBe(0);
  });

  it("rebuilds a machine with APICs as one, with their state", async () => {
    const pc = new PcMachine({ memoryMiB: 4, clock: "deterministic", fda: disk, apic: true });
    pc.parts.lapic!.memory.write32(0x380, 777); // timer initial count
    const saved = await saveSnapshot(pc);
    expect((await readSnapshotManifest(saved)).machine.options.apic).toBe(true);
    const back = await restoreSnapshot(saved, { images: images(disk) });
    expect(back.parts.lapic!.initialCount).toBe(777);
    expect(back.parts.ioapic).not.toBeNull();
    await expectSameMachine(back, pc);
    // A machine without them says nothing (as snapshots from before the option), and restores as one.
    const plain = await saveSnapshot(new PcMachine({ memoryMiB: 4, clock: "deterministic", fda: disk, apic: false }));
    expect((await readSnapshotManifest(plain)).machine.options.apic).toBeUndefined();
    const plainBack = await restoreSnapshot(plain, { images: images(disk) });
    expect(plainBack.parts.lapic).toBeNull();
    expect(plainBack.parts.ioapic).toBeNull();
    // APICs are the default.
    expect(new PcMachine({ memoryMiB: 4 }).parts.lapic).not.toBeNull();
  });

  it("restores the IDE bus master's interrupt bit as saved while a drive still holds INTRQ", async () => {
    const hd = new MemoryDisk(new Uint8Array(1 << 20), true);
    const pc = new PcMachine({ memoryMiB: 2, hda: hd });
    const io = pc.machine.io.io;
    io.out8(0x1f6, 0xa0);
    io.out8(0x1f7, 0xec); // IDENTIFY DEVICE: data ready, INTRQ up, the bus master latches it
    expect(io.in8(IDE_BUS_MASTER_BASE + 2) & 4).toBe(4);
    io.out8(IDE_BUS_MASTER_BASE + 2, 4); // the driver clears the latch before reading the drive's status
    const back = await restoreSnapshot(await saveSnapshot(pc), { images: () => hd });
    expect(back.ide[0].interruptLevel).toBe(true);
    expect(back.machine.io.io.in8(IDE_BUS_MASTER_BASE + 2) & 4).toBe(0);
    await expectSameMachine(back, pc);
  });

  it("finds images by hash, embeds them when asked, and overrides the clock mode", async () => {
    const seen: [string, number, string | null, string][] = [];
    await restoreSnapshot(snap, {
      images: (sha, size, hint, slot) => {
        seen.push([sha, size, hint, slot]);
        return disk;
      },
    });
    expect(seen).toEqual([[expect.stringMatching(/^[0-9a-f]{64}$/), 737280, "freedos722.img", "fda"]]);
    const embedded = await saveSnapshot(atPrompt, { embedImages: true });
    const pc = await restoreSnapshot(embedded, { clock: "realtime", hostMs: () => 5 });
    expect(pc.machine.clock.mode).toBe("realtime");
    expect(screen(pc)).toBe(screen(atPrompt));
    expect(embedded.length).toBeGreaterThan(snap.length);
  });

  it("refuses missing, different and wrongly sized images", async () => {
    const cases: [DiskImage | null, RegExp][] = [
      [null, /image for fda is not available \(SHA-256 [0-9a-f]{64}, 737280 bytes, was freedos722\.img\)/],
      [new MemoryDisk(new Uint8Array(737280), true), /image for fda has SHA-256 [0-9a-f]{64}, the snapshot needs/],
      [new MemoryDisk(new Uint8Array(1474560), true), /image for fda has 1474560 bytes, the snapshot needs 737280/],
    ];
    for (const [img, msg] of cases) await expect(restoreSnapshot(snap, { images: () => img })).rejects.toThrow(msg);
    await expect(
      restoreSnapshot(snap, {
        images: () => {
          throw new Error("network down");
        },
      }),
    ).rejects.toThrow(/looking up the image for fda failed: network down/);
    await expect(restoreSnapshot(snap)).rejects.toBeInstanceOf(SnapshotError);
  });

  it("refuses unknown devices, device states failing validation and RAM larger than the manifest says", async () => {
    const rebuild = (edit: Parameters<typeof rebuildSnapshot>[1]) => rebuildSnapshot(snap, edit);
    const cases: [Uint8Array, RegExp][] = [
      [
        await rebuild((s) => {
          s.manifest.devices[1].id = "sb16";
        }),
        /snapshot has state for 'sb16', which this machine does not have/,
      ],
      [
        await rebuild((s) => {
          s.manifest.devices.find((x) => x.id === "port61")!.name = "sb16";
        }),
        /snapshot has 'sb16' state for 'port61', which is a 'port61'/,
      ],
      [
        await rebuild((s) => {
          const i = s.manifest.devices.findIndex((x) => x.id === "cpu-i686");
          s.manifest.devices.splice(i, 1);
          s.records.splice(i, 1);
        }),
        /snapshot has no state for 'cpu-i686'/,
      ],
      [
        await rebuild((s) => {
          s.record("pit").counters = [];
        }),
        /device state refused \(pit\): i8254: field 'counters' must be an array of 3 records/,
      ],
      [
        await rebuild((s) => {
          s.record("vga").vram = new Uint8Array(5);
        }),
        /device state refused \(vga\): vga: field 'vram' has 5 bytes/,
      ],
      [
        await rebuild((s) => {
          s.record("cpu-i686").cpl = 9;
        }),
        /device state refused \(cpu-i686\): cpu-i686: field 'cpl' is 9/,
      ],
      [
        await rebuild((s) => {
          s.ramPages = new Uint8Array(s.ramPages.length + 4096);
        }),
        /RAM pages\) declares \d+ bytes|RAM pages: expands to more than/,
      ],
      [
        await rebuild((s) => {
          s.manifest.machine.memoryBytes = 64 << 20;
        }),
        /RAM page map has|ram.pages/,
      ],
      [
        await rebuild((s) => {
          s.manifest.board = "amiga";
        }),
        /snapshot is of a 'amiga' machine, not a PC/,
      ],
      [
        await rebuild((s) => {
          s.manifest.images[0].slot = "zip";
        }),
        /image slot 'zip' a PC does not have/,
      ],
      [
        await rebuild((s) => {
          s.manifest.machine.options.bootOrder = ["net"];
        }),
        /bootOrder/,
      ],
    ];
    for (const [bytes, msg] of cases)
      await expect(restoreSnapshot(bytes, { images: images(disk) })).rejects.toThrow(msg);
    // The unmodified rebuild restores: the edits above are what is refused.
    const same = await rebuild(() => {});
    await expectSameMachine(await restoreSnapshot(same, { images: images(disk) }), atPrompt);
  });

  it("builds machines whose RAM is zero outside ROM pages (what a restore into fresh RAM relies on)", () => {
    const pc = new PcMachine({ memoryMiB: 4, clock: "deterministic", fda: disk });
    const { ram, pageMap } = pc.machine.mem;
    for (let p = 0; p < ram.length / 4096; p++) {
      if (pageMap[p] !== 1) continue; // PAGE_RAM
      const page = ram.subarray(p * 4096, (p + 1) * 4096);
      expect(
        page.some((b) => b !== 0),
        `page ${p}`,
      ).toBe(false);
    }
  });

  it("keeps a Linux kernel, initrd and command line by hash, for the machine's next reboot", async () => {
    const kernel = tinyKernel();
    const initrd = new Uint8Array(5000).fill(3);
    const pc = new PcMachine({
      memoryMiB: 8,
      clock: "deterministic",
      linux: { kernel, initrd, cmdline: "console=ttyS0" },
    });
    const snap = await saveSnapshot(pc, { hints: { kernel: "bzImage", initrd: "initrd.img" } });
    const m = await readSnapshotManifest(snap);
    expect(m.images.map((i) => [i.slot, i.size, i.hint, i.overlay])).toEqual([
      ["kernel", 0x3000, "bzImage", null],
      ["initrd", 5000, "initrd.img", null],
    ]);
    const files: Record<string, Uint8Array> = { kernel, initrd };
    const back = await restoreSnapshot(snap, {
      images: (_sha, _size, _hint, slot) => new MemoryDisk(files[slot], true),
    });
    expect(back.bios.platform.linux).toEqual({ kernel, initrd, cmdline: "console=ttyS0" });
    await expect(
      restoreSnapshot(snap, {
        images: (_s, _z, _h, slot) => (slot === "kernel" ? new MemoryDisk(kernel, true) : null),
      }),
    ).rejects.toThrow(/image for initrd is not available/);
  });

  it("refuses a realtime restore without a host clock and a VM memory of the wrong size", async () => {
    await expect(restoreSnapshot(snap, { images: images(disk), clock: "realtime" })).rejects.toThrow(
      /needs the hostMs option/,
    );
    await expect(restoreSnapshot(snap, { images: images(disk), ram: VmMemory.create(1 << 20) })).rejects.toThrow(
      /VM memory given has 1048576 bytes of RAM/,
    );
    const pc = await restoreSnapshot(snap, { images: images(disk), ram: VmMemory.create(32 << 20) });
    expect(screen(pc)).toBe(screen(atPrompt));
  });

  it("round-trips a PC with a CD in its drive, by hash or embedded, and one whose CD was taken out", async () => {
    const cd = new MemoryDisk(imageOf("cdrom", 7), true);
    const pc = new PcMachine({
      memoryMiB: 32,
      clock: "deterministic",
      fda: disk,
      cdrom: cd,
      bootOrder: ["cdrom", "floppy", "hdd"],
    });
    pc.machine.run(200e6); // through the BIOS's boot (it looks at the CD first) into FreeDOS's
    const files: Record<string, DiskImage> = { fda: disk, cdrom: cd };
    const bySlot = (_sha: string, _size: number, _hint: string | null, slot: string) => files[slot] ?? null;
    const snap = await saveSnapshot(pc, { hints: { cdrom: "data.iso" } });
    const m = await readSnapshotManifest(snap);
    expect(m.images.map((i) => [i.slot, i.size, i.hint, i.overlay === null])).toEqual([
      ["fda", 737280, null, false],
      ["cdrom", 64 * 2048, "data.iso", true],
    ]);
    const back = await restoreSnapshot(snap, { images: bySlot });
    await expectSameMachine(back, pc);
    expect(back.cdromDrive.media).toBe(cd);
    expect(back.cdrom).toBe(cd); // the BIOS's El Torito services see it too
    expect(back.bios.platform.bootOrder).toEqual(["cdrom", "floppy", "hdd"]);
    back.machine.run(pc.machine.clock.now() + 20e6);
    pc.machine.run(pc.machine.clock.now() + 20e6);
    await expectSameMachine(back, pc);
    // Without the CD the snapshot is refused, naming it; embedded, it needs nothing.
    await expect(restoreSnapshot(snap, { images: (...a) => (a[3] === "cdrom" ? null : disk) })).rejects.toThrow(
      /image for cdrom is not available \(SHA-256 [0-9a-f]{64}, 131072 bytes, was data\.iso\)/,
    );
    const embedded = await saveSnapshot(pc, { embedImages: ["cdrom"] });
    const alone = await restoreSnapshot(embedded, { images: (...a) => (a[3] === "fda" ? disk : null) });
    await expectSameMachine(alone, pc);
    // A disc taken out is gone from the snapshot, and stays out when restored.
    pc.ejectCdrom();
    const ejected = await saveSnapshot(pc);
    expect((await readSnapshotManifest(ejected)).images.map((i) => i.slot)).toEqual(["fda"]);
    const out = await restoreSnapshot(ejected, { images: bySlot });
    await expectSameMachine(out, pc);
    expect(out.cdromDrive.media).toBeNull();
  });

  it("round-trips any image in any media slot, alone and all together", async () => {
    const imageFor = (slot: PcImageSlot, kind: MediaKind) => imageOf(kind, slot.charCodeAt(2) + slot.length);
    const build = (slots: readonly (typeof PC_MEDIA_SLOTS)[number][]) => {
      const bytes = new Map<string, Uint8Array>();
      for (const { slot, kind } of slots) bytes.set(slot, slot === "kernel" ? tinyKernel() : imageFor(slot, kind));
      if (bytes.has("initrd") && !bytes.has("kernel")) bytes.set("kernel", tinyKernel());
      if (bytes.has("vga-bios") && !bytes.has("bios")) bytes.set("bios", imageFor("bios", "firmware"));
      const drive = (slot: string) => (bytes.has(slot) ? new MemoryDisk(bytes.get(slot)!, true) : null);
      const kernel = bytes.get("kernel");
      const pc = new PcMachine({
        memoryMiB: 8,
        clock: "deterministic",
        fda: drive("fda"),
        fdb: drive("fdb"),
        hda: drive("hda"),
        hdb: drive("hdb"),
        cdrom: drive("cdrom"),
        linux: kernel ? { kernel, initrd: bytes.get("initrd") ?? null, cmdline: "quiet" } : null,
        firmware: bytes.has("bios") ? { bios: bytes.get("bios")!, vgaBios: bytes.get("vga-bios") ?? null } : null,
      });
      return { pc, bytes };
    };
    // A kernel boots only with the built-in BIOS: "all together" is every slot but the firmware's, and every slot but the kernel's.
    const withoutFirmware = PC_MEDIA_SLOTS.filter((s) => s.kind !== "firmware");
    const withoutKernel = PC_MEDIA_SLOTS.filter((s) => s.kind !== "boot-file");
    for (const slots of [...PC_MEDIA_SLOTS.map((s) => [s]), withoutFirmware, withoutKernel]) {
      const { pc, bytes } = build(slots);
      const names = slots.map((s) => s.slot).join(",");
      for (const { slot, writable } of slots) {
        const d = pc.disk(slot);
        expect(d !== null, `${slot} is a copy-on-write drive`).toBe(writable);
        d?.write(512 * 3, new Uint8Array(512).fill(0x5a)); // an overlay to carry
      }
      for (const embed of [false, true]) {
        const snap = await saveSnapshot(pc, { embedImages: embed });
        const m = await readSnapshotManifest(snap);
        expect(
          m.images.map((i) => i.slot),
          names,
        ).toEqual(PC_MEDIA_SLOTS.map((s) => s.slot).filter((s) => bytes.has(s)));
        const back = await restoreSnapshot(snap, {
          images: embed ? () => null : (_sha, _size, _hint, slot) => new MemoryDisk(bytes.get(slot)!, true),
        });
        await expectSameMachine(back, pc);
        expect(back.firmware !== null, `${names}: runs the firmware given`).toBe(bytes.has("bios"));
        for (const { slot } of PC_MEDIA_SLOTS) {
          const a = pc.mediaIn(slot),
            b = back.mediaIn(slot);
          expect(b === null, `${names}: ${slot}`).toBe(a === null);
          if (a && b) {
            const [x, y] = [new Uint8Array(a.base.size), new Uint8Array(b.base.size)];
            a.base.read(0, x);
            b.base.read(0, y);
            expect(Buffer.compare(x, y), `${names}: ${slot}'s image`).toBe(0);
            expect(b.overlay && [...b.overlay.keys()], `${names}: ${slot}'s overlay`).toEqual(
              a.overlay && [...a.overlay.keys()],
            );
          }
        }
      }
    }
  });
});
