// The I/O port space (64 Ki ports). Devices declare their ports as data (STYLE.md 2); the bus
// refuses overlapping claims when the machine is wired, splits wide accesses into narrower ones
// when a device only answers bytes, and answers all ones for ports nobody claims.

export interface PortRange {
  /** First port and number of consecutive ports this entry claims. */
  base: number;
  count: number;
  /** Handlers receive the port's offset from base. */
  read8?(offset: number): number;
  write8?(offset: number, value: number): void;
  read16?(offset: number): number;
  write16?(offset: number, value: number): void;
  read32?(offset: number): number;
  write32?(offset: number, value: number): void;
}

/** A device's I/O surface: a name for messages and its port ranges. */
export interface IoSurface {
  name: string;
  ports: PortRange[];
}

export class IoWiringError extends Error {}

export class IoBus {
  /** owner[port] = index into ranges + 1, or 0 when the port is unclaimed. */
  private readonly owner = new Uint16Array(0x10000);
  private readonly ranges: { range: PortRange; device: string }[] = [];

  /** Claims every port range of a device; any overlap with an earlier claim is refused. */
  attach(surface: IoSurface): void {
    for (const r of surface.ports) {
      if (r.base < 0 || r.count <= 0 || r.base + r.count > 0x10000) {
        throw new IoWiringError(`${surface.name}: bad port range 0x${r.base.toString(16)}+${r.count}`);
      }
      for (let p = r.base; p < r.base + r.count; p++) {
        if (this.owner[p] !== 0) {
          const other = this.ranges[this.owner[p] - 1].device;
          throw new IoWiringError(`${surface.name}: port 0x${p.toString(16)} is already claimed by ${other}`);
        }
      }
    }
    for (const r of surface.ports) {
      this.ranges.push({ range: r, device: surface.name });
      this.owner.fill(this.ranges.length, r.base, r.base + r.count);
    }
  }

  /** Name of the device owning a port, or undefined. */
  ownerOf(port: number): string | undefined {
    const o = this.owner[port & 0xffff];
    return o === 0 ? undefined : this.ranges[o - 1].device;
  }

  in8(port: number): number {
    port &= 0xffff;
    const o = this.owner[port];
    if (o === 0) return 0xff;
    const r = this.ranges[o - 1].range;
    const off = port - r.base;
    if (r.read8) return r.read8(off) & 0xff;
    if (r.read16) return (r.read16(off & ~1) >> ((off & 1) * 8)) & 0xff;
    return 0xff;
  }

  in16(port: number): number {
    port &= 0xffff;
    const o = this.owner[port];
    if (o !== 0) {
      const r = this.ranges[o - 1].range;
      if (r.read16 && port + 1 < r.base + r.count) return r.read16(port - r.base) & 0xffff;
    }
    return this.in8(port) | (this.in8(port + 1) << 8);
  }

  in32(port: number): number {
    port &= 0xffff;
    const o = this.owner[port];
    if (o !== 0) {
      const r = this.ranges[o - 1].range;
      if (r.read32 && port + 3 < r.base + r.count) return r.read32(port - r.base) | 0;
    }
    return this.in16(port) | (this.in16(port + 2) << 16);
  }

  out8(port: number, value: number): void {
    port &= 0xffff;
    const o = this.owner[port];
    if (o === 0) return;
    const r = this.ranges[o - 1].range;
    if (r.write8) r.write8(port - r.base, value & 0xff);
  }

  out16(port: number, value: number): void {
    port &= 0xffff;
    const o = this.owner[port];
    if (o !== 0) {
      const r = this.ranges[o - 1].range;
      if (r.write16 && port + 1 < r.base + r.count) {
        r.write16(port - r.base, value & 0xffff);
        return;
      }
    }
    this.out8(port, value);
    this.out8(port + 1, value >> 8);
  }

  out32(port: number, value: number): void {
    port &= 0xffff;
    const o = this.owner[port];
    if (o !== 0) {
      const r = this.ranges[o - 1].range;
      if (r.write32 && port + 3 < r.base + r.count) {
        r.write32(port - r.base, value | 0);
        return;
      }
    }
    this.out16(port, value);
    this.out16(port + 2, value >>> 16);
  }
}
