// The VM loop without a browser: the runner driven the way the worker entry drives it, with
// the same shared buffers the page makes, on tiny boot floppies built here.
import { afterEach, describe, expect, it } from "vitest";
import { VmMemory, decodeSnapshot, readSnapshotManifest } from "@x86vm/core";
import { CNT_BUSY_MS, CNT_GUEST_NS, CNT_INSTRET, ControlBlock, VM_STATE_PAUSED } from "../shared/control.ts";
import { SharedFramebuffer } from "../shared/framebuffer.ts";
import { createInputRing } from "../shared/input.ts";
import type { MediaFile, VmEvent, VmSetup } from "../shared/protocol.ts";
import { ByteRing } from "../shared/rings.ts";
import { VmRunner } from "./runner.ts";
import { PC_MEDIA_SLOTS } from "@x86vm/devices";

function floppy(code: string, size = 1474560): ArrayBuffer {
  const img = new Uint8Array(size);
  for (let i = 0; i < code.length / 2; i++) img[i] = parseInt(code.slice(i * 2, i * 2 + 2), 16);
  img[510] = 0x55;
  img[511] = 0xaa;
  return img.buffer;
}
// See e2e/helpers.ts for the source of these two boot sectors.
const SPIN =
  "31c08ed8be1a7cb40ebb0700ac84c07404cd10ebf74001c3ebfb" +
  [..."spin\0"].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
const TRIPLE_FAULT = "fa31c08ed80f011e147c0f20c00c010f22c0ccf4000000000000";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Vm {
  runner: VmRunner;
  ctl: ControlBlock;
  fb: SharedFramebuffer;
  events: VmEvent[];
}

const live: VmRunner[] = [];
afterEach(async () => {
  for (const r of live.splice(0)) await r.destroy();
});

function prepare(media: MediaFile[], share = 100): Vm & { setup: VmSetup } {
  const ctl = ControlBlock.create(share);
  const fb = SharedFramebuffer.create();
  const setup: VmSetup = {
    id: "t",
    name: "t",
    memory: VmMemory.create(4 << 20).memory,
    ramBytes: 4 << 20,
    control: ctl.buffer,
    framebuffer: fb.buffer,
    input: createInputRing().buffer,
    serialOut: ByteRing.create(1024).buffer,
    media,
    startTimeMs: 0,
  };
  const runner = new VmRunner();
  live.push(runner);
  return { runner, ctl, fb, events: [], setup };
}

async function make(media: MediaFile[], share = 100): Promise<Vm> {
  const vm = prepare(media, share);
  await vm.runner.create(vm.setup, (e) => vm.events.push(e));
  return vm;
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(10);
  }
}

describe("VmRunner", () => {
  it("runs a guest, publishes its screen, pauses without running, and resumes", async () => {
    const vm = await make([{ role: "fda", name: "spin.img", bytes: floppy(SPIN) }]);
    vm.runner.start();
    await until(() => vm.runner.screenText()?.includes("spin") === true);
    await until(() => vm.fb.frames > 0);
    expect(vm.fb.size()).toEqual({ width: 720, height: 400 });
    expect(vm.ctl.f64[CNT_INSTRET]).toBeGreaterThan(0);

    vm.ctl.pauseRequested = true;
    await vm.runner.pause();
    expect(vm.ctl.state).toBe(VM_STATE_PAUSED);
    const i0 = vm.ctl.f64[CNT_INSTRET];
    await sleep(200);
    expect(vm.ctl.f64[CNT_INSTRET]).toBe(i0);
    expect(vm.runner.details().state).toBe("paused");

    vm.runner.resume();
    await until(() => vm.ctl.f64[CNT_INSTRET] > i0);
    expect(vm.events.some((e) => e.kind === "state" && e.state === "running")).toBe(true);
  });

  // The bound is one-sided: on a loaded host, late timers only lower a capped VM's use (it sleeps
  // longer than it owes), so a lower bound would measure the host, not the cap. That it still runs
  // is checked by its instruction count instead.
  it("keeps a capped VM's CPU use under its share, and keeps it running", async () => {
    const vm = await make([{ role: "fda", name: "spin.img", bytes: floppy(SPIN) }], 25);
    vm.runner.start();
    await sleep(200);
    const b0 = vm.ctl.f64[CNT_BUSY_MS],
      i0 = vm.ctl.f64[CNT_INSTRET],
      t0 = performance.now();
    await sleep(1000);
    const use = (vm.ctl.f64[CNT_BUSY_MS] - b0) / (performance.now() - t0);
    expect(use).toBeGreaterThan(0);
    expect(use).toBeLessThan(0.4);
    expect(vm.ctl.f64[CNT_INSTRET]).toBeGreaterThan(i0);
  });

  it("reports a triple fault as a failure, and reset power-cycles the machine", async () => {
    const vm = await make([{ role: "fda", name: "tf.img", bytes: floppy(TRIPLE_FAULT) }]);
    vm.runner.start();
    await until(() => vm.events.some((e) => e.kind === "failed"));
    const failed = vm.events.find((e) => e.kind === "failed") as { message: string };
    expect(failed.message).toMatch(/the guest stopped the machine: triple fault/);
    expect(vm.runner.details()).toMatchObject({ state: "failed", error: failed.message });
    await vm.runner.reset();
    await until(() => vm.events.filter((e) => e.kind === "failed").length === 2);
  });

  it("reports a disk that cannot boot as a failure, with what the drive lacks", async () => {
    const vm = await make([{ role: "fda", name: "blank.img", bytes: new ArrayBuffer(1474560) }]);
    vm.runner.start();
    await until(() => vm.events.some((e) => e.kind === "failed"));
    const failed = vm.events.find((e) => e.kind === "failed") as { message: string };
    expect(failed.message).toBe("no bootable disk (fda: no boot signature)");
    expect(vm.runner.details()).toMatchObject({ state: "failed", error: failed.message });
    expect(vm.runner.screenText()).toContain("No bootable device. System halted.");
  });

  it("refuses a bad image with a message that names it, and an unsupported kernel", async () => {
    await expect(make([{ role: "fda", name: "short.img", bytes: new ArrayBuffer(1000) }])).rejects.toThrow(
      /short\.img cannot be the floppy A:: a floppy image of 1000 bytes is not a standard format/,
    );
    await expect(make([])).rejects.toThrow(/nothing to boot/);
    await expect(make([{ role: "kernel", name: "bzImage", bytes: new ArrayBuffer(4096) }])).rejects.toThrow(/bzImage/);
  });

  it("boots a VM whose image was bad once a good one is inserted and it is reset", async () => {
    const vm = prepare([{ role: "fda", name: "short.img", bytes: new ArrayBuffer(1000) }]);
    await expect(vm.runner.create(vm.setup, (e) => vm.events.push(e))).rejects.toThrow(/short\.img/);
    expect(vm.runner.details()).toMatchObject({ state: "failed", machine: false });
    await vm.runner.insertMedia({ role: "fda", name: "spin.img", bytes: floppy(SPIN) });
    await vm.runner.reset();
    await until(() => vm.runner.screenText()?.includes("spin") === true);
    expect(vm.runner.details()).toMatchObject({ state: "running", error: null, machine: true });
  });

  it("inserts and ejects floppies and CDs, refusing a bad one without touching the machine", async () => {
    const vm = await make([{ role: "fda", name: "spin.img", bytes: floppy(SPIN) }]);
    vm.runner.start();
    await vm.runner.insertMedia({ role: "fdb", name: "b.img", bytes: floppy("", 737280) });
    await vm.runner.insertMedia({ role: "cdrom", name: "disc.iso", bytes: new ArrayBuffer(64 * 2048) });
    expect(vm.events).toContainEqual({ kind: "notice", message: "disc.iso inserted in CD-ROM" });
    await vm.runner.ejectMedia("cdrom");
    expect(vm.runner.details().media.map((m) => m.name)).toEqual(["spin.img", "b.img"]);
    await expect(
      vm.runner.insertMedia({ role: "fdb", name: "odd.img", bytes: new ArrayBuffer(12345) }),
    ).rejects.toThrow(/odd\.img/);
    await vm.runner.ejectMedia("fdb");
    expect(vm.runner.details().media.map((m) => m.name)).toEqual(["spin.img"]);
  });

  it("snapshots a running VM and resumes it in a new runner: same screen, same registers, it runs on", async () => {
    const spin = floppy(SPIN);
    const vm = await make([{ role: "fda", name: "spin.img", bytes: spin.slice(0), url: "/guests/x/spin.img" }]);
    vm.runner.start();
    await until(() => vm.runner.screenText()?.includes("spin") === true);
    const snap = await vm.runner.snapshot({ embedUserImages: true, note: "t" });
    expect(snap.images).toEqual([
      expect.objectContaining({
        slot: "fda",
        name: "spin.img",
        embedded: false,
        url: "/guests/x/spin.img",
        bytes: 1474560,
      }),
    ]);
    expect(snap.bytes.byteLength).toBeGreaterThan(1000);
    const manifest = await readSnapshotManifest(new Uint8Array(snap.bytes));
    expect(manifest.images[0].hint).toBe("/guests/x/spin.img");
    expect(manifest.meta.note).toBe("t");

    const copy = prepare([{ role: "fda", name: "spin.img", bytes: spin.slice(0) }]);
    copy.setup.snapshot = snap.bytes.slice(0);
    await copy.runner.create(copy.setup, (e) => copy.events.push(e));
    expect(copy.runner.details()).toMatchObject({
      restored: true,
      machine: true,
      media: [{ role: "fda", name: "spin.img" }],
    });
    expect(copy.runner.screenText()).toBe(vm.runner.screenText());
    // The registers are the saved ones: saving the restored machine again gives the same state.
    const again = await copy.runner.snapshot({ embedUserImages: false });
    const [a, b] = [
      await decodeSnapshot(new Uint8Array(snap.bytes)),
      await decodeSnapshot(new Uint8Array(again.bytes)),
    ];
    expect(b.states.find((x) => x.id === "cpu-i686")).toEqual(a.states.find((x) => x.id === "cpu-i686"));
    const i0 = copy.ctl.f64[CNT_INSTRET];
    copy.runner.start();
    await until(() => copy.ctl.f64[CNT_INSTRET] > i0 + 1e5);
    expect(copy.fb.frames).toBeGreaterThan(0);
    // A snapshot of the resumed VM, taken while it runs, resumes too.
    const third = prepare([{ role: "fda", name: "spin.img", bytes: spin.slice(0) }]);
    third.setup.snapshot = (await copy.runner.snapshot({ embedUserImages: false })).bytes;
    await third.runner.create(third.setup, () => {});
    expect(third.runner.screenText()).toBe(vm.runner.screenText());
    // A reset boots the same images from scratch.
    await copy.runner.reset();
    expect(copy.runner.details()).toMatchObject({ restored: false });
  });

  it("runs on the deterministic clock when asked, and a resume keeps the clock it is given", async () => {
    const spin = floppy(SPIN);
    const vm = prepare([{ role: "fda", name: "spin.img", bytes: spin.slice(0) }]);
    vm.setup.clock = "deterministic";
    await vm.runner.create(vm.setup, () => {});
    vm.runner.start();
    await until(() => vm.runner.screenText()?.includes("spin") === true);
    const snap = await vm.runner.snapshot({ embedUserImages: false });
    const m = await readSnapshotManifest(new Uint8Array(snap.bytes));
    expect(m.machine.clock.mode).toBe("deterministic");
    // Guest time is 10 ns per instruction, plus the time skipped while halted.
    expect(m.machine.clock.nowNs).toBe(m.machine.clock.instructions * 10 + m.machine.clock.idleNs);
    expect(vm.ctl.f64[CNT_GUEST_NS]).toBeGreaterThanOrEqual(vm.ctl.f64[CNT_INSTRET] * 10);

    const copy = prepare([{ role: "fda", name: "spin.img", bytes: spin.slice(0) }]);
    copy.setup.snapshot = snap.bytes;
    copy.setup.clock = "deterministic";
    await copy.runner.create(copy.setup, () => {});
    const again = await readSnapshotManifest(
      new Uint8Array((await copy.runner.snapshot({ embedUserImages: false })).bytes),
    );
    expect(again.machine.clock.mode).toBe("deterministic");
    expect(again.machine.clock.nowNs).toBe(m.machine.clock.nowNs);

    // Without it, the realtime clock, as before.
    const plain = await make([{ role: "fda", name: "spin.img", bytes: spin.slice(0) }]);
    const p = await readSnapshotManifest(
      new Uint8Array((await plain.runner.snapshot({ embedUserImages: false })).bytes),
    );
    expect(p.machine.clock.mode).toBe("realtime");
  });

  it("snapshots a VM with an image in every media slot and resumes it with each in its slot", async () => {
    // Each slot of the board gets an image of its own (a bzImage header for the kernel; nothing runs).
    // (The firmware slots go without the kernel: a kernel boots only with the built-in BIOS.)
    const slots = PC_MEDIA_SLOTS.filter((s) => s.kind !== "firmware");
    const media: MediaFile[] = slots.map(({ slot, kind }, i) => {
      const size = { floppy: 163840, hdd: 1 << 20, cdrom: 64 * 2048, "boot-file": 0x3000 }[kind];
      const b = new Uint8Array(size);
      if (slot === "kernel") {
        b.set([0x55, 0xaa], 0x1fe);
        b.set([0x48, 0x64, 0x72, 0x53, 0x0c, 0x02], 0x202); // "HdrS", protocol 2.12
        b[0x1f1] = 4;
        b[0x211] = 1;
      } else for (let at = 0; at < size; at += 509) b[at] = (at * (i + 3)) & 0xff;
      return { role: slot, name: `${slot}.bin`, bytes: b.buffer };
    });
    const vm = await make(media.map((m) => ({ ...m, bytes: m.bytes.slice(0) })));
    const snap = await vm.runner.snapshot({ embedUserImages: true });
    expect(snap.images.map((i) => [i.slot, i.name, i.embedded])).toEqual(
      slots.map((s) => [s.slot, `${s.slot}.bin`, true]),
    );
    const copy = prepare([]);
    copy.setup.snapshot = snap.bytes;
    await copy.runner.create(copy.setup, (e) => copy.events.push(e));
    expect(copy.runner.details().media.map((m) => [m.role, m.name])).toEqual(media.map((m) => [m.role, m.name]));
    for (const m of media)
      expect(Buffer.compare(new Uint8Array(copy.runner.mediaBytes(m.role)!), new Uint8Array(m.bytes)), m.role).toBe(0);
  });

  it("embeds the user's own images on request, and resumes such a snapshot without them", async () => {
    const vm = await make([{ role: "fda", name: "mine.img", bytes: floppy(SPIN) }]);
    vm.runner.start();
    await until(() => vm.runner.screenText()?.includes("spin") === true);
    const snap = await vm.runner.snapshot({ embedUserImages: true });
    expect(snap.images).toEqual([
      expect.objectContaining({ slot: "fda", name: "mine.img", embedded: true, url: null }),
    ]);
    const copy = prepare([]);
    copy.setup.snapshot = snap.bytes;
    await copy.runner.create(copy.setup, (e) => copy.events.push(e));
    expect(copy.runner.details().media).toEqual([{ role: "fda", name: "mine.img", bytes: 1474560, url: null }]);
    expect(copy.runner.screenText()).toBe(vm.runner.screenText());
  });

  it("refuses a corrupt snapshot, or one whose image is missing or different, with a one-line message", async () => {
    const vm = await make([{ role: "fda", name: "spin.img", bytes: floppy(SPIN) }]);
    vm.runner.start();
    await until(() => vm.runner.screenText()?.includes("spin") === true);
    const snap = new Uint8Array((await vm.runner.snapshot({ embedUserImages: false })).bytes);
    const corrupt = snap.slice();
    corrupt[corrupt.length - 100] ^= 0xff;
    const cases: [Uint8Array, MediaFile[], RegExp][] = [
      [corrupt, [{ role: "fda", name: "spin.img", bytes: floppy(SPIN) }], /checksum mismatch/],
      [snap.slice(0, 5000), [{ role: "fda", name: "spin.img", bytes: floppy(SPIN) }], /truncated/],
      [snap, [], /the image for fda is not available/],
      [
        snap,
        [{ role: "fda", name: "other.img", bytes: floppy(TRIPLE_FAULT) }],
        /image for fda has SHA-256 [0-9a-f]{64}, the snapshot needs/,
      ],
    ];
    for (const [bytes, media, re] of cases) {
      const r = prepare(media);
      r.setup.snapshot = bytes.slice().buffer;
      await expect(r.runner.create(r.setup, (e) => r.events.push(e))).rejects.toThrow(re);
      expect(r.runner.details()).toMatchObject({ state: "failed", machine: false });
      expect(r.events.find((e) => e.kind === "failed")).toMatchObject({ message: expect.stringMatching(re) });
    }
    // The VM the snapshot came from runs on.
    const i0 = vm.ctl.f64[CNT_INSTRET];
    await until(() => vm.ctl.f64[CNT_INSTRET] > i0);
  });

  it("stops for good on destroy", async () => {
    const vm = await make([{ role: "fda", name: "spin.img", bytes: floppy(SPIN) }]);
    vm.runner.start();
    await sleep(50);
    await vm.runner.destroy();
    const i = vm.ctl.f64[CNT_INSTRET];
    await sleep(100);
    expect(vm.ctl.f64[CNT_INSTRET]).toBe(i);
    expect(vm.runner.details().state).toBe("stopped");
  });
});
