// A tiny bootable CD for tests, built here so that no image file or ISO tool is needed: an
// ISO 9660 primary volume descriptor, an El Torito boot record and boot catalog, and a
// no-emulation boot program. The program prints ECHO_CD_TEXT and a "> " prompt, echoes the
// keys typed, and on Enter reads the disc's sector 16 with INT 13h AH=42h and prints bytes
// 1-5 of it ("CD001", the volume descriptor's standard identifier), then a new prompt: what
// a snapshot test types before and after the snapshot shows the keyboard, the screen and the
// CD all came back.

/** The first line the program prints. */
export const ECHO_CD_TEXT = "x86vm CD echo test";

/**
 * The boot program (nasm, loaded at 0000:7C00 with DL = the CD drive):
 *   cli / xor ax,ax / mov ds,ax / mov es,ax / mov ss,ax / mov sp,7C00h / sti
 *   mov [drive],dl / mov si,hello / call print
 *   key:  xor ah,ah / int 16h / cmp al,13 / je read / mov ah,0Eh / mov bx,7 / int 10h / jmp key
 *   read: mov si,dap / mov ah,42h / mov dl,[drive] / int 13h / mov si,failed / jc say
 *         mov byte [8006h],0 / mov si,nl / call print / mov si,8001h
 *   say:  call print / mov si,prompt / call print / jmp key
 *   print: lodsb / test al,al / jz done / mov ah,0Eh / mov bx,7 / int 10h / jmp print
 *   done: ret
 *   drive db 0; hello db "x86vm CD echo test" (runs on into prompt); prompt db 13,10,"> ",0
 *   nl db 13,10,0; failed db 13,10,"read failed",0; dap db 16,0 / dw 1 / dw 8000h,0 / dq 16
 */
const BOOT_PROGRAM =
  "fa31c08ed88ec08ed0bc007cfb8816607cbe617ce83a0030e4cd163c0d7409b40ebb0700cd10ebefbe897cb4428a16607ccd13" +
  "be7b7c720ec606068000be787ce80e00be0180e80800be737ce80200ebc6ac84c07409b40ebb0700cd10ebf2c300" +
  Buffer.from(`${ECHO_CD_TEXT}\r\n> \0\r\n\0\r\nread failed\0`).toString("hex") +
  "10000100008000001000000000000000";

const SECTOR = 2048;
const PVD = 16,
  BOOT_RECORD = 17,
  TERMINATOR = 18,
  CATALOG = 19,
  BOOT_IMAGE = 20,
  SECTORS = 21;

function descriptor(cd: Uint8Array, lba: number, type: number): number {
  const o = lba * SECTOR;
  cd[o] = type;
  cd.set(Buffer.from("CD001"), o + 1);
  cd[o + 6] = 1;
  return o;
}

/** Writes v as ISO 9660 both-endian 32 bits (little-endian, then big-endian). */
function both32(cd: Uint8Array, o: number, v: number): void {
  const dv = new DataView(cd.buffer, cd.byteOffset);
  dv.setUint32(o, v, true);
  dv.setUint32(o + 4, v, false);
}

/** The CD image (21 sectors of 2048 bytes). */
export function echoCd(): Uint8Array {
  const cd = new Uint8Array(SECTORS * SECTOR);
  const dv = new DataView(cd.buffer);
  // Primary volume descriptor (ECMA-119 8.4): volume space size and logical block size.
  const pvd = descriptor(cd, PVD, 1);
  cd.set(Buffer.from("X86VM_ECHO".padEnd(32, " ")), pvd + 40);
  both32(cd, pvd + 80, SECTORS);
  dv.setUint16(pvd + 128, SECTOR, true);
  dv.setUint16(pvd + 130, SECTOR, false);
  // Boot record volume descriptor (El Torito 2.0): the boot catalog's sector at 47h.
  const brvd = descriptor(cd, BOOT_RECORD, 0);
  cd.set(Buffer.from("EL TORITO SPECIFICATION"), brvd + 7);
  dv.setUint32(brvd + 0x47, CATALOG, true);
  descriptor(cd, TERMINATOR, 255);
  // Boot catalog: validation entry (x86, key 55h AAh, words summing to zero), then the
  // initial entry: bootable, no emulation, default segment, 4 virtual sectors from BOOT_IMAGE.
  const cat = CATALOG * SECTOR;
  cd[cat] = 1;
  cd[cat + 30] = 0x55;
  cd[cat + 31] = 0xaa;
  let sum = 0;
  for (let o = 0; o < 32; o += 2) sum = (sum + dv.getUint16(cat + o, true)) & 0xffff;
  dv.setUint16(cat + 28, (0x10000 - sum) & 0xffff, true);
  cd[cat + 32] = 0x88;
  dv.setUint16(cat + 32 + 6, 4, true);
  dv.setUint32(cat + 32 + 8, BOOT_IMAGE, true);
  cd.set(Buffer.from(BOOT_PROGRAM, "hex"), BOOT_IMAGE * SECTOR);
  return cd;
}
