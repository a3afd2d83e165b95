// A single-producer, single-consumer ring of Ethernet frames in a SharedArrayBuffer: one
// direction of the wire between a VM's worker and the page's LAN worker (lan/). One side only
// pushes, the other only pops; neither ever blocks. A frame that does not fit is dropped and
// counted, as a switch port with a full queue drops (Ethernet may lose frames; TCP resends), so
// the frames in flight are bounded by the ring's size whatever the guests do.
//
// Layout: an Int32 header, then the data bytes (a power of two). Each frame is a 2-byte length
// (little-endian) and its bytes, wrapping at the end of the data. HEAD and TAIL are byte counts
// that run freely and wrap at 2^32, as in rings.ts; the producer writes the bytes before it
// publishes TAIL with Atomics.store, the consumer reads TAIL with Atomics.load before the bytes.
// The producer also counts what it pushed (frames, bytes) and dropped, for the page's LAN panel,
// which reads the counters without taking part.

const HEAD = 0; // bytes consumed (consumer writes)
const TAIL = 1; // bytes produced (producer writes)
const DROPPED = 2; // frames refused: no room
const FRAMES = 3; // frames pushed
const BYTES_LO = 4; // bytes of frames pushed, low and high 32 bits
const BYTES_HI = 5;
const DROPPED_BYTES = 6;
const HEADER_INTS = 8;
const HEADER_BYTES = HEADER_INTS * 4;
const LEN_BYTES = 2;

/** The largest frame a ring takes (an Ethernet frame without its CRC is at most 1514). */
export const MAX_RING_FRAME = 0xffff;

export interface FrameCounts {
  frames: number;
  bytes: number;
  dropped: number;
  droppedBytes: number;
}

export class FrameRing {
  readonly capacity: number;
  private readonly hdr: Int32Array;
  private readonly data: Uint8Array;
  private readonly mask: number;

  static bytesFor(capacity: number): number {
    if (!Number.isInteger(capacity) || capacity < 2048 || (capacity & (capacity - 1)) !== 0 || capacity > 1 << 26)
      throw new RangeError(`frame ring capacity must be a power of two from 2048 to 2^26 bytes, got ${capacity}`);
    return HEADER_BYTES + capacity;
  }

  static create(capacity: number): FrameRing {
    return new FrameRing(new SharedArrayBuffer(FrameRing.bytesFor(capacity)));
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.capacity = buffer.byteLength - HEADER_BYTES;
    FrameRing.bytesFor(this.capacity);
    this.hdr = new Int32Array(buffer, 0, HEADER_INTS);
    this.data = new Uint8Array(buffer, HEADER_BYTES, this.capacity);
    this.mask = this.capacity - 1;
  }

  /** Bytes waiting (frames and their length fields). */
  get used(): number {
    return (Atomics.load(this.hdr, TAIL) - Atomics.load(this.hdr, HEAD)) >>> 0;
  }

  get empty(): boolean {
    return Atomics.load(this.hdr, TAIL) === Atomics.load(this.hdr, HEAD);
  }

  /** What the producer pushed and dropped so far. */
  counts(): FrameCounts {
    const h = this.hdr;
    return {
      frames: Atomics.load(h, FRAMES) >>> 0,
      bytes: (Atomics.load(h, BYTES_HI) >>> 0) * 2 ** 32 + (Atomics.load(h, BYTES_LO) >>> 0),
      dropped: Atomics.load(h, DROPPED) >>> 0,
      droppedBytes: Atomics.load(h, DROPPED_BYTES) >>> 0,
    };
  }

  /** Producer: appends a frame. False, and counted as dropped, when it does not fit. */
  push(frame: Uint8Array): boolean {
    const h = this.hdr,
      len = frame.length;
    if (len === 0 || len > MAX_RING_FRAME) throw new RangeError(`a frame of ${len} bytes`);
    const tail = Atomics.load(h, TAIL);
    const free = this.capacity - ((tail - Atomics.load(h, HEAD)) >>> 0);
    if (free < LEN_BYTES + len) {
      Atomics.add(h, DROPPED, 1);
      Atomics.add(h, DROPPED_BYTES, len);
      return false;
    }
    const d = this.data,
      m = this.mask;
    d[tail & m] = len & 0xff;
    d[(tail + 1) & m] = len >>> 8;
    const at = (tail + LEN_BYTES) & m;
    const first = Math.min(len, this.capacity - at);
    d.set(first === len ? frame : frame.subarray(0, first), at);
    if (first < len) d.set(frame.subarray(first), 0);
    Atomics.store(h, TAIL, (tail + LEN_BYTES + len) | 0);
    Atomics.add(h, FRAMES, 1);
    const lo = (Atomics.load(h, BYTES_LO) >>> 0) + len;
    if (lo >= 2 ** 32) Atomics.add(h, BYTES_HI, 1);
    Atomics.store(h, BYTES_LO, lo | 0);
    return true;
  }

  /** Consumer: the length of the oldest frame, or 0 when empty. */
  peekLength(): number {
    const head = Atomics.load(this.hdr, HEAD);
    if (head === Atomics.load(this.hdr, TAIL)) return 0;
    return this.data[head & this.mask] | (this.data[(head + 1) & this.mask] << 8);
  }

  /**
   * Consumer: takes the oldest frame into `out` (which must hold MAX_RING_FRAME bytes, or at
   * least the largest frame the producer sends) and returns its length; 0 when empty.
   */
  pop(out: Uint8Array): number {
    const h = this.hdr;
    const head = Atomics.load(h, HEAD);
    if (head === Atomics.load(h, TAIL)) return 0;
    const d = this.data,
      m = this.mask;
    const len = d[head & m] | (d[(head + 1) & m] << 8);
    if (len > out.length) throw new RangeError(`a frame of ${len} bytes does not fit a buffer of ${out.length}`);
    const at = (head + LEN_BYTES) & m;
    const first = Math.min(len, this.capacity - at);
    out.set(d.subarray(at, at + first), 0);
    if (first < len) out.set(d.subarray(0, len - first), first);
    Atomics.store(h, HEAD, (head + LEN_BYTES + len) | 0);
    return len;
  }
}
