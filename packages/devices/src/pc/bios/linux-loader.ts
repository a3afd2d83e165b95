// Loads a Linux bzImage with the x86 boot protocol (Documentation/arch/x86/boot.rst), as
// `qemu -kernel` does: the real-mode setup code at 1000:0000, the protected-mode kernel at
// 1 MiB, the initrd at the top of RAM, the command line after the setup's heap. The setup code
// then runs in real mode and asks the BIOS for the memory map (INT 15h E820), video and the
// rest before entering protected mode itself.

export class LinuxImageError extends Error {}

export interface LinuxBoot {
  kernel: Uint8Array;
  initrd?: Uint8Array | null;
  cmdline: string;
}

/** Where things go (physical addresses). */
const SETUP_SEG = 0x1000;
const SETUP_BASE = SETUP_SEG << 4;
const HEAP_END = 0xde00; // offset from SETUP_BASE; the stack sits above it
const CMDLINE_ADDR = SETUP_BASE + 0xe000;
const KERNEL_ADDR = 0x100000;

const le16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const le32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

export interface LinuxHeader {
  protocol: number;
  setupBytes: number;
  initrdAddrMax: number;
  cmdlineMax: number;
}

/** Reads and checks the setup header; throws LinuxImageError with a clear message. */
export function parseLinuxHeader(kernel: Uint8Array): LinuxHeader {
  if (kernel.length < 0x1000) throw new LinuxImageError(`not a bzImage: only ${kernel.length} bytes`);
  if (le16(kernel, 0x1fe) !== 0xaa55 || le32(kernel, 0x202) !== 0x53726448) {
    throw new LinuxImageError("not a bzImage: no 'HdrS' setup header at offset 202h");
  }
  const protocol = le16(kernel, 0x206);
  if (protocol < 0x202)
    throw new LinuxImageError(`boot protocol ${protocol >> 8}.${protocol & 0xff} is too old (2.02 or later needed)`);
  if (!(kernel[0x211] & 1))
    throw new LinuxImageError("the kernel is not loaded high (zImage): only bzImage is supported");
  const setupSects = kernel[0x1f1] || 4;
  const setupBytes = (setupSects + 1) * 512;
  if (setupBytes >= kernel.length)
    throw new LinuxImageError("the bzImage is truncated: no protected-mode part after the setup code");
  return {
    protocol,
    setupBytes,
    initrdAddrMax: protocol >= 0x203 ? le32(kernel, 0x22c) : 0x37ffffff,
    cmdlineMax: protocol >= 0x206 ? le32(kernel, 0x238) : 255,
  };
}

/** Memory the loader needs: where it may write, and the RAM size. */
export interface LoaderMemory {
  readonly ramSize: number;
  write(addr: number, bytes: Uint8Array): void;
}

/** Register state to enter the setup code with. */
export interface LinuxEntry {
  cs: number;
  ip: number;
  ds: number;
  ss: number;
  sp: number;
}

/** vid_mode values (boot protocol): the standard 80x25 mode, the extended menu, ask. */
export const VID_MODE_NORMAL = 0xffff,
  VID_MODE_EXTENDED = 0xfffe,
  VID_MODE_ASK = 0xfffd;

/**
 * The setup header's vid_mode for a command line: a boot loader's job, as `vga=` is read by the
 * loader, not the kernel (`vga=normal|ext|ask|N`, N decimal or 0x hex; Linux adds 200h to a
 * VESA mode number, so vga=0x317 is VESA mode 117h). The last `vga=` wins; anything else is
 * "normal".
 */
export function videoMode(cmdline: string): number {
  let mode = VID_MODE_NORMAL;
  for (const word of cmdline.split(/\s+/)) {
    if (!word.startsWith("vga=")) continue;
    const v = word.slice(4);
    if (v === "normal") mode = VID_MODE_NORMAL;
    else if (v === "ext") mode = VID_MODE_EXTENDED;
    else if (v === "ask") mode = VID_MODE_ASK;
    else if (/^(0x[0-9a-f]+|[0-9]+)$/i.test(v) && Number(v) <= 0xffff) mode = Number(v);
  }
  return mode;
}

/** Copies kernel, initrd and command line into memory and fills the setup header. */
export function loadLinux(mem: LoaderMemory, boot: LinuxBoot): LinuxEntry {
  const k = boot.kernel;
  const h = parseLinuxHeader(k);
  const cmdline = ascii(boot.cmdline);
  if (cmdline.length > Math.min(h.cmdlineMax, 0x7ff))
    throw new LinuxImageError(`the kernel command line is longer than ${Math.min(h.cmdlineMax, 0x7ff)} bytes`);
  const kernelBytes = k.length - h.setupBytes;
  if (KERNEL_ADDR + kernelBytes > mem.ramSize)
    throw new LinuxImageError(`${mem.ramSize >> 20} MiB of RAM cannot hold a ${kernelBytes >> 20} MiB kernel`);

  const setup = k.slice(0, h.setupBytes);
  setup[0x210] = 0xff; // type_of_loader: undefined
  setup[0x211] |= 0x80; // loadflags: CAN_USE_HEAP
  put16(setup, 0x1fa, videoMode(boot.cmdline)); // vid_mode
  put16(setup, 0x224, HEAP_END);
  put32(setup, 0x228, CMDLINE_ADDR);
  if (boot.initrd && boot.initrd.length > 0) {
    const limit = Math.min(h.initrdAddrMax + 1, mem.ramSize);
    const addr = Math.floor((limit - boot.initrd.length) / 4096) * 4096;
    if (addr < KERNEL_ADDR + kernelBytes) {
      throw new LinuxImageError(
        `the initrd (${boot.initrd.length} bytes) does not fit in ${mem.ramSize >> 20} MiB of RAM beside the kernel`,
      );
    }
    mem.write(addr, boot.initrd);
    put32(setup, 0x218, addr);
    put32(setup, 0x21c, boot.initrd.length);
  }
  mem.write(SETUP_BASE, setup);
  mem.write(KERNEL_ADDR, k.subarray(h.setupBytes));
  const cl = new Uint8Array(cmdline.length + 1);
  cl.set(cmdline);
  mem.write(CMDLINE_ADDR, cl);
  return { cs: SETUP_SEG + 0x20, ip: 0, ds: SETUP_SEG, ss: SETUP_SEG, sp: HEAP_END + 0x200 };
}

/** The command line as bytes; the kernel expects ASCII. */
function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch > 0x7e || ch < 0x20)
      throw new LinuxImageError(
        `the kernel command line must be printable ASCII (character ${i} is U+${ch.toString(16).padStart(4, "0")})`,
      );
    out[i] = ch;
  }
  return out;
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >> 8;
}
function put32(b: Uint8Array, o: number, v: number): void {
  put16(b, o, v);
  put16(b, o + 2, v >>> 16);
}
