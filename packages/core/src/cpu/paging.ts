// Two-level paging of the i686 without PAE (SDM Vol. 3 §4.3): 4 KiB pages through a page
// directory and page tables, 4 MiB pages when CR4.PSE and the PDE's PS bit are set, global
// pages (kept across CR3 loads when CR4.PGE is set), accessed and dirty bits, and the
// user/supervisor and read/write checks with CR0.WP. A fault sets CR2 and raises #PF with the
// error code (P, W/R, U/S, RSVD).

import type { CpuAccess } from "./access.ts";
import { CR0_WP, V_PF } from "./regs.ts";

export const PTE_P = 0x001,
  PTE_RW = 0x002,
  PTE_US = 0x004,
  PTE_A = 0x020,
  PTE_D = 0x040;
export const PDE_PS = 0x080,
  PTE_G = 0x100;
export const CR4_PSE = 0x10,
  CR4_PGE = 0x80;

/** The result of a walk besides the physical address (reused, not allocated per walk). */
export const walkResult = {
  /** Writes by this privilege are allowed and the dirty bit is already set: a write may be cached. */
  writable: false,
  /** The mapping is global (survives CR3 loads with CR4.PGE). */
  global: false,
};

/**
 * Translates a linear address with paging on. user: the access is made at CPL 3 (supervisor
 * accesses to descriptor tables pass false). Sets accessed/dirty bits; raises #PF.
 */
export function walk(c: CpuAccess, lin: number, write: boolean, user: boolean): number {
  const mem = c.mem;
  const a20 = mem.a20Mask;
  const pdeAddr = ((c.cr[3] & ~0xfff) | ((lin >>> 22) << 2)) & a20;
  let pde = mem.read32(pdeAddr);
  if (!(pde & PTE_P)) pageFault(c, lin, write, user, 0);
  const wp = (c.cr[0] & CR0_WP) !== 0;
  if (pde & PDE_PS && c.cr[4] & CR4_PSE) {
    checkRights(c, lin, write, user, pde, wp);
    const want = PTE_A | (write ? PTE_D : 0);
    if ((pde & want) !== want) {
      pde |= want;
      mem.write32(pdeAddr, pde);
    }
    walkResult.writable = (pde & PTE_D) !== 0 && canWrite(pde, user, wp);
    walkResult.global = (pde & PTE_G) !== 0 && (c.cr[4] & CR4_PGE) !== 0;
    return ((pde & 0xffc00000) | (lin & 0x3fffff)) & a20;
  }
  const pteAddr = ((pde & ~0xfff) | (((lin >>> 12) & 0x3ff) << 2)) & a20;
  let pte = mem.read32(pteAddr);
  if (!(pte & PTE_P)) pageFault(c, lin, write, user, 0);
  // Both levels must allow the access: combine their U/S and R/W bits.
  const combined = pte & (pde | ~(PTE_US | PTE_RW));
  checkRights(c, lin, write, user, combined, wp);
  if (!(pde & PTE_A)) mem.write32(pdeAddr, pde | PTE_A);
  const want = PTE_A | (write ? PTE_D : 0);
  if ((pte & want) !== want) {
    pte |= want;
    mem.write32(pteAddr, pte);
  }
  walkResult.writable = (pte & PTE_D) !== 0 && canWrite(combined, user, wp);
  walkResult.global = (pte & PTE_G) !== 0 && (c.cr[4] & CR4_PGE) !== 0;
  return ((pte & ~0xfff) | (lin & 0xfff)) & a20;
}

/**
 * Raises the #PF that an access at lin would raise, as walk does, but changes nothing: no
 * accessed or dirty bit is set (for checks the manual asks for without an access, like ENTER's
 * final stack pointer or a string input's destination before the port is read).
 */
export function probe(c: CpuAccess, lin: number, write: boolean, user: boolean): void {
  const mem = c.mem;
  const a20 = mem.a20Mask;
  const pde = mem.read32(((c.cr[3] & ~0xfff) | ((lin >>> 22) << 2)) & a20);
  if (!(pde & PTE_P)) pageFault(c, lin, write, user, 0);
  const wp = (c.cr[0] & CR0_WP) !== 0;
  if (pde & PDE_PS && c.cr[4] & CR4_PSE) {
    checkRights(c, lin, write, user, pde, wp);
    return;
  }
  const pte = mem.read32(((pde & ~0xfff) | (((lin >>> 12) & 0x3ff) << 2)) & a20);
  if (!(pte & PTE_P)) pageFault(c, lin, write, user, 0);
  checkRights(c, lin, write, user, pte & (pde | ~(PTE_US | PTE_RW)), wp);
}

function canWrite(bits: number, user: boolean, wp: boolean): boolean {
  if (user) return (bits & (PTE_US | PTE_RW)) === (PTE_US | PTE_RW);
  return !wp || (bits & PTE_RW) !== 0;
}

function checkRights(c: CpuAccess, lin: number, write: boolean, user: boolean, bits: number, wp: boolean): void {
  if (user && !(bits & PTE_US)) pageFault(c, lin, write, user, 1);
  if (write && !canWrite(bits, user, wp)) pageFault(c, lin, write, user, 1);
}

function pageFault(c: CpuAccess, lin: number, write: boolean, user: boolean, present: number): never {
  c.cr[2] = lin;
  return c.fault(V_PF, present | (write ? 2 : 0) | (user ? 4 : 0));
}
