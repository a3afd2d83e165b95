// Black-box device test harness (STYLE.md 10, like QEMU's qtest): a device is attached to its
// own I/O bus at the ports the test chooses, and driven only through outb/inb, IRQ line
// levels and clockStep.

import { IoBus, type IoSurface, type TimeSource } from "@x86vm/core";
import { IrqPin } from "../irq.ts";

export class TestClock implements TimeSource {
  t = 0;
  now(): number {
    return this.t;
  }
}

export class DeviceHarness {
  readonly bus = new IoBus();
  readonly clock = new TestClock();
  private readonly timed: { advance(now: number): void }[] = [];
  private readonly pins = new Map<string, IrqPin>();

  /** A named IRQ pin to hand to a device. */
  irq(name: string): IrqPin {
    let p = this.pins.get(name);
    if (!p) {
      p = new IrqPin();
      this.pins.set(name, p);
    }
    return p;
  }

  attach(surface: IoSurface, timed?: { advance(now: number): void }): void {
    this.bus.attach(surface);
    if (timed) this.timed.push(timed);
  }

  outb(port: number, v: number): void {
    this.bus.out8(port, v);
  }
  inb(port: number): number {
    return this.bus.in8(port);
  }
  outw(port: number, v: number): void {
    this.bus.out16(port, v);
  }
  inw(port: number): number {
    return this.bus.in16(port);
  }
  outl(port: number, v: number): void {
    this.bus.out32(port, v);
  }
  inl(port: number): number {
    return this.bus.in32(port);
  }

  /** Advances machine time by ns and lets timed devices catch up. */
  clockStep(ns: number): void {
    this.clock.t += ns;
    for (const d of this.timed) d.advance(this.clock.t);
  }
}
