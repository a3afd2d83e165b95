// A tiny encoder for ACPI Machine Language (ACPI 6.4 chapter 20, "ACPI Machine Language
// Specification"): just the terms the built-in DSDT uses. Each function returns the encoded
// bytes of one term; lists of terms are concatenated.

const ZERO_OP = 0x00,
  ONE_OP = 0x01,
  NAME_OP = 0x08,
  BYTE_PREFIX = 0x0a,
  WORD_PREFIX = 0x0b,
  DWORD_PREFIX = 0x0c,
  STRING_PREFIX = 0x0d,
  SCOPE_OP = 0x10,
  PACKAGE_OP = 0x12,
  EXT_OP_PREFIX = 0x5b,
  DEVICE_OP = 0x82,
  ROOT_CHAR = 0x5c,
  ONES_OP = 0xff;

export class AmlError extends Error {}

/** Concatenates byte arrays. */
export function cat(...parts: readonly (Uint8Array | readonly number[])[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * PkgLength (20.2.4): the length of what follows the opcode, this encoding included. One byte
 * up to 63; else a lead byte with the count of following bytes in bits 7-6 and the low nibble,
 * then the rest 8 bits at a time (up to 2^28 - 1).
 */
export function pkgLength(contentLength: number): Uint8Array {
  for (let extra = 0; extra <= 3; extra++) {
    const total = contentLength + 1 + extra;
    if (extra === 0 && total < 0x40) return Uint8Array.of(total);
    if (extra > 0 && total < 1 << (4 + 8 * extra)) {
      const out = new Uint8Array(1 + extra);
      out[0] = (extra << 6) | (total & 0x0f);
      for (let i = 0; i < extra; i++) out[1 + i] = (total >>> (4 + 8 * i)) & 0xff;
      return out;
    }
  }
  throw new AmlError(`AML package of ${contentLength} bytes is too long`);
}

/**
 * A NameString (20.2.2): dot-separated segments of up to 4 characters (A-Z, 0-9, _; padded
 * with _), optionally rooted with a leading backslash. "\\_SB.PCI0" is a root-prefixed
 * dual-name path.
 */
export function nameString(name: string): Uint8Array {
  const rooted = name.startsWith("\\");
  const path = rooted ? name.slice(1) : name;
  const segs = path === "" ? [] : path.split(".");
  const bytes: number[] = rooted ? [ROOT_CHAR] : [];
  if (segs.length === 0) bytes.push(0x00);
  else if (segs.length === 2) bytes.push(0x2e);
  else if (segs.length > 2) bytes.push(0x2f, segs.length);
  for (const seg of segs) {
    if (!/^[A-Z_][A-Z0-9_]{0,3}$/.test(seg)) throw new AmlError(`bad AML name segment '${seg}' in '${name}'`);
    const s = seg.padEnd(4, "_");
    for (let i = 0; i < 4; i++) bytes.push(s.charCodeAt(i));
  }
  return Uint8Array.from(bytes);
}

/** An integer constant in the shortest form (Zero, One, Ones, Byte/Word/DWordConst). */
export function integer(v: number): Uint8Array {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new AmlError(`AML integer ${v} is out of range`);
  if (v === 0) return Uint8Array.of(ZERO_OP);
  if (v === 1) return Uint8Array.of(ONE_OP);
  if (v === 0xffffffff) return Uint8Array.of(ONES_OP);
  if (v <= 0xff) return Uint8Array.of(BYTE_PREFIX, v);
  if (v <= 0xffff) return Uint8Array.of(WORD_PREFIX, v & 0xff, v >> 8);
  return Uint8Array.of(DWORD_PREFIX, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
}

/** A string constant (ASCII, NUL-terminated). */
export function string(s: string): Uint8Array {
  const out = [STRING_PREFIX];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 1 || c > 0x7f) throw new AmlError("AML strings are ASCII without NUL");
    out.push(c);
  }
  out.push(0);
  return Uint8Array.from(out);
}

/** A compressed EISA ID ("PNP0A03") as the 32-bit integer _HID takes. */
export function eisaId(id: string): Uint8Array {
  if (!/^[A-Z]{3}[0-9A-F]{4}$/.test(id)) throw new AmlError(`bad EISA ID '${id}'`);
  const c = (i: number) => id.charCodeAt(i) - 0x40;
  const b0 = (c(0) << 2) | (c(1) >> 3),
    b1 = ((c(1) & 7) << 5) | c(2);
  const product = parseInt(id.slice(3), 16);
  return integer((b0 | (b1 << 8) | ((product >> 8) << 16) | ((product & 0xff) << 24)) >>> 0);
}

/** Name(name, value). */
export function name(n: string, value: Uint8Array): Uint8Array {
  return cat([NAME_OP], nameString(n), value);
}

/** Package { elements }. */
export function pkg(...elements: Uint8Array[]): Uint8Array {
  if (elements.length > 0xff) throw new AmlError("AML package with more than 255 elements");
  const body = cat([elements.length], ...elements);
  return cat([PACKAGE_OP], pkgLength(body.length), body);
}

/** Scope(name) { terms }. */
export function scope(n: string, ...terms: Uint8Array[]): Uint8Array {
  const body = cat(nameString(n), ...terms);
  return cat([SCOPE_OP], pkgLength(body.length), body);
}

/** Device(name) { terms }. */
export function device(n: string, ...terms: Uint8Array[]): Uint8Array {
  const body = cat(nameString(n), ...terms);
  return cat([EXT_OP_PREFIX, DEVICE_OP], pkgLength(body.length), body);
}
