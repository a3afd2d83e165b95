// Single-producer, single-consumer rings in SharedArrayBuffers, for data that flows at a rate
// messages would not keep up with: keyboard, mouse and serial input from the page to a VM's
// worker, and serial output back. One side only writes, the other only reads; neither ever
// blocks. A full ring refuses what does not fit and counts it (the producer decides whether to
// drop or retry), so a guest that stops reading cannot make the page grow without bound.
//
// Layout: an Int32 header [read count, write count, dropped] followed by the slots. The counts
// run freely and wrap at 2^32; their difference is the fill level, so no slot is wasted and
// "full" and "empty" are never confused. The producer fills slots before publishing the write
// count with Atomics.store; the consumer loads it with Atomics.load before reading the slots:
// the atomic pair orders the plain data accesses around it.

const HEAD = 0; // slots consumed so far (the consumer writes)
const TAIL = 1; // slots produced so far (the producer writes)
const DROPPED = 2; // slots the producer could not place
const HEADER_BYTES = 16;

function checkCapacity(capacity: number): void {
  if (!Number.isInteger(capacity) || capacity < 2 || (capacity & (capacity - 1)) !== 0 || capacity > 1 << 28) {
    throw new RangeError(`ring capacity must be a power of two from 2 to 2^28, got ${capacity}`);
  }
}

/** Fixed-size records of Int32 values (input events). */
export class RecordRing {
  readonly capacity: number;
  private readonly hdr: Int32Array;
  private readonly slots: Int32Array;

  static bytesFor(capacity: number, recordInts: number): number {
    checkCapacity(capacity);
    return HEADER_BYTES + capacity * recordInts * 4;
  }

  static create(capacity: number, recordInts: number): RecordRing {
    return new RecordRing(new SharedArrayBuffer(RecordRing.bytesFor(capacity, recordInts)), recordInts);
  }

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly recordInts: number,
  ) {
    this.capacity = (buffer.byteLength - HEADER_BYTES) / (recordInts * 4);
    checkCapacity(this.capacity);
    this.hdr = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.slots = new Int32Array(buffer, HEADER_BYTES, this.capacity * recordInts);
  }

  /** Records waiting to be read. */
  get size(): number {
    return (Atomics.load(this.hdr, TAIL) - Atomics.load(this.hdr, HEAD)) >>> 0;
  }
  get dropped(): number {
    return Atomics.load(this.hdr, DROPPED) >>> 0;
  }

  /** Producer: appends one record (missing values are 0). False, and counted, when full. */
  push(record: ArrayLike<number>): boolean {
    const tail = Atomics.load(this.hdr, TAIL);
    if ((tail - Atomics.load(this.hdr, HEAD)) >>> 0 >= this.capacity) {
      Atomics.add(this.hdr, DROPPED, 1);
      return false;
    }
    const n = this.recordInts,
      at = (tail & (this.capacity - 1)) * n;
    for (let i = 0; i < n; i++) this.slots[at + i] = i < record.length ? record[i] | 0 : 0;
    Atomics.store(this.hdr, TAIL, (tail + 1) | 0);
    return true;
  }

  /** Consumer: takes the oldest record into `out`. False when empty. */
  pop(out: Int32Array): boolean {
    const head = Atomics.load(this.hdr, HEAD);
    if (head === Atomics.load(this.hdr, TAIL)) return false;
    const n = this.recordInts,
      at = (head & (this.capacity - 1)) * n;
    for (let i = 0; i < n; i++) out[i] = this.slots[at + i];
    Atomics.store(this.hdr, HEAD, (head + 1) | 0);
    return true;
  }
}

/** A byte stream (serial output). */
export class ByteRing {
  readonly capacity: number;
  private readonly hdr: Int32Array;
  private readonly data: Uint8Array;

  static bytesFor(capacity: number): number {
    checkCapacity(capacity);
    return HEADER_BYTES + capacity;
  }

  static create(capacity: number): ByteRing {
    return new ByteRing(new SharedArrayBuffer(ByteRing.bytesFor(capacity)));
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.capacity = buffer.byteLength - HEADER_BYTES;
    checkCapacity(this.capacity);
    this.hdr = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.data = new Uint8Array(buffer, HEADER_BYTES, this.capacity);
  }

  get size(): number {
    return (Atomics.load(this.hdr, TAIL) - Atomics.load(this.hdr, HEAD)) >>> 0;
  }
  /** Bytes the producer could not place because the consumer had fallen behind. */
  get dropped(): number {
    return Atomics.load(this.hdr, DROPPED) >>> 0;
  }

  /** Producer: appends what fits of `bytes`; the rest is counted as dropped. Returns bytes written. */
  write(bytes: ArrayLike<number>): number {
    const tail = Atomics.load(this.hdr, TAIL);
    const free = this.capacity - ((tail - Atomics.load(this.hdr, HEAD)) >>> 0);
    const n = Math.min(free, bytes.length);
    const mask = this.capacity - 1;
    for (let i = 0; i < n; i++) this.data[(tail + i) & mask] = bytes[i];
    if (n < bytes.length) Atomics.add(this.hdr, DROPPED, bytes.length - n);
    if (n > 0) Atomics.store(this.hdr, TAIL, (tail + n) | 0);
    return n;
  }

  /** Producer: appends one byte. */
  writeByte(byte: number): boolean {
    const tail = Atomics.load(this.hdr, TAIL);
    if ((tail - Atomics.load(this.hdr, HEAD)) >>> 0 >= this.capacity) {
      Atomics.add(this.hdr, DROPPED, 1);
      return false;
    }
    this.data[tail & (this.capacity - 1)] = byte;
    Atomics.store(this.hdr, TAIL, (tail + 1) | 0);
    return true;
  }

  /** Consumer: takes up to `max` bytes (all waiting by default). */
  read(max = Infinity): Uint8Array {
    const head = Atomics.load(this.hdr, HEAD);
    const n = Math.min(max, (Atomics.load(this.hdr, TAIL) - head) >>> 0);
    const out = new Uint8Array(n);
    const mask = this.capacity - 1;
    for (let i = 0; i < n; i++) out[i] = this.data[(head + i) & mask];
    if (n > 0) Atomics.store(this.hdr, HEAD, (head + n) | 0);
    return out;
  }
}
