// The split virtqueue's device side (virtqueue.ts) against rings a test driver lays out in
// guest memory: the legacy layout, chains of readable then writable buffers read and written
// as one stream, the used ring, 16-bit index wrap, and every malformed ring refused.
import { describe, expect, it } from "vitest";
import { PhysicalMemory } from "@x86vm/core";
import {
  DescChain,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VirtioError,
  Virtqueue,
  legacyQueueBytes,
} from "./virtqueue.ts";

const NUM = 8;
const PFN = 0x10;

function rig() {
  const mem = new PhysicalMemory(1 << 20);
  const q = new Virtqueue(mem, NUM);
  q.setLegacyPfn(PFN);
  let avail = 0;
  /** Writes descriptor i. */
  const desc = (i: number, addr: number, len: number, flags: number, next = 0) => {
    const d = q.desc + 16 * i;
    mem.write32(d, addr);
    mem.write32(d + 4, 0);
    mem.write32(d + 8, len);
    mem.write16(d + 12, flags);
    mem.write16(d + 14, next);
  };
  /** Makes chain `head` available. */
  const offer = (head: number) => {
    mem.write16(q.avail + 4 + 2 * (avail % NUM), head);
    avail = (avail + 1) & 0xffff;
    mem.write16(q.avail + 2, avail);
  };
  const setAvail = (n: number) => {
    avail = n;
    mem.write16(q.avail + 2, n);
  };
  return { mem, q, desc, offer, setAvail };
}

describe("a split virtqueue", () => {
  it("lies where the legacy interface puts it: table, available ring, used ring on the next page", () => {
    const { q } = rig();
    expect(q.desc).toBe(PFN * 4096);
    expect(q.avail).toBe(PFN * 4096 + 16 * NUM);
    expect(q.used).toBe(PFN * 4096 + 4096);
    expect(q.legacyPfn()).toBe(PFN);
    expect(legacyQueueBytes(256)).toBe(3 * 4096); // 4 KiB table + ring page, used ring page
    q.setLegacyPfn(0);
    expect(q.ready).toBe(false);
    expect(q.legacyPfn()).toBe(0);
    expect(() => new Virtqueue(new PhysicalMemory(1 << 20), 6)).toThrow(/power of two/);
  });

  it("takes a chain of readable then writable buffers and reads and writes them as one stream", () => {
    const { mem, q, desc, offer } = rig();
    desc(3, 0x1000, 4, VIRTQ_DESC_F_NEXT, 5);
    desc(5, 0x2000, 6, VIRTQ_DESC_F_NEXT, 1);
    desc(1, 0x3000, 3, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 7);
    desc(7, 0x4000, 100, VIRTQ_DESC_F_WRITE);
    for (let i = 0; i < 10; i++) mem.write8((i < 4 ? 0x1000 : 0x2000 - 4) + i, 0x40 + i);
    offer(3);
    expect(q.pending()).toBe(1);
    const c = new DescChain(NUM);
    expect(q.pop(c)).toBe(true);
    expect(q.pending()).toBe(0);
    expect(c.head).toBe(3);
    expect(c.count).toBe(4);
    expect(c.readLength).toBe(10);
    expect(c.writeLength).toBe(103);
    const got = new Uint8Array(10);
    expect(q.read(c, 2, got, 0, 10)).toBe(8); // from byte 2, across the two buffers, to their end
    expect([...got.subarray(0, 8)]).toEqual([0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49]);
    const src = Uint8Array.from({ length: 6 }, (_, i) => 0xa0 + i);
    expect(q.write(c, 1, src, 0, 6)).toBe(6); // 2 bytes in the 3-byte buffer, 4 in the next
    expect([mem.read8(0x3000), mem.read8(0x3001), mem.read8(0x3002)]).toEqual([0, 0xa0, 0xa1]);
    expect([mem.read8(0x4000), mem.read8(0x4003)]).toEqual([0xa2, 0xa5]);
    q.push(c.head, 7);
    expect(mem.read16(q.used + 2)).toBe(1);
    expect(mem.read32(q.used + 4)).toBe(3);
    expect(mem.read32(q.used + 8)).toBe(7);
    expect(q.pop(c)).toBe(false);
  });

  it("leaves a peeked chain in place, and wraps its 16-bit indices", () => {
    const { mem, q, desc, offer, setAvail } = rig();
    q.lastAvail = 0xffff;
    q.usedIdx = 0xffff;
    setAvail(0xffff);
    desc(0, 0x1000, 16, VIRTQ_DESC_F_WRITE);
    desc(1, 0x1100, 16, VIRTQ_DESC_F_WRITE);
    offer(0);
    offer(1);
    expect(mem.read16(q.avail + 2)).toBe(1);
    expect(q.pending()).toBe(2);
    const c = new DescChain(NUM);
    expect(q.peek(c)).toBe(true);
    expect(q.pending()).toBe(2);
    expect(q.pop(c)).toBe(true);
    expect(c.head).toBe(0);
    expect(q.lastAvail).toBe(0);
    q.push(0, 16);
    expect(q.usedIdx).toBe(0);
    // Entry 0xffff % 8 = 7 of the used ring.
    expect(mem.read32(q.used + 4 + 8 * 7)).toBe(0);
    expect(mem.read32(q.used + 4 + 8 * 7 + 4)).toBe(16);
    expect(q.pop(c)).toBe(true);
    expect(c.head).toBe(1);
  });

  it("says whether the driver wants no interrupts", () => {
    const { mem, q } = rig();
    expect(q.interruptSuppressed()).toBe(false);
    mem.write16(q.avail, VIRTQ_AVAIL_F_NO_INTERRUPT);
    expect(q.interruptSuppressed()).toBe(true);
  });

  it("refuses malformed rings with a VirtioError", () => {
    const c = new DescChain(NUM);
    const bad = (setup: (r: ReturnType<typeof rig>) => void, msg: RegExp) => {
      const r = rig();
      setup(r);
      expect(() => r.q.pop(c)).toThrow(VirtioError);
      expect(() => r.q.pop(c)).toThrow(msg);
    };
    bad((r) => r.offer(NUM), /names descriptor 8/);
    bad((r) => {
      r.desc(0, 0x1000, 4, VIRTQ_DESC_F_NEXT, 1);
      r.desc(1, 0x1000, 4, VIRTQ_DESC_F_NEXT, 0);
      r.offer(0);
    }, /loops/);
    bad((r) => {
      r.desc(0, 0x1000, 4, VIRTQ_DESC_F_NEXT, 9);
      r.offer(0);
    }, /links to 9/);
    bad((r) => {
      r.desc(0, 0x1000, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
      r.desc(1, 0x1000, 4, 0);
      r.offer(0);
    }, /readable but follows a writable/);
    bad((r) => {
      r.desc(0, 0x1000, 16, VIRTQ_DESC_F_INDIRECT);
      r.offer(0);
    }, /indirect/);
    bad((r) => {
      r.desc(0, 0x1000, 4, 0);
      r.mem.write32(r.q.desc + 4, 1); // address above 4 GiB
      r.offer(0);
    }, /above 4 GiB/);
    bad((r) => r.setAvail(NUM + 1), /holds 9 entries/);
  });
});
