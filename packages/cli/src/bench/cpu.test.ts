// The benchmark program must compute the right answer, or its MIPS mean nothing: a model of
// cpu-bench.asm written in plain TypeScript gives the expected checksum for a few passes.
import { describe, expect, it } from "vitest";
import { CPU_BENCH_IMAGE } from "./cpu-bench-image.ts";
import { runCpuBenchOnce } from "./cpu.ts";

function model(passes: number): number {
  let checksum = 0;
  const buf = new Uint8Array(0x10000);
  const w = (i: number) => buf[i] | (buf[i + 1] << 8);
  const rol16 = (v: number, n: number) => ((v << n) | (v >>> (16 - n))) & 0xffff;
  for (let p = 0; p < passes; p++) {
    buf.fill(0);
    for (let bx = 2; bx < 256; bx++) {
      if (buf[bx] !== 0) continue;
      for (let di = 2 * bx; di < 0x10000; di += bx) buf[di] = 1;
    }
    let primes = 0;
    for (let si = 2; si < 0x10000; si++) if (buf[si] === 0) primes++;
    checksum = (checksum + primes) >>> 0;

    let ax = 0x1234;
    for (let di = 0; di < 0x10000; di += 2) {
      buf[di] = ax & 0xff;
      buf[di + 1] = ax >> 8;
      ax = rol16(ax, 3) ^ di;
    }
    let s1 = 0,
      s2 = 0;
    for (let si = 0; si < 0x10000; si += 2) {
      const t = s1 + w(si);
      s1 = (t & 0xffff) + (t > 0xffff ? 1 : 0);
      s1 &= 0xffff;
      s2 = rol16((s2 + s1) & 0xffff, 1) ^ si;
    }
    const folded = (s1 | (s2 << 16)) >>> 0;
    const x = (checksum ^ folded) >>> 0;
    checksum = ((x << 5) | (x >>> 27)) >>> 0;

    for (let i = 0; i < 0x8000; i++) buf[0x8000 + i] = ~buf[i] & 0xff;
    let diff = 0;
    for (let i = 0; i < 0x8000; i += 2) if (w(i) !== w(0x8000 + i)) diff++;
    checksum = (checksum + diff) >>> 0;

    let eax = 12345n;
    for (let i = 0; i < 20000; i++) {
      const prod = eax * 0x10001n;
      const hi = prod >> 32n,
        lo = prod & 0xffffffffn;
      let q = lo / 7919n;
      const r = lo % 7919n;
      q = (q + hi) & 0xffffffffn;
      q = (q * 31n) & 0xffffffffn;
      eax = ((q + r) & 0xffffffffn & 0xffffffn) + 1n;
    }
    checksum = (checksum + Number(eax)) >>> 0;
  }
  return checksum;
}

/** The image with its pass count (the immediate of `mov word [passes], N`) replaced. */
function withPasses(n: number): Uint8Array {
  const img = CPU_BENCH_IMAGE.slice();
  for (let i = 0; i + 5 < img.length; i++) {
    if (img[i] === 0xc7 && img[i + 1] === 0x06 && img[i + 4] === 200 && img[i + 5] === 0) {
      img[i + 4] = n;
      return img;
    }
  }
  throw new Error("pass count not found in the benchmark image");
}

describe("CPU benchmark program", () => {
  it("computes the checksum its model predicts", () => {
    const r = runCpuBenchOnce(withPasses(2));
    expect(r.checksum).toBe(model(2));
    expect(r.instructions).toBeGreaterThan(2_000_000);
  });
});
