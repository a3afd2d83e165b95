// The user-mode runner on tiny hand-assembled ELF executables (no toolchain needed): system
// calls through INT 80h, exit status, guest exceptions reported with their address, unknown
// system calls named, TLS through set_thread_area and GS, the initial stack.

import { describe, expect, it } from "vitest";
import { ElfFormatError } from "./elf.ts";
import { runUserMode } from "./runner.ts";

const BASE = 0x08048000;
const CODE_OFF = 52 + 32;
const ENTRY = BASE + CODE_OFF;

/** A static ET_EXEC with one RWX PT_LOAD holding the headers and code (plus bss bytes). */
function elf(code: number[], { bss = 0, interp = false } = {}): Uint8Array {
  const phnum = interp ? 2 : 1;
  const codeOff = 52 + 32 * phnum;
  const bytes = new Uint8Array(codeOff + code.length);
  const dv = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);
  dv.setUint16(16, 2, true);
  dv.setUint16(18, 3, true);
  dv.setUint32(20, 1, true);
  dv.setUint32(24, BASE + codeOff, true);
  dv.setUint32(28, 52, true);
  dv.setUint16(40, 52, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, phnum, true);
  const ph = (i: number, type: number, off: number, filesz: number, memsz: number) => {
    const o = 52 + 32 * i;
    dv.setUint32(o, type, true);
    dv.setUint32(o + 4, off, true);
    dv.setUint32(o + 8, BASE + off, true);
    dv.setUint32(o + 12, BASE + off, true);
    dv.setUint32(o + 16, filesz, true);
    dv.setUint32(o + 20, memsz, true);
    dv.setUint32(o + 24, 7, true);
    dv.setUint32(o + 28, 0x1000, true);
  };
  ph(0, 1, 0, bytes.length, bytes.length + bss);
  if (interp) ph(1, 3, 0, 1, 1);
  bytes.set(code, codeOff);
  return bytes;
}

const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
const movEax = (v: number) => [0xb8, ...le32(v)];
const movEbx = (v: number) => [0xbb, ...le32(v)];
const INT80 = [0xcd, 0x80];
const exitWith = (status: number) => [...movEax(1), ...movEbx(status), ...INT80];

describe("user-mode runner", () => {
  it("runs write and exit through INT 80h", () => {
    const head = [...movEax(4), ...movEbx(1), 0xb9, ...le32(ENTRY + 34), 0xba, ...le32(6), ...INT80, ...exitWith(42)];
    expect(head.length).toBe(34);
    const r = runUserMode(elf([...head, ...new TextEncoder().encode("hello\n")]));
    expect(r.error).toBeNull();
    expect(new TextDecoder().decode(r.stdout)).toBe("hello\n");
    expect(r.exitCode).toBe(42);
    expect(r.instructions).toBeLessThan(20);
  });

  it("reports a guest exception with its vector, address and bytes", () => {
    const ud = runUserMode(elf([0x90, 0x0f, 0x0b]));
    expect(ud.exitCode).toBeNull();
    expect(ud.error).toMatch(/#UD invalid opcode at 23:08048055 \(bytes 0f 0b/);
    // HLT at CPL 3 is a general-protection fault with error code 0.
    const gp = runUserMode(elf([0xf4]));
    expect(gp.error).toMatch(/#GP general protection error code 0x0 at 23:08048054/);
  });

  it("answers unknown system calls with -ENOSYS and names them", () => {
    // mov eax, 999; int 80h; mov ebx, eax; exit(ebx)
    const r = runUserMode(elf([...movEax(999), ...INT80, 0x89, 0xc3, ...movEax(1), ...INT80]));
    expect(r.error).toBeNull();
    expect(r.exitCode).toBe(-38 & 0xff);
    expect(r.unknownSyscalls).toEqual(["999 (?) x1"]);
  });

  it("installs a TLS descriptor with set_thread_area that GS can use", () => {
    const code = [
      0x83,
      0xec,
      0x10, // sub esp, 16
      0xc7,
      0x04,
      0x24,
      ...le32(-1), // entry_number = -1
      0xc7,
      0x44,
      0x24,
      0x04,
      ...le32(ENTRY + 68), // base_addr
      0xc7,
      0x44,
      0x24,
      0x08,
      ...le32(0xfffff), // limit
      0xc7,
      0x44,
      0x24,
      0x0c,
      ...le32(0x51), // seg_32bit, limit_in_pages, useable
      0x89,
      0xe3,
      ...movEax(243),
      ...INT80, // set_thread_area(esp)
      0x8b,
      0x04,
      0x24,
      0xc1,
      0xe0,
      0x03,
      0x83,
      0xc8,
      0x03,
      0x8e,
      0xe8, // gs = entry << 3 | 3
      0x65,
      0x8b,
      0x1d,
      ...le32(0), // mov ebx, gs:[0]
      ...movEax(1),
      ...INT80,
    ];
    expect(code.length).toBe(68);
    const r = runUserMode(elf([...code, 0x37, 0, 0, 0]));
    expect(r.error).toBeNull();
    expect(r.exitCode).toBe(0x37);
  });

  it("passes argc, argv and the auxiliary vector on the stack", () => {
    // exit(argc + argv[0][0])
    const code = [0x8b, 0x1c, 0x24, 0x8b, 0x44, 0x24, 0x04, 0x0f, 0xb6, 0x00, 0x01, 0xc3, ...movEax(1), ...INT80];
    const r = runUserMode(elf(code), { argv: ["A", "b", "c"] });
    expect(r.error).toBeNull();
    expect(r.exitCode).toBe(3 + 0x41);
  });

  it("grows the program break from the end of the image", () => {
    // brk(0) -> end; brk(end + 0x2000) -> end + 0x2000; exit(new - old == 0x2000 ? 7 : 1)
    const code = [
      ...movEax(45),
      0x31,
      0xdb,
      ...INT80,
      0x89,
      0xc6, // esi = brk(0)
      0x8d,
      0x9e,
      ...le32(0x2000),
      ...movEax(45),
      ...INT80, // brk(esi + 0x2000)
      0x29,
      0xf0,
      0x3d,
      ...le32(0x2000),
      0x75,
      0x07,
      ...movEbx(7),
      0xeb,
      0x05,
      ...movEbx(1),
      ...movEax(1),
      ...INT80,
    ];
    const r = runUserMode(elf(code, { bss: 0x3000 }));
    expect(r.error).toBeNull();
    expect(r.exitCode).toBe(7);
  });

  it("refuses dynamically linked executables", () => {
    expect(() => runUserMode(elf([0x90], { interp: true }))).toThrow(ElfFormatError);
  });
});
