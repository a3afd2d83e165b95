import { describe, it, expect } from "vitest";
import { StateError, cloneState } from "@x86vm/core";
import { IrqPin } from "../irq.ts";
import { PciBus } from "./pci-bus.ts";
import { Piix3Ide, Piix3Isa, PIIX3_PIRQRC, PIIX3_IDETIM, IDETIM_DECODE_ENABLE } from "./piix3.ts";

function setup() {
  const pins = Array.from({ length: 16 }, () => new IrqPin());
  const isa = new Piix3Isa({ isaIrq: (n) => pins[n] });
  const bus = new PciBus();
  bus.add(1, 0, isa);
  const route = (n: number, v: number) => bus.configWrite(0, 1, 0, PIIX3_PIRQRC + n, 1, v);
  return { pins, isa, bus, route };
}

describe("PIIX3 ISA bridge", () => {
  it("starts with every PIRQ unrouted", () => {
    const { isa, bus, pins } = setup();
    expect(bus.configRead(0, 1, 0, PIIX3_PIRQRC, 4)).toBe(0x80808080);
    isa.pirqLine(0).raise();
    expect(pins.some((p) => p.level)).toBe(false);
    expect(isa.levelTriggeredIrqs()).toBe(0);
  });

  it("steers PIRQs to ISA IRQs, wire-ORs shared ones and follows routing changes", () => {
    const { isa, pins, route, bus } = setup();
    route(0, 0x0b);
    route(1, 0x0b);
    route(2, 0x0a);
    route(3, 0x02); // IRQ2 is reserved: not routed
    expect([0, 1, 2, 3].map((n) => isa.pirqRoute(n))).toEqual([11, 11, 10, -1]);
    expect(isa.levelTriggeredIrqs()).toBe((1 << 10) | (1 << 11));
    expect(bus.configRead(0, 1, 0, PIIX3_PIRQRC, 4)).toBe(0x020a0b0b);
    isa.pirqLine(0).raise();
    expect(pins[11].level).toBe(true);
    isa.pirqLine(1).raise();
    isa.pirqLine(0).lower();
    expect(pins[11].level).toBe(true); // PIRQB still holds the shared line
    expect(pins[11].rises).toBe(1);
    isa.pirqLine(1).lower();
    expect(pins[11].level).toBe(false);
    isa.pirqLine(2).raise();
    expect(pins[10].level).toBe(true);
    route(2, 0x8a); // disabled: the line drops
    expect(pins[10].level).toBe(false);
    route(2, 0x05); // re-routed to IRQ5 while asserted
    expect(pins[5].level).toBe(true);
    isa.pirqLine(3).raise();
    expect(pins[2].level).toBe(false);
    bus.configWrite(0, 1, 0, PIIX3_PIRQRC + 2, 1, 0x70); // reserved bits 6-4 read 0
    expect(bus.configRead(0, 1, 0, PIIX3_PIRQRC + 2, 1)).toBe(0x00);
  });

  it("saves the PIRQ levels and re-drives the routed IRQs on restore", () => {
    const a = setup();
    a.route(0, 0x09);
    a.isa.pirqLine(0).raise();
    const saved = cloneState(a.isa.saveState());
    const b = setup();
    b.isa.loadState(saved, 1);
    expect(b.pins[9].level).toBe(true);
    expect(b.isa.saveState()).toEqual(a.isa.saveState());
    b.isa.pirqLine(0).lower();
    expect(b.pins[9].level).toBe(false);
    expect(() => b.isa.loadState({ ...saved, pirqLevels: 16 }, 1)).toThrow(StateError);
    expect(() => b.isa.loadState({ ...saved, resetControl: 0x04 }, 1)).toThrow(StateError);
    expect(b.pins[9].level).toBe(false);
  });

  it("resets to unrouted and drops the lines it drove", () => {
    const { isa, pins, route } = setup();
    route(3, 0x0e);
    isa.pirqLine(3).raise();
    expect(pins[14].level).toBe(true);
    isa.reset();
    expect(pins[14].level).toBe(false);
    expect(isa.pirqRoute(3)).toBe(-1);
  });
});

describe("PIIX3 IDE function", () => {
  it("decodes a channel only with I/O space and its IDETIM decode bit on", () => {
    const ide = new Piix3Ide();
    expect(ide.read(0x09, 1)).toBe(0x80);
    expect(ide.read(0x0a, 2)).toBe(0x0101);
    expect(ide.channelDecodes(0)).toBe(false);
    ide.write(PIIX3_IDETIM, 2, IDETIM_DECODE_ENABLE);
    expect(ide.channelDecodes(0)).toBe(false);
    ide.write(0x04, 2, 1);
    expect(ide.channelDecodes(0)).toBe(true);
    expect(ide.channelDecodes(1)).toBe(false);
    expect(ide.busMasterBase()).toBe(-1);
  });

  it("does what a BIOS POST does in firmwareInit", () => {
    const ide = new Piix3Ide();
    ide.firmwareInit(0xc000);
    expect(ide.channelDecodes(0) && ide.channelDecodes(1)).toBe(true);
    expect(ide.busMasterBase()).toBe(0xc000);
    expect(ide.busMasterEnabled).toBe(true);
  });

  it("has no BAR4 without bus mastering", () => {
    const ide = new Piix3Ide({ busMaster: false });
    ide.write(0x20, 4, 0xffffffff);
    expect(ide.read(0x20, 4)).toBe(0);
    ide.firmwareInit(0xc000);
    expect(ide.busMasterBase()).toBe(-1);
  });
});
