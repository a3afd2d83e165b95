// The device's side of a split virtqueue (OASIS "Virtual I/O Device (VIRTIO) Version 1.1",
// 2.6 "Split Virtqueues"): the descriptor table, the available ring the driver fills and the
// used ring the device fills, all in guest memory. A transport (virtio-pci.ts) sets where the
// three parts are; a device pops descriptor chains from the available ring, reads or writes
// their buffers, and pushes each chain's head to the used ring with the bytes it wrote.
//
// Layout (little-endian, as the legacy interface on x86 and every modern device use):
//   descriptor i at desc + 16 i: addr (u64), len (u32), flags (u16: NEXT, WRITE, INDIRECT), next (u16)
//   avail: flags (u16: NO_INTERRUPT), idx (u16), ring[num] (u16 heads), used_event (u16)
//   used:  flags (u16: NO_NOTIFY), idx (u16), ring[num] of { id (u32), len (u32) }, avail_event (u16)
//
// Key design choices:
//  - A chain is read into a preallocated DescChain (buffer addresses and lengths, the readable
//    ones first as the spec requires): no allocation per request.
//  - A malformed ring (a head or next index out of range, a loop, a readable buffer after a
//    writable one, an indirect table that was not negotiated, a buffer above 4 GiB) throws
//    VirtioError; the transport then stops the device until the driver resets it (the spec's
//    DEVICE_NEEDS_RESET).
//  - Neither VIRTIO_F_EVENT_IDX nor indirect descriptors are offered, so used_event,
//    avail_event and indirect tables are not read; NO_INTERRUPT in the available ring's flags
//    is honoured (the spec's "should").

import { bool, record, u16, u32 } from "@x86vm/core";

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
/** Bytes of one descriptor. */
export const VIRTQ_DESC_SIZE = 16;
/** The legacy interface's alignment of the used ring and page size of the queue address. */
export const VIRTIO_LEGACY_ALIGN = 4096;

/** Guest physical memory as a device sees it (PhysicalMemory satisfies it). */
export interface GuestMemory {
  read8(addr: number): number;
  write8(addr: number, value: number): void;
  read16(addr: number): number;
  write16(addr: number, value: number): void;
  read32(addr: number): number;
  write32(addr: number, value: number): void;
}

/** A driver broke the ring's rules: the device stops until it is reset. */
export class VirtioError extends Error {}

/** One descriptor chain taken from the available ring. */
export class DescChain {
  /** Index of its first descriptor (what goes back in the used ring). */
  head = 0;
  /** Buffers in chain order: the device-readable ones, then the device-writable ones. */
  count = 0;
  readonly addr: Uint32Array;
  readonly len: Uint32Array;
  readonly writable: Uint8Array;
  /** Total bytes of the readable buffers and of the writable ones. */
  readLength = 0;
  writeLength = 0;

  constructor(maxBuffers: number) {
    this.addr = new Uint32Array(maxBuffers);
    this.len = new Uint32Array(maxBuffers);
    this.writable = new Uint8Array(maxBuffers);
  }
}

/** Bytes the legacy interface's queue takes for `num` entries: ring parts, the used ring page aligned. */
export function legacyQueueBytes(num: number): number {
  const align = (n: number) => (n + VIRTIO_LEGACY_ALIGN - 1) & ~(VIRTIO_LEGACY_ALIGN - 1);
  return align(VIRTQ_DESC_SIZE * num + 6 + 2 * num) + align(6 + 8 * num);
}

export class Virtqueue {
  /** Entries of the descriptor table and rings (the device's size; the legacy driver must take it). */
  readonly num: number;
  /** Guest-physical addresses of the three parts. */
  desc = 0;
  avail = 0;
  used = 0;
  /** The driver has placed the queue (the legacy interface: a nonzero page number). */
  ready = false;
  /** The next available ring entry the device reads (free-running 16-bit). */
  lastAvail = 0;
  /** The device's used ring index (free-running 16-bit). */
  usedIdx = 0;

  constructor(
    private readonly mem: GuestMemory,
    num: number,
  ) {
    if (!Number.isInteger(num) || num < 1 || num > 32768 || (num & (num - 1)) !== 0)
      throw new RangeError(`a virtqueue's size is a power of two up to 32768, not ${num}`);
    this.num = num;
  }

  /**
   * The legacy interface's QUEUE_PFN: the queue's page number (0: the queue is taken away). The
   * descriptor table starts there, the available ring follows it, and the used ring starts at
   * the next 4 KiB boundary.
   */
  setLegacyPfn(pfn: number): void {
    this.reset();
    if (pfn === 0) return;
    const base = pfn * VIRTIO_LEGACY_ALIGN;
    if (base + legacyQueueBytes(this.num) > 0x1_0000_0000)
      throw new VirtioError(`queue page ${pfn.toString(16)}h lies above 4 GiB`);
    this.desc = base;
    this.avail = base + VIRTQ_DESC_SIZE * this.num;
    const end = this.avail + 6 + 2 * this.num;
    this.used = (end + VIRTIO_LEGACY_ALIGN - 1) & ~(VIRTIO_LEGACY_ALIGN - 1);
    this.ready = true;
  }

  /** The legacy QUEUE_PFN read back. */
  legacyPfn(): number {
    return this.ready ? Math.floor(this.desc / VIRTIO_LEGACY_ALIGN) : 0;
  }

  /** Back to unplaced, indices at 0 (device reset). */
  reset(): void {
    this.desc = this.avail = this.used = 0;
    this.ready = false;
    this.lastAvail = 0;
    this.usedIdx = 0;
  }

  /** Chains the driver has made available that the device has not taken. Throws on an impossible count. */
  pending(): number {
    if (!this.ready) return 0;
    const n = (this.mem.read16(this.avail + 2) - this.lastAvail) & 0xffff;
    if (n > this.num) throw new VirtioError(`the available ring holds ${n} entries, more than its ${this.num}`);
    return n;
  }

  /** Whether the driver asked for no interrupts when buffers are used (VIRTQ_AVAIL_F_NO_INTERRUPT). */
  interruptSuppressed(): boolean {
    return (this.mem.read16(this.avail) & VIRTQ_AVAIL_F_NO_INTERRUPT) !== 0;
  }

  /**
   * Reads the next available chain into `chain` without taking it (the device may decide to
   * leave it, e.g. a receive buffer too small). False when none is available.
   */
  peek(chain: DescChain): boolean {
    if (this.pending() === 0) return false;
    const mem = this.mem,
      num = this.num;
    const head = mem.read16(this.avail + 4 + 2 * (this.lastAvail % num));
    if (head >= num) throw new VirtioError(`available ring names descriptor ${head}, beyond the table's ${num}`);
    chain.head = head;
    chain.count = 0;
    chain.readLength = 0;
    chain.writeLength = 0;
    let i = head;
    for (;;) {
      if (chain.count >= num || chain.count >= chain.addr.length)
        throw new VirtioError(`descriptor chain from ${head} loops or is longer than the table`);
      const d = this.desc + VIRTQ_DESC_SIZE * i;
      const lo = mem.read32(d) >>> 0,
        hi = mem.read32(d + 4) >>> 0,
        len = mem.read32(d + 8) >>> 0,
        flags = mem.read16(d + 12),
        next = mem.read16(d + 14);
      if (flags & VIRTQ_DESC_F_INDIRECT) throw new VirtioError(`descriptor ${i} is indirect, which was not negotiated`);
      if (hi !== 0 || lo + len > 0x1_0000_0000) throw new VirtioError(`descriptor ${i}'s buffer lies above 4 GiB`);
      const w = (flags & VIRTQ_DESC_F_WRITE) !== 0;
      if (!w && chain.writeLength > 0) throw new VirtioError(`descriptor ${i} is readable but follows a writable one`);
      chain.addr[chain.count] = lo;
      chain.len[chain.count] = len;
      chain.writable[chain.count] = w ? 1 : 0;
      chain.count++;
      if (w) chain.writeLength += len;
      else chain.readLength += len;
      if (!(flags & VIRTQ_DESC_F_NEXT)) break;
      if (next >= num) throw new VirtioError(`descriptor ${i} links to ${next}, beyond the table's ${num}`);
      i = next;
    }
    return true;
  }

  /** Takes the next available chain into `chain`; false when none is available. */
  pop(chain: DescChain): boolean {
    if (!this.peek(chain)) return false;
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    return true;
  }

  /** Returns a chain to the driver: its head and the bytes the device wrote into it. */
  push(head: number, written: number): void {
    const e = this.used + 4 + 8 * (this.usedIdx % this.num);
    this.mem.write32(e, head);
    this.mem.write32(e + 4, written);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    this.mem.write16(this.used + 2, this.usedIdx); // after the entry: the driver reads idx first
  }

  /** Copies up to `length` bytes of the chain's readable buffers, from byte `offset` of them, into dst at `at`. */
  read(chain: DescChain, offset: number, dst: Uint8Array, at: number, length: number): number {
    let done = 0;
    for (let k = 0; k < chain.count && done < length; k++) {
      if (chain.writable[k]) break;
      const len = chain.len[k];
      if (offset >= len) {
        offset -= len;
        continue;
      }
      const n = Math.min(len - offset, length - done),
        a = chain.addr[k] + offset;
      for (let j = 0; j < n; j++) dst[at + done + j] = this.mem.read8(a + j);
      done += n;
      offset = 0;
    }
    return done;
  }

  /** Copies `length` bytes of src from `at` into the chain's writable buffers from byte `offset` of them. */
  write(chain: DescChain, offset: number, src: Uint8Array, at: number, length: number): number {
    let done = 0;
    for (let k = 0; k < chain.count && done < length; k++) {
      if (!chain.writable[k]) continue;
      const len = chain.len[k];
      if (offset >= len) {
        offset -= len;
        continue;
      }
      const n = Math.min(len - offset, length - done),
        a = chain.addr[k] + offset;
      for (let j = 0; j < n; j++) this.mem.write8(a + j, src[at + done + j]);
      done += n;
      offset = 0;
    }
    return done;
  }
}

/** A queue's saved fields (a record() kind): where it lies and how far each side has come. */
export function virtqueueState(maxNum: number) {
  return record({
    fields: {
      desc: u32,
      avail: u32,
      used: u32,
      ready: bool,
      lastAvail: u16,
      usedIdx: u16,
    },
    check(v, fail) {
      if (((v.lastAvail - v.usedIdx) & 0xffff) > maxNum)
        fail("the device used more chains than it took, or holds more than the queue");
    },
  });
}
