// Linux's TSC calibration against the PIT, on the realtime clock, with a host that stalls.
// A boot sector does what pit_calibrate_tsc (arch/x86/kernel/tsc.c) does, 64 times with
// interrupts off: counter 2 in mode 0 for 10 ms, then a loop that polls OUT2 through port 61h
// and reads the TSC, keeping the smallest and largest difference between two readings and
// the number of loops. Linux discards the result if the loop ran fewer than 1000 times or the
// largest difference is more than ten times the smallest (a disturbance), and tries three times
// before it gives up: "tsc: Unable to calibrate against PIT".
//
// The host is simulated, so the run is the same every time: the CPU takes 30 host ns an
// instruction and the host is descheduled for 20-200 ms every 5-50 ms of host time (a fifth of the CPU) (a host
// under heavy load), during runs of the CPU and between them. A stall is host time the guest
// did not see; its clock catches up afterwards. It must not see the stall as a sudden change
// of its CPU's speed against its own timers (docs/time.md).
import { describe, expect, it } from "vitest";
import { MemoryDisk } from "@x86vm/core";
import { PcMachine } from "./pc.ts";
import { stallingHost } from "../testing/stalling-host.ts";

// nasm, org 0x7c00 (the loop at "poll" is pit_calibrate_tsc's):
//   cli / xor ax,ax / mov ds,ax / mov si,0x1000 / mov cx,64
// again: in al,0x61 / and al,0xfd / or al,1 / out 0x61,al    ; gate 2 high, speaker off
//   mov al,0xb0 / out 0x43,al                                 ; counter 2, LSB/MSB, mode 0
//   mov al,0x9c / out 0x42,al / mov al,0x2e / out 0x42,al     ; 11932 clocks: 10 ms
//   rdtsc / mov ebp,eax / mov edi,eax
//   mov dword [si],0xffffffff / mov dword [si+4],0 / mov dword [si+8],0
// poll: in al,0x61 / test al,0x20 / jnz done
//   rdtsc / mov ebx,eax / sub eax,edi / mov edi,ebx
//   cmp eax,[si] / jae .1 / mov [si],eax
// .1: cmp eax,[si+4] / jbe .2 / mov [si+4],eax
// .2: inc dword [si+8] / jmp poll
// done: sub edi,ebp / mov [si+12],edi / add si,16 / loop again
//   mov dword [0x0ff0],0x600dca1 / hlt / jmp $
const CODE = [
  0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0xbe, 0x00, 0x10, 0xb9, 0x40, 0x00, 0xe4, 0x61, 0x24, 0xfd, 0x0c, 0x01, 0xe6, 0x61,
  0xb0, 0xb0, 0xe6, 0x43, 0xb0, 0x9c, 0xe6, 0x42, 0xb0, 0x2e, 0xe6, 0x42, 0x0f, 0x31, 0x66, 0x89, 0xc5, 0x66, 0x89,
  0xc7, 0x66, 0xc7, 0x04, 0xff, 0xff, 0xff, 0xff, 0x66, 0xc7, 0x44, 0x04, 0x00, 0x00, 0x00, 0x00, 0x66, 0xc7, 0x44,
  0x08, 0x00, 0x00, 0x00, 0x00, 0xe4, 0x61, 0xa8, 0x20, 0x75, 0x23, 0x0f, 0x31, 0x66, 0x89, 0xc3, 0x66, 0x29, 0xf8,
  0x66, 0x89, 0xdf, 0x66, 0x3b, 0x04, 0x73, 0x03, 0x66, 0x89, 0x04, 0x66, 0x3b, 0x44, 0x04, 0x76, 0x04, 0x66, 0x89,
  0x44, 0x04, 0x66, 0xff, 0x44, 0x08, 0xeb, 0xd7, 0x66, 0x29, 0xef, 0x66, 0x89, 0x7c, 0x0c, 0x83, 0xc6, 0x10, 0xe2,
  0x98, 0x66, 0xc7, 0x06, 0xf0, 0x0f, 0xa1, 0xdc, 0x00, 0x06, 0xf4, 0xeb, 0xfe,
];
const RESULTS = 0x1000,
  DONE = 0x0ff0,
  COUNT_AT = 9;

function calibrate(host: ReturnType<typeof stallingHost> | null, count: number) {
  const bytes = new Uint8Array(1474560);
  bytes.set(CODE);
  bytes[COUNT_AT] = count; // mov cx, count
  bytes[510] = 0x55;
  bytes[511] = 0xaa;
  const pc = new PcMachine({
    memoryMiB: 16,
    clock: host ? "realtime" : "deterministic",
    hostMs: host ? () => host.ms() : undefined,
    fda: new MemoryDisk(bytes, true),
  });
  if (host) host.instructions = () => pc.machine.cpu.retired();
  const mem = pc.machine.mem;
  for (let i = 0; i < 20_000 && mem.read32(DONE) !== 0x600dca1; i++) {
    const r = pc.run(10e6 * Math.max(1, pc.machine.clock.catchUp));
    if (r.kind === "idle" && host) host.extraMs += Math.max(0, (r.untilNs - pc.machine.clock.hostNow()) / 1e6);
    else if (r.kind !== "ran" && r.kind !== "halted-forever") throw new Error(r.kind);
  }
  expect(mem.read32(DONE)).toBe(0x600dca1);
  return Array.from({ length: count }, (_, i) => {
    const at = RESULTS + 16 * i;
    const min = mem.read32(at) >>> 0,
      max = mem.read32(at + 4) >>> 0,
      loops = mem.read32(at + 8) >>> 0,
      ticks = mem.read32(at + 12) >>> 0;
    // Linux's verdict (pit_calibrate_tsc), and the TSC's frequency it finds: ticks in 10 ms.
    return { min, max, loops, mhz: ticks / 10e3, ok: loops >= 1000 && max <= 10 * min };
  });
}

describe("TSC calibration against the PIT (Linux's pit_calibrate_tsc)", () => {
  it("finds the nominal 1000 MHz on the deterministic clock", () => {
    for (const c of calibrate(null, 4)) {
      expect(c.ok).toBe(true);
      expect(c.mhz).toBeCloseTo(1000, 0);
    }
  });

  it("finds it on the realtime clock with a host taking 1 us an instruction (cold code on a loaded host)", () => {
    // The guest sees a CPU of at least 4 MIPS (MAX_RATE_NS) and falls behind instead; its clock
    // jumps to the host's past a second of lag, between calibrations or (rarely) inside one.
    const host = stallingHost({ ns: 1000, stallMs: [0, 0], everyMs: [1e9, 1e9] });
    const results = calibrate(host, 16);
    expect(results.filter((c) => c.ok).length).toBeGreaterThanOrEqual(14);
    for (const c of results) expect(c.loops).toBeGreaterThan(2000);
  });

  it("finds it on the realtime clock with a host stalled 20-200 ms every 5-50 ms: every calibration passes", () => {
    const host = stallingHost({ ns: 30, stallMs: [20, 200], everyMs: [5, 50], seed: 3 });
    const results = calibrate(host, 64);
    expect(host.stalls).toBeGreaterThan(4); // the stalls fell during the calibrations
    for (const c of results) {
      expect(c, JSON.stringify(c)).toMatchObject({ ok: true });
      // The PIT's 10 ms are 10 ms of the guest's clock: the TSC agrees within its own granularity.
      expect(Math.abs(c.mhz - 1000)).toBeLessThan(1);
    }
  });
});
