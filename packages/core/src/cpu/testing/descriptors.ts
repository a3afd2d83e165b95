// Building blocks for tests that set up protected mode: descriptors as the GDT, LDT and IDT
// hold them (SDM Vol. 3 §3.4.5).

/**
 * A segment descriptor as two dwords: base, limit (bytes, or 4 KiB pages when G), access byte,
 * flags (G 0x8, D/B 0x4).
 */
export function desc(base: number, limit: number, access: number, flags = 0x4): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | (access << 8) | ((base >> 16) & 0xff);
  return [lo | 0, hi | 0];
}
