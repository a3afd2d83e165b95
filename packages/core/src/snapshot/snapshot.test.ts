// Board-independent snapshots: a bare Machine with a toy device and a disk round-trips through
// encodeSnapshot / decodeSnapshot / applySnapshot, and every mismatch between the snapshot and
// the machine it is loaded into is a SnapshotError.
import { describe, expect, it } from "vitest";
import { Machine } from "../machine/machine.ts";
import { CowDisk, MemoryDisk } from "../storage/disk.ts";
import { CS } from "../cpu/regs.ts";
import { cpuStatefuls } from "./cpu-state.ts";
import { SnapshotError } from "./error.ts";
import { sha256Hex } from "./host.ts";
import {
  applySnapshot,
  decodeSnapshot,
  encodeSnapshot,
  readSnapshotManifest,
  stateEntries,
  type MachineSnapshotInput,
} from "./snapshot.ts";
import { bytes, defineState, int } from "./define-state.ts";
import { StateError, type StateRecord, type Stateful } from "./state.ts";

/** A device whose schema name and version each test picks. */
class Toy implements Stateful {
  readonly stateName: string;
  readonly stateVersion: number;
  readonly stateMinVersion = 1;
  value = 0;
  block = new Uint8Array(16);
  private readonly state;
  constructor(name = "toy", version = 1) {
    this.stateName = name;
    this.stateVersion = version;
    this.state = defineState<Toy>()({
      name,
      version,
      minVersion: 1,
      fields: { value: int(0, 1000), block: bytes(16) },
    });
  }
  saveState(): StateRecord {
    return this.state.save(this);
  }
  loadState(fields: StateRecord, version: number): void {
    this.state.load(this, fields, version);
  }
}

const MiB = 1 << 20;
const baseImage = () => {
  const b = new Uint8Array(64 * 512);
  for (let i = 0; i < b.length; i++) b[i] = i * 7;
  return new MemoryDisk(b, true);
};

function build(opts: { clock?: "deterministic" | "realtime"; toy?: Toy } = {}) {
  const machine = new Machine({ ram: 2 * MiB, clock: opts.clock ?? "deterministic", hostMs: () => 1000 });
  const toy = opts.toy ?? new Toy();
  const disk = new CowDisk(baseImage());
  return { machine, toy, disk };
}

function input(m: ReturnType<typeof build>, extra: Partial<MachineSnapshotInput> = {}): MachineSnapshotInput {
  return {
    board: "test",
    machine: m.machine,
    states: stateEntries([m.toy, ...cpuStatefuls(m.machine.cpu)]),
    disks: [{ slot: "hda", base: m.disk.base, overlay: m.disk.overlay, hint: "disk.img" }],
    options: { answer: 42 },
    meta: { note: "unit test" },
    ...extra,
  };
}

/** A machine with some guest state: RAM, registers, a written sector, skipped idle time. */
function busy() {
  const m = build();
  const { machine, toy, disk } = m;
  machine.mem.ram.fill(0x5a, 0x1000, 0x3000);
  machine.mem.ram[2 * MiB - 1] = 1;
  // A loop at 0:1000 (inc ax; jmp $-3), run for a while.
  machine.mem.ram.set([0x40, 0xeb, 0xfd], 0x1000);
  machine.cpu.setSegReal(CS, 0, 0xffff, 0x9b);
  machine.cpu.setEip(0x1000);
  machine.cpu.run(5000);
  machine.clock.skipTo(machine.clock.now() + 12345.5);
  machine.mem.setA20(false);
  toy.value = 77;
  toy.block[3] = 9;
  disk.write(512 * 5 + 10, new Uint8Array([1, 2, 3]));
  return m;
}

async function refused(p: Promise<unknown>, message: RegExp): Promise<SnapshotError> {
  let err: unknown = null;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SnapshotError);
  expect((err as Error).message).toMatch(message);
  return err as SnapshotError;
}

describe("machine snapshots", () => {
  it("round-trip RAM, CPU, devices, overlays, A20 and the clock", async () => {
    const a = busy();
    const bytes = await encodeSnapshot(input(a));
    const manifest = await readSnapshotManifest(bytes);
    expect(manifest.board).toBe("test");
    expect(manifest.devices.slice(0, 2)).toEqual([
      { id: "toy", name: "toy", version: 1 },
      { id: "cpu-i686", name: "cpu-i686", version: 2 },
    ]);
    expect(manifest.devices.slice(2).map((d) => d.id)).toEqual(
      cpuStatefuls(a.machine.cpu)
        .slice(1)
        .map((x) => x.stateName),
    ); // the FPU, if any
    expect(manifest.images[0]).toMatchObject({
      slot: "hda",
      size: 64 * 512,
      hint: "disk.img",
      embedded: null,
      overlay: { sectors: 1 },
    });
    expect(manifest.images[0].sha256).toBe(await sha256Hex((a.disk.base as MemoryDisk).bytes));
    expect(manifest.ram.nonZeroPages).toBe(3);

    const d = await decodeSnapshot(bytes);
    const b = build();
    await applySnapshot(d, {
      machine: b.machine,
      states: stateEntries([b.toy, ...cpuStatefuls(b.machine.cpu)]),
      overlays: new Map([["hda", b.disk.overlay]]),
    });
    expect(Buffer.compare(b.machine.mem.ram, a.machine.mem.ram)).toBe(0);
    expect(b.toy.saveState()).toEqual(a.toy.saveState());
    expect(b.machine.clock.now()).toBe(a.machine.clock.now());
    expect(b.machine.mem.a20Enabled).toBe(false);
    // Saving the restored machine gives the same bytes.
    expect(await encodeSnapshot(input(b))).toEqual(bytes);
    const sector = new Uint8Array(512),
      want = new Uint8Array(512);
    b.disk.read(512 * 5, sector);
    a.disk.read(512 * 5, want);
    expect(sector).toEqual(want);
    a.machine.cpu.run(1000);
    b.machine.cpu.run(1000);
    expect(cpuStatefuls(b.machine.cpu)[0].saveState()).toEqual(cpuStatefuls(a.machine.cpu)[0].saveState());
  });

  it("embeds base images only when asked, and checks them on decode", async () => {
    const a = busy();
    const plain = await encodeSnapshot(input(a));
    const bytes = await encodeSnapshot(
      input(a, { disks: [{ slot: "hda", base: a.disk.base, overlay: a.disk.overlay, embed: true }] }),
    );
    expect(bytes.length).toBeGreaterThan(plain.length);
    const d = await decodeSnapshot(bytes);
    expect(await d.embeddedImage("hda")).toEqual((a.disk.base as MemoryDisk).bytes);
    expect(await (await decodeSnapshot(plain)).embeddedImage("hda")).toBeNull();
  });

  it("moves a deterministic snapshot to a realtime clock and back with time going on", async () => {
    const a = busy();
    const bytes = await encodeSnapshot(input(a));
    const rt = build({ clock: "realtime" });
    await applySnapshot(await decodeSnapshot(bytes), {
      machine: rt.machine,
      states: stateEntries([rt.toy, ...cpuStatefuls(rt.machine.cpu)]),
      overlays: new Map([["hda", rt.disk.overlay]]),
    });
    // A realtime clock keeps time as host milliseconds: exact to well under a nanosecond.
    expect(Math.abs(rt.machine.clock.now() - a.machine.clock.now())).toBeLessThan(1e-3);
    const back = await encodeSnapshot(input(rt));
    const det = build();
    await applySnapshot(await decodeSnapshot(back), {
      machine: det.machine,
      states: stateEntries([det.toy, ...cpuStatefuls(det.machine.cpu)]),
      overlays: new Map([["hda", det.disk.overlay]]),
    });
    expect(Math.abs(det.machine.clock.now() - a.machine.clock.now())).toBeLessThan(1e-3);
  });

  it("refuses snapshots that do not fit the machine", async () => {
    const a = busy();
    const bytes = await encodeSnapshot(input(a));
    const d = await decodeSnapshot(bytes);
    const target = (toy: Toy, ram = 2 * MiB, slot = "hda") => {
      const machine = new Machine({ ram, clock: "deterministic" });
      return {
        machine,
        states: stateEntries([toy, ...cpuStatefuls(machine.cpu)]),
        overlays: new Map([[slot, new Map<number, Uint8Array>()]]),
      };
    };
    await refused(applySnapshot(d, target(new Toy("other"))), /state for 'toy', which this machine does not have/);
    await refused(applySnapshot(d, target(new Toy(), 4 * MiB)), /machine has 4194304 bytes of RAM/);
    await refused(applySnapshot(d, target(new Toy(), 2 * MiB, "hdb")), /overlay for hda/);
    const old = new Toy("toy", 1);
    (old as { stateMinVersion: number }).stateMinVersion = 1;
    const newer = await encodeSnapshot(
      input(busy(), { states: stateEntries([new Toy("toy", 5), ...cpuStatefuls(a.machine.cpu)]) }),
    );
    await refused(
      applySnapshot(await decodeSnapshot(newer), target(old)),
      /'toy': state version 5 is not supported \(this build reads 1..1\)/,
    );
    // A device that refuses its record: the cause is kept.
    const evil = new Toy();
    evil.value = 5000;
    const e = await refused(
      applySnapshot(
        await decodeSnapshot(
          await encodeSnapshot(input(busy(), { states: stateEntries([evil, ...cpuStatefuls(a.machine.cpu)]) })),
        ),
        target(new Toy()),
      ),
      /device state refused \(toy\): toy: field 'value' is 5000/,
    );
    expect(e.cause).toBeInstanceOf(StateError);
  });

  it("names several instances of one schema apart, and matches records by instance", async () => {
    const a = busy();
    const second = new Toy();
    second.value = 500;
    const bytes = await encodeSnapshot(
      input(a, { states: stateEntries([a.toy, second, ...cpuStatefuls(a.machine.cpu)]) }),
    );
    expect((await readSnapshotManifest(bytes)).devices.map((d) => d.id).slice(0, 3)).toEqual([
      "toy",
      "toy#2",
      "cpu-i686",
    ]);
    const b = build();
    const other = new Toy();
    await applySnapshot(await decodeSnapshot(bytes), {
      machine: b.machine,
      states: stateEntries([b.toy, other, ...cpuStatefuls(b.machine.cpu)]),
      overlays: new Map([["hda", b.disk.overlay]]),
    });
    expect([b.toy.value, other.value]).toEqual([77, 500]);
    const c = build();
    const wrong = new Toy("gadget");
    await refused(
      applySnapshot(await decodeSnapshot(bytes), {
        machine: c.machine,
        states: [...stateEntries([c.toy, ...cpuStatefuls(c.machine.cpu)]), { id: "toy#2", device: wrong }],
        overlays: new Map([["hda", c.disk.overlay]]),
      }),
      /'toy' state for 'toy#2', which is a 'gadget'/,
    );
  });

  it("refuses to save what it could not restore", async () => {
    const a = busy();
    await refused(encodeSnapshot(input(a, { meta: { note: "x".repeat(2000) } })), /meta\.note is not a valid string/);
    await refused(
      encodeSnapshot(
        input(a, { disks: [{ slot: "hda", base: a.disk.base, overlay: a.disk.overlay, hint: "h".repeat(5000) }] }),
      ),
      /hint is not a valid string/,
    );
    await refused(
      encodeSnapshot(input(a, { states: stateEntries([new Toy("Toy"), ...cpuStatefuls(a.machine.cpu)]) })),
      /devices\[0\]\.id is not a valid string/,
    );
    await refused(
      encodeSnapshot(input(a, { options: { f: Infinity } as never })),
      /machine\.options\.f holds an unexpected value/,
    );
  });

  it("refuses oversized requests before allocating anything", async () => {
    const bytes = await encodeSnapshot(input(busy()));
    await refused(
      decodeSnapshot(bytes, { maxMemoryBytes: MiB }),
      /asks for 2097152 bytes of RAM, over the 1048576-byte limit/,
    );
    await refused(decodeSnapshot(bytes, { maxBytes: 1000 }), /over the 1000-byte limit/);
    await refused(decodeSnapshot(bytes, { maxImageBytes: 1000 }), /images\[0\]\.size is 32768, outside 0..1000/);
  });
});
