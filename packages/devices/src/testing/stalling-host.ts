// A simulated host for tests of a PC on the realtime clock: host time is the instructions the
// CPU has executed times a cost per instruction, plus sleeps the test adds (`extraMs`), plus
// stalls at pseudo-random points (a fixed seed): the host thread descheduled, as on a loaded
// machine. A run on it is the same every time, stalls included (docs/time.md).

/**
 * A simulated host for a realtime PC: `ns` host nanoseconds an instruction, plus stalls of
 * `stallMs` (a [min, max] range) every `everyMs` (a range) of host time, at pseudo-random points
 * (a fixed seed). `stalled` is the host time lost to stalls so far.
 */
export function stallingHost(opts: {
  ns: number;
  stallMs: [number, number];
  everyMs: [number, number];
  seed?: number;
}) {
  let seed = opts.seed ?? 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const span = (r: [number, number]) => r[0] + (r[1] - r[0]) * rnd();
  const h = {
    /** The CPU's retired-instruction count: the test points it at the PC once it is built. */
    instructions: () => 0,
    extraMs: 0,
    stalled: 0,
    stalls: 0,
    next: span(opts.everyMs),
    ms(): number {
      const t = (h.instructions() * opts.ns) / 1e6 + h.extraMs;
      if (t < h.next) return t;
      const s = span(opts.stallMs);
      h.extraMs += s;
      h.stalled += s;
      h.stalls++;
      h.next = t + s + span(opts.everyMs);
      return t + s;
    },
  };
  return h;
}
