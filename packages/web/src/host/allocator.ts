// The host allocator: one memory budget shared by every VM in the page, and each VM's CPU share.
//
// Memory is reserved before anything is allocated: a VM (or a change to one) that would take
// the total past the budget is refused with a message that says what was asked, what is in
// use and what to do, and nothing is created. What a VM holds is counted in parts (guest RAM,
// the shared buffers for screen and rings, the disk images) so the shell can show them.
//
// CPU shares are caps, not reservations: each VM may use up to its share of one host core.
// The sum may exceed the host's cores; the shell shows it, the browser's scheduler arbitrates.

export interface MemoryParts {
  /** Guest RAM. */
  ram: number;
  /** Framebuffer, rings and control block. */
  buffers: number;
  /** Disk images and kernel files. */
  media: number;
}

export class AllocationRefused extends Error {
  override readonly name = "AllocationRefused";
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** Bytes as people read them: "512 MiB", "1.5 GiB". */
export function formatBytes(n: number): string {
  if (n >= GiB) return `${+(n / GiB).toFixed(2)} GiB`;
  if (n >= MiB) return `${+(n / MiB).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

export function totalOf(p: MemoryParts): number {
  return p.ram + p.buffers + p.media;
}

function describeParts(p: MemoryParts): string {
  const bits = [`${formatBytes(p.ram)} RAM`];
  if (p.buffers) bits.push(`${formatBytes(p.buffers)} screen and I/O buffers`);
  if (p.media) bits.push(`${formatBytes(p.media)} of images`);
  return bits.join(" + ");
}

/** Smallest and largest budget the shell accepts. */
export const MIN_BUDGET = 16 * MiB;
export const MAX_BUDGET = 64 * GiB;

/**
 * Default budget: a quarter of the device's memory as the browser reports it
 * (navigator.deviceMemory, in GiB, which browsers round and cap at 8), or 1 GiB when the
 * browser does not say.
 */
export function defaultBudget(deviceMemoryGiB: number | undefined): number {
  if (!deviceMemoryGiB || !Number.isFinite(deviceMemoryGiB) || deviceMemoryGiB <= 0) return GiB;
  return Math.min(MAX_BUDGET, Math.max(256 * MiB, Math.round((deviceMemoryGiB * GiB) / 4)));
}

interface Holding {
  label: string;
  parts: MemoryParts;
  share: number;
}

export class HostAllocator {
  private budgetBytes: number;
  private readonly vms = new Map<string, Holding>();

  constructor(budgetBytes: number) {
    this.budgetBytes = budgetBytes;
    this.checkBudget(budgetBytes);
  }

  get budget(): number {
    return this.budgetBytes;
  }

  get used(): number {
    let n = 0;
    for (const h of this.vms.values()) n += totalOf(h.parts);
    return n;
  }

  get free(): number {
    return Math.max(0, this.budgetBytes - this.used);
  }

  /** What a VM holds, or undefined. */
  holding(id: string): MemoryParts | undefined {
    const h = this.vms.get(id);
    return h ? { ...h.parts } : undefined;
  }

  ids(): string[] {
    return [...this.vms.keys()];
  }

  private checkBudget(bytes: number): void {
    if (!Number.isFinite(bytes) || bytes < MIN_BUDGET || bytes > MAX_BUDGET) {
      throw new AllocationRefused(
        `the memory budget must be between ${formatBytes(MIN_BUDGET)} and ${formatBytes(MAX_BUDGET)}, got ${formatBytes(Math.max(0, bytes || 0))}`,
      );
    }
  }

  /** Changes the budget; refuses one below what the VMs already hold. */
  setBudget(bytes: number): void {
    this.checkBudget(bytes);
    const used = this.used;
    if (bytes < used) {
      throw new AllocationRefused(
        `cannot lower the budget to ${formatBytes(bytes)}: the VMs hold ${formatBytes(used)}. Destroy a VM first.`,
      );
    }
    this.budgetBytes = bytes;
  }

  /** Reserves memory for a new VM; throws AllocationRefused (and reserves nothing) if it does not fit. */
  reserve(id: string, label: string, parts: MemoryParts, sharePercent = 100): void {
    if (this.vms.has(id)) throw new Error(`VM ${id} already holds memory`);
    this.check(label, parts);
    this.vms.set(id, { label, parts: { ...parts }, share: checkShare(sharePercent) });
  }

  /** Throws AllocationRefused, as reserve() would, if a new VM of `parts` does not fit now. */
  check(label: string, parts: MemoryParts): void {
    for (const v of Object.values(parts)) {
      if (!Number.isFinite(v) || v < 0) throw new AllocationRefused(`invalid memory request for ${label}`);
    }
    const need = totalOf(parts),
      used = this.used;
    if (used + need > this.budgetBytes) {
      throw new AllocationRefused(
        `Not enough memory in the host budget for ${label}: it needs ${formatBytes(need)} (${describeParts(parts)}), ` +
          `${formatBytes(used)} of the ${formatBytes(this.budgetBytes)} budget is in use and ${formatBytes(this.budgetBytes - used)} is free. ` +
          "Give it less memory, destroy a VM, or raise the budget.",
      );
    }
  }

  /**
   * Changes what a VM holds (more RAM, an image inserted); throws AllocationRefused and leaves
   * the old reservation in place if the growth does not fit.
   */
  resize(id: string, parts: Partial<MemoryParts>): void {
    const h = this.vms.get(id);
    if (!h) throw new Error(`VM ${id} holds no memory`);
    const next = { ...h.parts, ...parts };
    const growth = totalOf(next) - totalOf(h.parts);
    const used = this.used;
    if (growth > 0 && used + growth > this.budgetBytes) {
      throw new AllocationRefused(
        `Not enough memory in the host budget for ${h.label} to grow by ${formatBytes(growth)} (to ${describeParts(next)}): ` +
          `${formatBytes(used)} of the ${formatBytes(this.budgetBytes)} budget is in use and ${formatBytes(this.budgetBytes - used)} is free.`,
      );
    }
    h.parts = next;
  }

  release(id: string): void {
    this.vms.delete(id);
  }

  /** Sets a VM's CPU share cap (a whole percent of one host core, 1-100); returns it. */
  setShare(id: string, percent: number): number {
    const h = this.vms.get(id);
    if (!h) throw new Error(`VM ${id} is not allocated`);
    h.share = checkShare(percent);
    return h.share;
  }

  share(id: string): number | undefined {
    return this.vms.get(id)?.share;
  }

  /** Sum of every VM's share, in percent of one core (compare with 100 x host cores). */
  get totalShare(): number {
    let s = 0;
    for (const h of this.vms.values()) s += h.share;
    return s;
  }
}

function checkShare(percent: number): number {
  if (!Number.isFinite(percent) || percent < 1 || percent > 100) {
    throw new AllocationRefused(`a CPU share is a percentage from 1 to 100, got ${percent}`);
  }
  return Math.round(percent);
}
