#!/usr/bin/env node
// v86's save_state() for the reference Linux guest at its shell, set beside our own snapshot
// by `pnpm bench:snapshot linux` (packages/cli/src/bench/snapshot.ts runs this in a child
// process, in the same run). Boots the kernel and initrd as ../shared/bench/v86-anchor.mjs
// does (same v86 build, from the same cache), waits for the boot marker and then the shell's
// `# ` on COM1, and prints one JSON line: the state's size, how long save_state() and
// restore_state() took, and the wall time to the prompt.
//
//   node v86-state.mjs --kernel BZIMAGE --initrd INITRD [--append "console=ttyS0"] [--mem 128]
//                      [--marker BOOT-OK] [--timeout 300] [--nojit]
//
// Needs v86 in ~/.cache/v86-anchor (v86-anchor.mjs installs it; this script installs nothing)
// and Debian's "seabios" package. Exit status 2 when either is missing, 1 on a failed boot.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import url from "node:url";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const fail = (code, msg) => {
  console.error(`v86-state: ${msg}`);
  process.exit(code);
};

const cache = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "v86-anchor");
const pkg = path.join(cache, "node_modules", "v86");
const lib = path.join(pkg, "build", "libv86.mjs");
if (!fs.existsSync(lib)) fail(2, `${lib} is missing: run ../shared/bench/v86-anchor.mjs once to install v86`);
const version = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8")).version;
const bios = "/usr/share/seabios/bios.bin",
  vgabios = "/usr/share/seabios/vgabios-stdvga.bin";
for (const f of [bios, vgabios]) if (!fs.existsSync(f)) fail(2, `missing ${f}: apt-get install -y seabios`);
const kernel = opt("--kernel"),
  initrd = opt("--initrd");
if (!kernel || !initrd) fail(2, "usage: v86-state.mjs --kernel BZIMAGE --initrd INITRD (see the header of this file)");
const buf = (f) => {
  const b = fs.readFileSync(f);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};

const { V86 } = await import(url.pathToFileURL(lib).href);
const t0 = performance.now();
const emulator = new V86({
  wasm_path: path.join(pkg, "build", "v86.wasm"),
  bios: { buffer: buf(bios) },
  vga_bios: { buffer: buf(vgabios) },
  autostart: true,
  disable_jit: args.includes("--nojit"),
  log_level: 0,
  memory_size: Number(opt("--mem", 128)) * 1024 * 1024,
  bzimage: { buffer: buf(kernel) },
  initrd: { buffer: buf(initrd) },
  cmdline: opt("--append", "console=ttyS0"),
});

const marker = opt("--marker", "BOOT-OK");
let serial = "";
let done = false;
emulator.add_listener("serial0-output-byte", (b) => {
  if (done) return;
  serial += String.fromCharCode(b);
  if (serial.includes("Kernel panic")) {
    console.error(serial.slice(-2000));
    process.exit(1);
  }
  // Busybox's prompt: "# " (a cursor-position query follows; the prompt is matched as it arrives).
  if (serial.includes(marker) && serial.endsWith("# ")) {
    done = true;
    setTimeout(measure, 500);
  }
});

async function measure() {
  const wall = performance.now() - t0;
  emulator.stop();
  let t = performance.now();
  const state = await emulator.save_state();
  const saveMs = performance.now() - t;
  t = performance.now();
  await emulator.restore_state(state);
  const restoreMs = performance.now() - t;
  console.log(
    JSON.stringify({
      anchor: `v86@${version}`,
      jit: !args.includes("--nojit"),
      workload: "linux",
      memory_mib: Number(opt("--mem", 128)),
      state_bytes: state.byteLength,
      save_ms: Math.round(saveMs * 10) / 10,
      restore_ms: Math.round(restoreMs * 10) / 10,
      wall_ms: Math.round(wall),
    }),
  );
  emulator.destroy();
  process.exit(0);
}
setTimeout(
  () => fail(1, `timeout: no shell prompt after ${opt("--timeout", 300)} s`),
  Number(opt("--timeout", 300)) * 1000,
);
