// El Torito CD boot through the BIOS, on the real board with the ATAPI drive's disc: ISO images
// built here with xorriso (Debian package xorriso) around boot programs assembled with nasm.
// The no-emulation program prints through INT 10h, checks the INT 13h extensions on its boot
// drive, reads the primary volume descriptor and the boot record with AH=42h (2048-byte
// blocks) and asks AH=4B01h for the specification packet. The floppy emulation program runs
// as drive 00h, reads its own floppy by CHS and ends the emulation. The parser's refusals are
// tested on images patched here.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryDisk } from "../../../../core/src/storage/disk.ts";
import { runUntilHaltedForever } from "./guest-call.ts";
import { CD_SECTOR_SIZE, ElToritoError, MEDIA_FLOPPY_1440K, MEDIA_NO_EMULATION, findBootEntry } from "./eltorito.ts";
import { PcMachine, type PcOptions } from "../pc.ts";

const COMMON = `
print:  lodsb
        test al, al
        jz .done
        call putc
        jmp print
.done:  ret
putc:   push ax
        push bx
        mov ah, 0x0e
        mov bx, 7
        int 0x10
        pop bx
        pop ax
        ret
hex:    push ax
        shr al, 4
        call nibble
        pop ax
        and al, 15
nibble: add al, '0'
        cmp al, '9'
        jbe .out
        add al, 7
.out:   jmp putc
fail:   push ax
        mov si, msg_fail
        call print
        pop ax
        mov al, ah
        call hex
halt:   cli
        hlt
        jmp halt
msg_fail: db 13, 10, "FAIL AH=", 0
`;

/** No-emulation boot image: loaded at 0000:7C00 with DL = the CD drive. */
const NO_EMULATION_ASM = `
bits 16
org 0x7c00
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7c00
        sti
        mov [drive], dl
        mov si, msg_hello
        call print
        mov al, [drive]
        call hex
        mov ah, 0x41                ; extensions present?
        mov bx, 0x55aa
        mov dl, [drive]
        int 0x13
        jc fail
        cmp bx, 0xaa55
        jne fail
        mov si, dap                 ; read CD blocks 16 and 17 to 0000:8000
        mov ah, 0x42
        mov dl, [drive]
        int 0x13
        jc fail
        mov si, msg_pvd
        call print
        mov si, 0x8001              ; "CD001" of the primary volume descriptor
        mov cx, 5
.pvd:   lodsb
        call putc
        loop .pvd
        mov si, msg_brvd
        call print
        mov si, 0x8800 + 7          ; "EL TORITO" of the boot record, the next 2048-byte block
        mov cx, 9
.brvd:  lodsb
        call putc
        loop .brvd
        mov word [0x9000], 0x1e     ; EDD drive parameters
        mov si, 0x9000
        mov ah, 0x48
        mov dl, [drive]
        int 0x13
        jc fail
        mov si, msg_bps
        call print
        mov al, [0x9019]
        call hex
        mov al, [0x9018]
        call hex
        mov ax, 0x4b01              ; El Torito status: specification packet at 0000:9100
        mov dl, [drive]
        mov si, 0x9100
        int 0x13
        jc fail
        mov si, msg_packet
        call print
        mov al, [0x9100]
        call hex
        mov al, [0x9101]
        call hex
        mov al, [0x9102]
        call hex
        mov si, msg_done
        call print
        jmp halt
${COMMON}
drive:  db 0
dap:    db 0x10, 0
        dw 2
        dw 0x8000, 0
        dq 16
msg_hello:  db "NOEMU BOOT DL=", 0
msg_pvd:    db 13, 10, "PVD=", 0
msg_brvd:   db " BRVD=", 0
msg_bps:    db 13, 10, "BPS=", 0
msg_packet: db " PACKET=", 0
msg_done:   db 13, 10, "CD TEST DONE", 0
`;

/** Boot sector of the emulated 1.44M floppy: drive 00h is the floppy image on the CD. */
const FLOPPY_ASM = `
bits 16
org 0x7c00
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7c00
        sti
        mov [drive], dl
        mov si, msg_hello
        call print
        mov al, [drive]
        call hex
        mov ah, 0x08                ; geometry of drive 00h
        xor dl, dl
        int 0x13
        jc fail
        mov si, msg_geo
        call print
        mov al, ch
        call hex
        mov al, cl
        call hex
        mov al, dh
        call hex
        xor ax, ax                  ; AH=08h pointed ES:DI at the diskette parameter table
        mov es, ax
        mov ax, 0x0201              ; cylinder 0, head 1, sector 1 = LBA 18
        mov cx, 0x0001
        mov dx, 0x0100
        mov bx, 0x8000
        int 0x13
        jc fail
        mov si, msg_data
        call print
        mov si, 0x8000
        mov cx, 5
.data:  lodsb
        call putc
        loop .data
        mov ax, 0x0301              ; writing is refused: the CD is read-only
        mov cx, 0x0001
        xor dx, dx
        mov bx, 0x8000
        int 0x13
        push ax
        mov si, msg_write
        call print
        pop ax
        mov al, ah
        call hex
        mov ax, 0x0201              ; the real floppy is drive 01h now
        mov cx, 0x0001
        mov dx, 0x0001
        mov bx, 0x8200
        int 0x13
        push ax
        mov si, msg_b
        call print
        pop ax
        mov al, ah
        call hex
        mov al, [0x8200]
        call putc
        mov ax, 0x4b00              ; terminate emulation
        xor dl, dl
        mov si, 0x9100
        int 0x13
        jc fail
        mov si, msg_term
        call print
        mov al, [0x9101]
        call hex
        mov ah, 0x02                ; drive 00h is the real drive 0 again
        mov al, 1
        mov cx, 1
        xor dx, dx
        mov bx, 0x8000
        int 0x13
        push ax
        mov si, msg_after
        call print
        pop ax
        mov al, ah
        call hex
        mov si, msg_done
        call print
        jmp halt
${COMMON}
drive:  db 0
msg_hello: db "FLOPPY EMU DL=", 0
msg_geo:   db " GEO=", 0
msg_data:  db 13, 10, "DATA=", 0
msg_write: db " WRITE=", 0
msg_term:  db 13, 10, "TERM MEDIA=", 0
msg_after: db " AFTER=", 0
msg_b:     db " B=", 0
msg_done:  db 13, 10, "EMU TEST DONE", 0
times 510-($-$$) db 0
dw 0xaa55
`;

let dir = "";
const iso = (name: string) => path.join(dir, name);

function build(): void {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-eltorito-"));
  const tree = path.join(dir, "tree");
  fs.mkdirSync(tree);
  fs.writeFileSync(path.join(tree, "README.TXT"), "a test disc\n");
  fs.writeFileSync(path.join(dir, "noemu.asm"), NO_EMULATION_ASM);
  fs.writeFileSync(path.join(dir, "floppy.asm"), FLOPPY_ASM);
  execFileSync("nasm", ["-f", "bin", "-o", path.join(tree, "boot.bin"), path.join(dir, "noemu.asm")]);
  execFileSync("nasm", ["-f", "bin", "-o", path.join(dir, "fboot.bin"), path.join(dir, "floppy.asm")]);
  const floppy = new Uint8Array(1474560);
  floppy.set(fs.readFileSync(path.join(dir, "fboot.bin")));
  floppy.set(Buffer.from("TRACK"), 18 * 512);
  fs.writeFileSync(path.join(tree, "floppy.img"), floppy);
  const mkisofs = (out: string, boot: string[]) =>
    execFileSync("xorriso", ["-as", "mkisofs", "-quiet", "-o", out, ...boot, tree], {
      stdio: ["ignore", "ignore", "pipe"],
    });
  mkisofs(iso("noemu.iso"), ["-b", "boot.bin", "-c", "boot.cat", "-no-emul-boot", "-boot-load-size", "4"]);
  mkisofs(iso("floppy.iso"), ["-b", "floppy.img", "-c", "boot.cat"]);
  mkisofs(iso("plain.iso"), []);
}

function disc(name: string): MemoryDisk {
  return new MemoryDisk(new Uint8Array(fs.readFileSync(iso(name))), true);
}

/** The image with its boot catalog (found through the boot record) changed by `patch`. */
function patchedCatalog(name: string, patch: (cat: Uint8Array) => void): MemoryDisk {
  const d = disc(name);
  const at = new DataView(d.bytes.buffer).getUint32(17 * CD_SECTOR_SIZE + 0x47, true) * CD_SECTOR_SIZE;
  patch(d.bytes.subarray(at, at + CD_SECTOR_SIZE));
  return d;
}

function boot(opts: PcOptions): { pc: PcMachine; screen: string } {
  const pc = new PcMachine({ memoryMiB: 8, clock: "deterministic", ...opts });
  runUntilHaltedForever(pc);
  return { pc, screen: pc.textRows()!.join("\n") };
}

describe("El Torito boot", () => {
  beforeAll(build);
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("finds the no-emulation and floppy entries in the catalogs xorriso writes", () => {
    const n = findBootEntry(disc("noemu.iso"));
    expect(n.media).toBe(MEDIA_NO_EMULATION);
    expect(n.loadSegment).toBe(0x07c0);
    expect(n.sectorCount).toBe(4);
    const f = findBootEntry(disc("floppy.iso"));
    expect(f.media).toBe(MEDIA_FLOPPY_1440K);
    expect(() => findBootEntry(disc("plain.iso"))).toThrow(ElToritoError);
  });

  it("boots a no-emulation image with DL = E0h; INT 13h reads 2048-byte blocks and reports the boot", () => {
    const { screen, pc } = boot({ cdrom: disc("noemu.iso") });
    expect(screen).toContain("NOEMU BOOT DL=E0");
    expect(screen).toContain("PVD=CD001 BRVD=EL TORITO");
    expect(screen).toContain("BPS=0800 PACKET=1300E0");
    expect(screen).toContain("CD TEST DONE");
    expect(screen).not.toContain("FAIL");
    expect(pc.bios.unsupported.size).toBe(0);
  });

  it("boots a floppy image as drive 00h: CHS reads, read-only, AH=4B00h ends the emulation", () => {
    const { screen } = boot({ cdrom: disc("floppy.iso") });
    expect(screen).toContain("FLOPPY EMU DL=00 GEO=4F1201");
    expect(screen).toContain("DATA=TRACK WRITE=03 B=80"); // no second drive
    expect(screen).toContain("TERM MEDIA=02 AFTER=80"); // no real floppy either
    expect(screen).toContain("EMU TEST DONE");
  });

  it("the real floppy answers as drive 01h during floppy emulation, and as 00h after it", () => {
    const real = new Uint8Array(737280);
    real[0] = 0x52; // 'R'
    const { screen } = boot({ cdrom: disc("floppy.iso"), fda: new MemoryDisk(real), bootOrder: ["cdrom", "floppy"] });
    expect(screen).toContain("FLOPPY EMU DL=00");
    expect(screen).toContain("WRITE=03 B=00R");
    expect(screen).toContain("AFTER=00");
    expect(screen).toContain("EMU TEST DONE");
  });

  it("honours an explicit boot order: hard disk before CD", () => {
    const hd = new Uint8Array(1 << 20);
    hd.set([0xb8, 0x48, 0x0e, 0xcd, 0x10, 0xfa, 0xf4]); // print 'H'; cli; hlt
    hd.set([0x55, 0xaa], 510);
    const { screen } = boot({ cdrom: disc("noemu.iso"), hda: new MemoryDisk(hd), bootOrder: ["hdd", "cdrom"] });
    expect(screen).toMatch(/^H/);
    expect(screen).not.toContain("NOEMU");
  });

  it("refuses a disc without a boot record, a bad catalog and hard disk emulation, and goes on", () => {
    expect(boot({ cdrom: disc("plain.iso") }).screen).toContain(
      "Boot from CD-ROM failed: no El Torito boot record (not a bootable CD)",
    );
    const badSum = patchedCatalog("noemu.iso", (cat) => {
      cat[4] ^= 1;
    });
    expect(boot({ cdrom: badSum }).screen).toContain("validation entry is invalid");
    const hdEmu = patchedCatalog("noemu.iso", (cat) => {
      cat[33] = 4;
    });
    const r = boot({ cdrom: hdEmu });
    expect(r.screen).toContain("hard disk emulation is not supported");
    expect(r.screen).toContain("No bootable device");
  });

  it("without a CD, drive E0h does not exist", () => {
    const bytes = new Uint8Array(1474560);
    // mov ah,41h; mov bx,55AAh; mov dl,0E0h; int 13h; mov [0500h],ah; cli; hlt
    bytes.set([0xb4, 0x41, 0xbb, 0xaa, 0x55, 0xb2, 0xe0, 0xcd, 0x13, 0x88, 0x26, 0x00, 0x05, 0xfa, 0xf4]);
    bytes.set([0x55, 0xaa], 510);
    const { pc } = boot({ fda: new MemoryDisk(bytes) });
    expect(pc.machine.mem.read8(0x500)).toBe(0x01);
  });
});
