// The system ROM image at F0000-FFFFF. Interrupt vectors point at small stubs here; a stub
// executes the trap 0F FF ib, which the dispatcher hands to the BIOS service ib written in
// TypeScript, and then returns with IRET. Services that must wait (a key, a delay) use a stub
// that halts with interrupts enabled and retries until the service says it is done. Timer and
// keyboard interrupt stubs call INT 1Ch and INT 15h/4Fh and acknowledge the PIC in x86 code, so
// guests that hook and chain those vectors see what they expect.

import { PC_KBC_DATA, PC_PIC_MASTER_BASE, PC_PIC_SLAVE_BASE } from "../board.ts";
import { OCW2_NONSPECIFIC_EOI } from "../../pic8259.ts";
import { vbeRomTables } from "./vbe-modes.ts";

/** Service numbers (the trap's immediate byte). Interrupt services use their vector. */
export const SVC_POST = 0xf0;
export const SVC_TIMER_TICK = 0x08;
export const SVC_KEYBOARD_IRQ = 0x09;
export const SVC_RTC_IRQ = 0x70;
export const SVC_FLOPPY_IRQ = 0x0e;

/** Fixed addresses inside the ROM segment (F000:xxxx), as on the IBM PC/AT where software expects them. */
export const ROM_SEGMENT = 0xf000;
export const ROM_BASE = 0xf0000;
export const ROM_SIZE = 0x10000;
export const POST_ENTRY = 0xe05b;
export const CONFIG_TABLE = 0xe6f5;
export const FONT_8X8 = 0xfa6e; // first 128 characters of the 8x8 font (INT 1Fh covers the rest)
export const FONT_8X8_HIGH = 0x9000; // characters 128-255 of the 8x8 font (INT 1Fh)
export const FONT_8X16 = 0x8000;
export const FONT_8X14 = 0x7000;
export const DISKETTE_PARAMS = 0xefc7; // INT 1Eh table
export const VIDEO_PARAMS = 0xf0a4; // INT 1Dh (CGA parameters; unused by VGA software)
export const DUMMY_IRET = 0xff53;

/** Where each interrupt vector points (offset in the ROM segment). Filled by buildRom. */
export interface RomLayout {
  image: Uint8Array;
  vectors: Map<number, number>;
  /** Where EIP stands once the INT 18h stub has halted ("no bootable device": cli; hlt). */
  noBootHalt: number;
}

/** The standard IVT services: vector -> kind of stub. */
type Stub = "simple" | "blocking" | "timer" | "keyboard" | "eoi-master" | "eoi-slave" | "rtc" | "floppy" | "halt";

const STUBS: [number, Stub][] = [
  [0x08, "timer"],
  [0x09, "keyboard"],
  [0x0e, "floppy"],
  [0x10, "simple"],
  [0x11, "simple"],
  [0x12, "simple"],
  [0x13, "simple"],
  [0x14, "blocking"],
  [0x15, "blocking"],
  [0x16, "blocking"],
  [0x17, "simple"],
  [0x18, "halt"],
  [0x19, "simple"],
  [0x1a, "simple"],
  [0x70, "rtc"],
];

// The few x86 encodings the stubs use.
const PUSH_AX = 0x50,
  POP_AX = 0x58,
  PUSH_DS = 0x1e,
  POP_DS = 0x1f,
  MOV_AL_IMM = 0xb0,
  IN_AL_IMM = 0xe4,
  OUT_IMM_AL = 0xe6,
  IRET = 0xcf;
/** The BIOS data area's segment (40:0 = 400h). */
const BDA_SEGMENT = 0x40;

class Assembler {
  readonly image = new Uint8Array(ROM_SIZE).fill(0xff);
  pos = 0xe100;
  at(offset: number): this {
    this.pos = offset;
    return this;
  }
  emit(...bytes: number[]): this {
    for (const b of bytes) this.image[this.pos++] = b & 0xff;
    return this;
  }
  trap(service: number): this {
    return this.emit(0x0f, 0xff, service);
  }
  word(v: number): this {
    return this.emit(v & 0xff, v >> 8);
  }
  /** mov al, 20h; out to the slave 8259A (when asked), then the master: a non-specific EOI. */
  eoi(slave: boolean): this {
    this.emit(MOV_AL_IMM, OCW2_NONSPECIFIC_EOI);
    if (slave) this.emit(OUT_IMM_AL, PC_PIC_SLAVE_BASE);
    return this.emit(OUT_IMM_AL, PC_PIC_MASTER_BASE);
  }
}

export function buildRom(fonts: { f8x8: Uint8Array; f8x14: Uint8Array; f8x16: Uint8Array }): RomLayout {
  const a = new Assembler();
  const vectors = new Map<number, number>();
  let noBootHalt = -1;

  // Reset vector: far jump to POST; then the BIOS date and the model byte (FCh = PC/AT).
  a.at(0xfff0).emit(0xea).word(POST_ENTRY).word(ROM_SEGMENT);
  a.at(0xfff5).emit(..."11/26/26".split("").map((ch) => ch.charCodeAt(0)));
  a.at(0xfffe).emit(0xfc);

  // POST: the trap initialises everything, then INT 19h boots.
  a.at(POST_ENTRY).trap(SVC_POST).emit(0xcd, 0x19).emit(0xfa, 0xf4, 0xeb, 0xfd); // cli; hlt; jmp $-1

  a.at(DUMMY_IRET).emit(IRET);

  a.at(0xe100);
  for (const [vec, kind] of STUBS) {
    vectors.set(vec, a.pos);
    switch (kind) {
      case "simple":
        a.trap(vec).emit(IRET);
        break;
      case "blocking": {
        // again: trap; jnc done; sti; hlt; jmp again; done: iret
        const again = a.pos;
        a.trap(vec)
          .emit(0x73, 0x04, 0xfb, 0xf4, 0xeb, (again - (a.pos + 2)) & 0xff)
          .emit(IRET);
        // (the jmp's displacement is computed relative to its own end)
        a.image[a.pos - 2] = (again - (a.pos - 1)) & 0xff;
        break;
      }
      case "timer":
        // trap 08; int 1Ch; push ax; mov al,20h; out 20h,al; pop ax; iret
        a.trap(SVC_TIMER_TICK).emit(0xcd, 0x1c, PUSH_AX).eoi(false).emit(POP_AX, IRET);
        break;
      case "keyboard": {
        // push ds; push ax; mov ax,40h; mov ds,ax; in al,60h; mov ah,4Fh; stc; int 15h; jnc eoi;
        // trap 09; eoi: mov al,20h; out 20h,al; pop ax; pop ds; iret. The IBM AT BIOS's INT 09h
        // points DS at the BDA before it calls INT 15h/4Fh, and intercept hooks rely on it
        // (FreeDOS's INVADERS.COM empties the key buffer with DS-relative [1Ah]/[1Ch]).
        a.emit(PUSH_DS, PUSH_AX, 0xb8)
          .word(BDA_SEGMENT)
          .emit(0x8e, 0xd8, IN_AL_IMM, PC_KBC_DATA, 0xb4, 0x4f, 0xf9, 0xcd, 0x15, 0x73, 0x03)
          .trap(SVC_KEYBOARD_IRQ)
          .eoi(false)
          .emit(POP_AX, POP_DS, IRET);
        break;
      }
      case "floppy":
        // trap 0E (sets the BDA interrupt flag); EOI to the master PIC
        a.trap(SVC_FLOPPY_IRQ).emit(PUSH_AX).eoi(false).emit(POP_AX, IRET);
        break;
      case "rtc":
        // trap 70 (reads register C, runs pending waits); EOI to slave and master
        a.trap(SVC_RTC_IRQ).emit(PUSH_AX).eoi(true).emit(POP_AX, IRET);
        break;
      case "halt":
        // INT 18h: the service prints a message; then stop.
        a.trap(vec).emit(0xfa, 0xf4);
        noBootHalt = a.pos;
        a.emit(0xeb, 0xfd);
        break;
      default:
        break;
    }
  }
  // Default handlers for hardware interrupts nobody claimed: acknowledge and return.
  const eoiMaster = a.pos;
  a.emit(PUSH_AX).eoi(false).emit(POP_AX, IRET);
  const eoiSlave = a.pos;
  a.emit(PUSH_AX).eoi(true).emit(POP_AX, IRET);
  for (const v of [0x0a, 0x0b, 0x0c, 0x0d, 0x0f]) vectors.set(v, eoiMaster);
  for (const v of [0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77]) vectors.set(v, eoiSlave);
  // INT 1Ch (user timer hook) and INT 4Ah (user RTC alarm) do nothing by default.
  vectors.set(0x1c, DUMMY_IRET);
  vectors.set(0x4a, DUMMY_IRET);

  // Fonts: 8x8 (low half at its traditional address, high half via INT 1Fh), 8x14, 8x16.
  a.image.set(fonts.f8x8.subarray(0, 128 * 8), FONT_8X8);
  a.image.set(fonts.f8x8.subarray(128 * 8, 256 * 8), FONT_8X8_HIGH);
  a.image.set(fonts.f8x14.subarray(0, 256 * 14), FONT_8X14);
  a.image.set(fonts.f8x16.subarray(0, 256 * 16), FONT_8X16);

  // INT 15h/C0h system configuration table: length 8, model FCh, submodel 1, revision 0,
  // feature byte 1: second PIC, RTC, INT 15h/4Fh keyboard intercept, extended BIOS data area;
  // feature byte 2: INT 16h/09h (keyboard functionality) supported.
  a.at(CONFIG_TABLE).word(8).emit(0xfc, 0x01, 0x00, 0x74, 0x40, 0x00, 0x00, 0x00);

  // INT 1Eh diskette parameter table (1.44 MB values): specify bytes, motor off delay, 512-byte
  // sectors, 18 sectors per track, gap, data length, format gap, filler, head settle, motor start.
  a.at(DISKETTE_PARAMS).emit(0xaf, 0x02, 0x25, 0x02, 0x12, 0x1b, 0xff, 0x6c, 0xf6, 0x0f, 0x08);

  // VBE: the mode list, OEM strings and the window function (vbe-modes.ts).
  for (const [offset, bytes] of vbeRomTables()) a.at(offset).emit(...bytes);

  return { image: a.image, vectors, noBootHalt };
}
