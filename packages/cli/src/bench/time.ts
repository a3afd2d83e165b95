// `pnpm bench:time`: does a busy Linux guest keep time on the realtime clock? Boots the
// reference guest (vm images) with 128 MiB on the realtime clock, prints what its kernel says
// of the TSC (dmesg) and /proc/cpuinfo's cpu MHz, starts a busy loop in the guest's shell, then
// for each CPU share measures how far the guest's `date` (its CLOCK_REALTIME, read to the
// microsecond with busybox's adjtimex; the host's time is taken when its answer arrives, so a
// slow guest adds its answer's latency, reported) drifts from the host's clock over the given
// seconds, and how far the kernel's own clock does, measured precisely with a line written to
// /dev/kmsg (stamped by the kernel and printed on the console within the write). One JSON line each. A benchmark, not a test: the drift
// is a figure to report (docs/time.md).
//
// The CPU share is applied as the web worker applies it (packages/web/src/worker/runner.ts):
// after a slice that kept the host busy B ms, a VM capped at S percent sleeps B * (100 - S) / S.

import fs from "node:fs";
import path from "node:path";
import { PcMachine } from "@x86vm/devices";
import { linuxGuestDir } from "./boot.ts";

/** Machine time of one slice (the worker's SLICE_NS), stretched while the guest catches up. */
const SLICE_NS = 10e6;
const MAX_SLEEP_MS = 50;
const MAX_DEBT_MS = 1000;

export interface TimeBenchOptions {
  seconds: number;
  shares: readonly number[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The guest, its COM1 output, and a host loop that runs it at a CPU share. */
class Guest {
  serial = "";
  private input: number[] = [];
  private debtMs = 0;
  private turns = 0;
  share = 100;

  constructor(readonly pc: PcMachine) {
    pc.machine.cpu.jit.compileMode = "async";
    pc.uarts[0].onTransmit = (b) => {
      this.serial += String.fromCharCode(b);
    };
  }

  /** One turn of the host loop: a slice, then the sleep the share or an idle guest asks for. */
  private async turn(): Promise<void> {
    const pc = this.pc,
      uart = pc.uarts[0];
    if (this.input.length > 0) {
      const n = Math.min(this.input.length, uart.rxFree());
      if (n > 0) uart.receive(this.input.splice(0, n));
    }
    if (this.debtMs >= 1) {
      const t = performance.now();
      await sleep(Math.min(this.debtMs, MAX_SLEEP_MS));
      this.debtMs -= performance.now() - t;
      return;
    }
    const t0 = performance.now();
    const r = pc.run(SLICE_NS * Math.max(1, pc.machine.clock.catchUp));
    const busy = performance.now() - t0;
    if (r.kind === "shutdown" || r.kind === "halted-forever" || r.kind === "no-boot")
      throw new Error(`the guest stopped: ${r.kind}`);
    if (this.share < 100) this.debtMs = Math.min(MAX_DEBT_MS, this.debtMs + (busy * (100 - this.share)) / this.share);
    if (r.kind === "idle") {
      const t = performance.now();
      const wait = Math.min((r.untilNs - pc.machine.clock.now()) / 1e6, MAX_SLEEP_MS);
      if (wait > 0.25) await sleep(wait);
      this.debtMs = Math.max(0, this.debtMs - (performance.now() - t));
    } else if (pc.machine.cpu.jit.pending > 0 || ++this.turns % 16 === 0) await new Promise((r) => setImmediate(r));
  }

  /** Runs until `text` appears in COM1's output after `from`; returns where it ends. */
  async waitFor(text: string, from: number, timeoutS = 300): Promise<number> {
    const end = performance.now() + timeoutS * 1000;
    for (;;) {
      const at = this.serial.indexOf(text, from);
      if (at >= 0) return at + text.length;
      if (performance.now() > end) throw new Error(`timeout waiting for ${JSON.stringify(text)}`);
      await this.turn();
    }
  }

  /** Types a shell command and returns its output (up to the next prompt). */
  async shell(command: string): Promise<string> {
    const from = this.serial.length;
    for (const ch of `${command}\n`) this.input.push(ch.charCodeAt(0));
    const start = await this.waitFor("\n", from);
    const end = await this.waitFor("# ", start);
    // The output: up to the prompt's line ("/ # ").
    const text = this.serial.slice(start, end).replace(/\r/g, "");
    return text.slice(0, text.lastIndexOf("\n") + 1);
  }

  /**
   * The guest's clock against the host's: the guest's CLOCK_REALTIME, the clock `date` shows,
   * to the microsecond (busybox's date has no %N; its adjtimex prints time.tv_sec and tv_usec);
   * the host's wall clock is taken as the line arrives.
   */
  async stamp(): Promise<{ host: number; date: number; latency: number }> {
    const from = this.serial.length;
    const t0 = Date.now();
    for (const ch of "adjtimex\n") this.input.push(ch.charCodeAt(0));
    const at = await this.waitFor("time.tv_usec:", from);
    const lineEnd = await this.waitFor("\n", at);
    const host = Date.now() / 1000;
    const end = await this.waitFor("# ", lineEnd);
    const text = this.serial.slice(from, end);
    const sec = /time\.tv_sec:\s*(\d+)/.exec(text),
      usec = /time\.tv_usec:\s*(\d+)/.exec(text);
    if (!sec || !usec) throw new Error(`cannot read the guest's time from ${JSON.stringify(text)}`);
    return { host, date: Number(sec[1]) + Number(usec[1]) / 1e6, latency: host - t0 / 1000 };
  }

  /**
   * The guest kernel's clock against the host's, precisely: a line written to /dev/kmsg (by the
   * shell's builtin echo, no process started) is stamped by the kernel's clock and printed on
   * the serial console during the write; the host's wall clock is taken as it arrives.
   */
  async stampKernel(): Promise<{ host: number; kernel: number }> {
    const from = this.serial.length;
    for (const ch of "echo TIMEPROBE > /dev/kmsg\n") this.input.push(ch.charCodeAt(0));
    const re = /\[\s*(\d+\.\d+)\] TIMEPROBE/;
    for (;;) {
      const m = re.exec(this.serial.slice(from));
      if (m) {
        const host = Date.now() / 1000;
        await this.waitFor("# ", from + m.index);
        return { host, kernel: Number(m[1]) };
      }
      await this.turn();
    }
  }

  /** Runs the host loop for `ms` of host time. */
  async runFor(ms: number): Promise<void> {
    const end = performance.now() + ms;
    while (performance.now() < end) await this.turn();
  }
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export async function runTimeBench(opts: TimeBenchOptions, out: (line: string) => void): Promise<void> {
  const dir = linuxGuestDir();
  const kernelFile = path.join(dir, "bzImage"),
    initrdFile = path.join(dir, "initrd.gz");
  if (!fs.existsSync(kernelFile) || !fs.existsSync(initrdFile))
    throw new Error(`the Linux guest is not in ${dir}: run pnpm images first`);
  const pc = new PcMachine({
    memoryMiB: 128,
    clock: "realtime",
    hostMs: () => performance.now(),
    startTimeMs: Date.now(),
    linux: {
      kernel: new Uint8Array(fs.readFileSync(kernelFile)),
      initrd: new Uint8Array(fs.readFileSync(initrdFile)),
      cmdline: "console=ttyS0",
    },
  });
  const g = new Guest(pc);
  const t0 = performance.now();
  const clock = pc.machine.clock;
  // TIME_BENCH_TRACE=ms: the clock's state on stderr every ms (diagnostics).
  const traceMs = Number(process.env.TIME_BENCH_TRACE) || 0;
  const diag = setInterval(() => {
    if (traceMs > 0)
      console.error(
        `${((performance.now() - t0) / 1000).toFixed(2)}s guest ${(clock.now() / 1e9).toFixed(2)}s lag ${(clock.lag() / 1e6).toFixed(0)}ms lost ${(clock.lostNs / 1e6).toFixed(0)}ms speed ${clock.speed.toFixed(1)} rate ${clock.rate.toFixed(1)} instr ${(pc.machine.cpu.instret / 1e6).toFixed(0)}M`,
      );
  }, traceMs || 1e9);
  await g.waitFor("# ", await g.waitFor("BOOT-OK", 0));
  const bootS = (performance.now() - t0) / 1000;
  const tsc = (await g.shell("dmesg | grep -i -e tsc -e 'clocksource: Switched'"))
    .split("\n")
    .map((l) => l.replace(/^\[\s*[\d.]+\]\s*/, "").trim())
    .filter((l) => l.length > 0);
  const mhz = /cpu MHz\s*:\s*([\d.]+)/.exec(await g.shell("grep MHz /proc/cpuinfo"));
  out(
    JSON.stringify({
      boot_s: round(bootS, 1),
      boot_lost_ms: Math.round(clock.lostNs / 1e6),
      cpu_mhz: mhz ? Number(mhz[1]) : null,
      clocksource: (await g.shell("cat /sys/devices/system/clocksource/clocksource0/current_clocksource")).trim(),
      dmesg_tsc: tsc,
    }),
  );
  // A busy loop in the background, niced so that the shell still answers: the guest never idles.
  await g.shell("nice -n 19 sh -c 'while :; do :; done' &");
  for (const share of opts.shares) {
    g.share = share;
    await g.runFor(2000); // settle at the new share
    const lost0 = clock.lostNs,
      reinjected0 = pc.pit.reinjected,
      instret0 = pc.machine.cpu.instret,
      ka = await g.stampKernel(),
      a = await g.stamp();
    await g.runFor(opts.seconds * 1000);
    const kb = await g.stampKernel(),
      b = await g.stamp();
    const hostS = b.host - a.host,
      dateS = b.date - a.date,
      kHostS = kb.host - ka.host,
      kernelS = kb.kernel - ka.kernel;
    out(
      JSON.stringify({
        share,
        host_s: round(hostS, 3),
        guest_date_s: round(dateS, 3),
        date_drift_ms: Math.round((dateS - hostS) * 1000),
        date_drift_pct: round(((dateS - hostS) / hostS) * 100, 3),
        date_latency_s: round(Math.max(a.latency, b.latency), 3),
        kernel_clock_drift_ms: Math.round((kernelS - kHostS) * 1000),
        kernel_clock_drift_pct: round(((kernelS - kHostS) / kHostS) * 100, 3),
        lag_ms: Math.round(clock.lag() / 1e6),
        lost_ms: Math.round((clock.lostNs - lost0) / 1e6),
        ticks_reinjected: pc.pit.reinjected - reinjected0,
        guest_mips: round((pc.machine.cpu.instret - instret0) / hostS / 1e6, 1),
      }),
    );
  }
  clearInterval(diag);
}
