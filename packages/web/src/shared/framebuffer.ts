// The shared framebuffer: the worker draws the VGA picture into it, the page copies it into a
// canvas. It holds one RGBA picture of up to maxWidth x maxHeight pixels behind an Int32 header:
//
//   SEQ     sequence lock: odd while the worker writes, even when a frame is complete
//   WIDTH, HEIGHT   size of the current picture
//   FRAMES  frames published so far (the page redraws when it changed)
//   TEXT    1 when the picture is a text mode
//   MAX_W, MAX_H    capacity
//
// A sequence lock rather than two buffers: the worker publishes at most 60 frames a second
// and the page's copy takes well under a millisecond, so a copy that overlaps a write is rare;
// the page sees SEQ change and simply takes the next frame.

const SEQ = 0;
const WIDTH = 1;
const HEIGHT = 2;
const FRAMES = 3;
const TEXT = 4;
const MAX_W = 5;
const MAX_H = 6;
const HEADER_BYTES = 32;

/** Largest picture: VGA modes are at most 720x400; Bochs VBE modes later up to 1280x1024. */
export const FB_MAX_WIDTH = 1280;
export const FB_MAX_HEIGHT = 1024;

export interface FrameInfo {
  frame: number;
  width: number;
  height: number;
  text: boolean;
}

export class SharedFramebuffer {
  readonly hdr: Int32Array;
  /** RGBA bytes of the picture, row after row, `width * 4` bytes a row. */
  readonly pixels: Uint8Array;
  readonly maxWidth: number;
  readonly maxHeight: number;

  static bytesFor(maxWidth = FB_MAX_WIDTH, maxHeight = FB_MAX_HEIGHT): number {
    return HEADER_BYTES + maxWidth * maxHeight * 4;
  }

  static create(maxWidth = FB_MAX_WIDTH, maxHeight = FB_MAX_HEIGHT): SharedFramebuffer {
    const sab = new SharedArrayBuffer(SharedFramebuffer.bytesFor(maxWidth, maxHeight));
    const h = new Int32Array(sab, 0, HEADER_BYTES / 4);
    h[MAX_W] = maxWidth;
    h[MAX_H] = maxHeight;
    return new SharedFramebuffer(sab);
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.hdr = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.maxWidth = this.hdr[MAX_W];
    this.maxHeight = this.hdr[MAX_H];
    if (buffer.byteLength < SharedFramebuffer.bytesFor(this.maxWidth, this.maxHeight)) {
      throw new RangeError("framebuffer buffer is smaller than its header says");
    }
    this.pixels = new Uint8Array(buffer, HEADER_BYTES, this.maxWidth * this.maxHeight * 4);
  }

  fits(width: number, height: number): boolean {
    return width > 0 && height > 0 && width <= this.maxWidth && height <= this.maxHeight;
  }

  // ---- Worker side ----

  /** Starts a frame of the given size; returns the pixel bytes to fill (width*height*4). */
  beginWrite(width: number, height: number): Uint8Array {
    if (!this.fits(width, height))
      throw new RangeError(`picture ${width}x${height} exceeds the framebuffer (${this.maxWidth}x${this.maxHeight})`);
    Atomics.add(this.hdr, SEQ, 1); // odd: writing
    Atomics.store(this.hdr, WIDTH, width);
    Atomics.store(this.hdr, HEIGHT, height);
    return this.pixels.subarray(0, width * height * 4);
  }

  /** Publishes the frame begun with beginWrite. */
  endWrite(text: boolean): void {
    Atomics.store(this.hdr, TEXT, text ? 1 : 0);
    Atomics.add(this.hdr, FRAMES, 1);
    Atomics.add(this.hdr, SEQ, 1); // even: complete
  }

  // ---- Page side ----

  get frames(): number {
    return Atomics.load(this.hdr, FRAMES);
  }

  /**
   * Copies the current frame into `target` (RGBA bytes, at least width*height*4) if it is
   * newer than `lastFrame`. Returns null when there is nothing new, the worker was writing,
   * or `target` is too small for the current frame (the caller resizes and tries again).
   */
  readInto(target: Uint8ClampedArray | Uint8Array, lastFrame: number): FrameInfo | null {
    const s1 = Atomics.load(this.hdr, SEQ);
    if (s1 & 1) return null;
    const frame = Atomics.load(this.hdr, FRAMES);
    if (frame === lastFrame) return null;
    const width = Atomics.load(this.hdr, WIDTH),
      height = Atomics.load(this.hdr, HEIGHT);
    const n = width * height * 4;
    if (target.length < n) return null;
    target.set(this.pixels.subarray(0, n));
    const text = Atomics.load(this.hdr, TEXT) === 1;
    if (Atomics.load(this.hdr, SEQ) !== s1) return null; // overwritten while copying
    return { frame, width, height, text };
  }

  /** Size of the current frame without copying it. */
  size(): { width: number; height: number } {
    return { width: Atomics.load(this.hdr, WIDTH), height: Atomics.load(this.hdr, HEIGHT) };
  }
}
