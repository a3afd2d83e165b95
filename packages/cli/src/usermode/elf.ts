// A reader for 32-bit little-endian x86 ELF executables (System V gABI, "ELF header" and
// "Program header" chapters): just what a loader needs — the entry point, the program headers
// and the file bytes behind each PT_LOAD segment. Section headers and symbols are not read.

export const ET_EXEC = 2,
  ET_DYN = 3;
export const EM_386 = 3;
export const PT_LOAD = 1,
  PT_INTERP = 3,
  PT_PHDR = 6,
  PT_TLS = 7;
export const PF_X = 1,
  PF_W = 2,
  PF_R = 4;

export interface ProgramHeader {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  flags: number;
  align: number;
}

export interface Elf32 {
  type: number;
  entry: number;
  /** File offset, entry size and count of the program header table (for AT_PHDR and friends). */
  phoff: number;
  phentsize: number;
  phnum: number;
  phdrs: ProgramHeader[];
  bytes: Uint8Array;
}

export class ElfFormatError extends Error {}

/** Parses an i386 ELF executable; refuses anything else with a message saying why. */
export function parseElf32(bytes: Uint8Array): Elf32 {
  if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfFormatError("not an ELF file");
  }
  if (bytes[4] !== 1) throw new ElfFormatError(`ELF class ${bytes[4]} is not ELFCLASS32`);
  if (bytes[5] !== 1) throw new ElfFormatError("ELF file is not little-endian");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = dv.getUint16(16, true);
  const machine = dv.getUint16(18, true);
  if (machine !== EM_386) throw new ElfFormatError(`ELF machine ${machine} is not EM_386`);
  if (type !== ET_EXEC && type !== ET_DYN) throw new ElfFormatError(`ELF type ${type} is not an executable`);
  const entry = dv.getUint32(24, true);
  const phoff = dv.getUint32(28, true);
  const phentsize = dv.getUint16(42, true);
  const phnum = dv.getUint16(44, true);
  if (phentsize < 32 || phoff + phentsize * phnum > bytes.length)
    throw new ElfFormatError("program header table lies outside the file");
  const phdrs: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    const ph: ProgramHeader = {
      type: dv.getUint32(o, true),
      offset: dv.getUint32(o + 4, true),
      vaddr: dv.getUint32(o + 8, true),
      filesz: dv.getUint32(o + 16, true),
      memsz: dv.getUint32(o + 20, true),
      flags: dv.getUint32(o + 24, true),
      align: dv.getUint32(o + 28, true),
    };
    if (ph.type === PT_LOAD && (ph.offset + ph.filesz > bytes.length || ph.filesz > ph.memsz)) {
      throw new ElfFormatError(`PT_LOAD segment ${i} lies outside the file`);
    }
    phdrs.push(ph);
  }
  if (phdrs.some((p) => p.type === PT_INTERP)) {
    throw new ElfFormatError(
      "dynamically linked executable (PT_INTERP): only static executables can run without a kernel",
    );
  }
  return { type, entry, phoff, phentsize, phnum, phdrs, bytes };
}
