import { describe, it, expect } from "vitest";
import { StateError, cloneState, type StateRecord } from "@x86vm/core";
import { DeviceHarness } from "./testing/harness.ts";
import {
  Pic8259Pair,
  OCW2_NONSPECIFIC_EOI,
  OCW2_SPECIFIC_EOI,
  OCW2_ROTATE_NONSPECIFIC_EOI,
  OCW2_ROTATE_SPECIFIC_EOI,
  OCW2_SET_PRIORITY,
  OCW2_ROTATE_AEOI_SET,
  OCW2_ROTATE_AEOI_CLEAR,
} from "./pic8259.ts";

// The PC/AT wiring, chosen by the test as the machine would.
const MASTER_CMD = 0x20,
  MASTER_DATA = 0x21,
  SLAVE_CMD = 0xa0,
  SLAVE_DATA = 0xa1;
const ELCR1 = 0x4d0,
  ELCR2 = 0x4d1;
// OCW3 forms.
const READ_IRR = 0x0a,
  READ_ISR = 0x0b,
  POLL = 0x0c,
  SMM_ON = 0x68,
  SMM_OFF = 0x48;

function setup(opts: { icw1?: number; icw4?: number; masterIcw4?: number } = {}) {
  const h = new DeviceHarness();
  const intr = h.irq("intr");
  const pic = new Pic8259Pair(intr);
  h.attach(pic.ioSurface(MASTER_CMD, SLAVE_CMD, ELCR1));
  return { h, intr, pic, init: () => biosInit(h, opts) };
}

/** The initialization a PC BIOS does: vectors 08h and 70h, slave on IR2, 8086 mode. */
function biosInit(h: DeviceHarness, opts: { icw1?: number; icw4?: number; masterIcw4?: number } = {}) {
  const icw1 = opts.icw1 ?? 0x11,
    icw4 = opts.icw4 ?? 0x01;
  h.outb(MASTER_CMD, icw1);
  h.outb(MASTER_DATA, 0x08);
  h.outb(MASTER_DATA, 0x04);
  h.outb(MASTER_DATA, opts.masterIcw4 ?? icw4);
  h.outb(SLAVE_CMD, icw1);
  h.outb(SLAVE_DATA, 0x70);
  h.outb(SLAVE_DATA, 0x02);
  h.outb(SLAVE_DATA, icw4);
}

function ready(opts: { icw1?: number; icw4?: number; masterIcw4?: number } = {}) {
  const s = setup(opts);
  s.init();
  return s;
}

describe("8259A pair: initialization", () => {
  it("starts with everything masked, then takes the BIOS ICW sequence", () => {
    const { h, intr, pic } = setup();
    expect(h.inb(MASTER_DATA)).toBe(0xff);
    expect(h.inb(SLAVE_DATA)).toBe(0xff);
    pic.irqLine(0).raise();
    expect(intr.level).toBe(false);
    biosInit(h);
    // ICW1 clears the IMR; the request made before init was forgotten (edge sense reset).
    expect(h.inb(MASTER_DATA)).toBe(0x00);
    expect(h.inb(SLAVE_DATA)).toBe(0x00);
    expect(intr.level).toBe(false);
    pic.irqLine(0).lower();
    pic.irqLine(0).raise();
    expect(intr.level).toBe(true);
    expect(pic.acknowledge()).toBe(0x08);
    pic.irqLine(9).raise();
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI);
    expect(pic.acknowledge()).toBe(0x71);
  });

  it("writes to the data port after init are OCW1", () => {
    const { h } = ready();
    h.outb(MASTER_DATA, 0xb8);
    h.outb(SLAVE_DATA, 0x8f);
    expect(h.inb(MASTER_DATA)).toBe(0xb8);
    expect(h.inb(SLAVE_DATA)).toBe(0x8f);
  });

  it("skips ICW3 in single mode and ICW4 when IC4 is clear", () => {
    const { h, pic } = setup();
    h.outb(MASTER_CMD, 0x12); // ICW1: single, no ICW4
    h.outb(MASTER_DATA, 0x50); // ICW2
    h.outb(MASTER_DATA, 0x01); // already OCW1: mask IR0
    expect(h.inb(MASTER_DATA)).toBe(0x01);
    pic.irqLine(0).raise();
    pic.irqLine(0).lower();
    pic.irqLine(3).raise();
    expect(pic.acknowledge()).toBe(0x53);
  });

  it("ICW2 keeps only T7-T3", () => {
    const { h, pic } = setup();
    h.outb(MASTER_CMD, 0x13);
    h.outb(MASTER_DATA, 0x2f);
    h.outb(MASTER_DATA, 0x01);
    pic.irqLine(1).raise();
    expect(pic.acknowledge()).toBe(0x29);
  });
});

describe("8259A pair: masks and priority", () => {
  it("a masked request shows in IRR but raises no INTR until unmasked", () => {
    const { h, intr, pic } = ready();
    h.outb(MASTER_DATA, 0x08);
    pic.irqLine(3).raise();
    expect(intr.level).toBe(false);
    expect(h.inb(MASTER_CMD)).toBe(0x08); // IRR is the default read
    h.outb(MASTER_DATA, 0x00);
    expect(intr.level).toBe(true);
    expect(pic.acknowledge()).toBe(0x0b);
  });

  it("serves the highest priority first and nests only higher ones", () => {
    const { h, intr, pic } = ready();
    pic.irqLine(5).raise();
    pic.irqLine(3).raise();
    expect(pic.acknowledge()).toBe(0x0b);
    // IR3 in service holds back IR5.
    expect(intr.level).toBe(false);
    pic.irqLine(1).raise();
    expect(intr.level).toBe(true); // IR1 nests
    expect(pic.acknowledge()).toBe(0x09);
    h.outb(MASTER_CMD, READ_ISR);
    expect(h.inb(MASTER_CMD)).toBe(0x0a);
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI); // clears IR1, the highest in service
    expect(h.inb(MASTER_CMD)).toBe(0x08);
    expect(intr.level).toBe(false);
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI);
    expect(intr.level).toBe(true);
    expect(pic.acknowledge()).toBe(0x0d);
  });

  it("reads IRR and ISR as OCW3 selects", () => {
    const { h, pic } = ready();
    pic.irqLine(4).raise();
    pic.irqLine(6).raise();
    h.outb(MASTER_CMD, READ_IRR);
    expect(h.inb(MASTER_CMD)).toBe(0x50);
    pic.acknowledge();
    expect(h.inb(MASTER_CMD)).toBe(0x40);
    h.outb(MASTER_CMD, READ_ISR);
    expect(h.inb(MASTER_CMD)).toBe(0x10);
    h.outb(MASTER_CMD, 0x08); // RR = 0: no change of the register read
    expect(h.inb(MASTER_CMD)).toBe(0x10);
  });
});

describe("8259A pair: EOI and rotation", () => {
  it("specific EOI clears the named level only", () => {
    const { h, pic } = ready();
    pic.irqLine(6).raise();
    pic.acknowledge();
    pic.irqLine(4).raise();
    pic.acknowledge();
    h.outb(MASTER_CMD, READ_ISR);
    expect(h.inb(MASTER_CMD)).toBe(0x50);
    h.outb(MASTER_CMD, OCW2_SPECIFIC_EOI | 6);
    expect(h.inb(MASTER_CMD)).toBe(0x10);
  });

  it("rotate on non-specific EOI makes the served level the lowest", () => {
    const { h, pic } = ready();
    pic.irqLine(3).raise();
    expect(pic.acknowledge()).toBe(0x0b);
    h.outb(MASTER_CMD, OCW2_ROTATE_NONSPECIFIC_EOI);
    // Order is now 4 5 6 7 0 1 2 3.
    pic.irqLine(1).raise();
    pic.irqLine(4).raise();
    expect(pic.acknowledge()).toBe(0x0c);
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI);
    expect(pic.acknowledge()).toBe(0x09);
  });

  it("set priority and rotate on specific EOI choose the lowest level", () => {
    const { h, pic } = ready();
    h.outb(MASTER_CMD, OCW2_SET_PRIORITY | 5); // 6 is now the highest
    pic.irqLine(0).raise();
    pic.irqLine(6).raise();
    expect(pic.acknowledge()).toBe(0x0e);
    // IR0 ranks below the in-service IR6 now.
    expect(pic.intr).toBe(false);
    h.outb(MASTER_CMD, OCW2_ROTATE_SPECIFIC_EOI | 6); // clears IR6 and makes it the lowest: 7 0 1 ... 6
    h.outb(MASTER_CMD, READ_ISR);
    expect(h.inb(MASTER_CMD)).toBe(0x00);
    pic.irqLine(7).raise();
    expect(pic.acknowledge()).toBe(0x0f); // IR7 now outranks the waiting IR0
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI);
    expect(pic.acknowledge()).toBe(0x08);
  });

  it("automatic EOI leaves ISR clear; rotate in AEOI rotates on each acknowledge", () => {
    const { h, intr, pic } = ready({ icw4: 0x03 });
    pic.irqLine(3).raise();
    pic.irqLine(5).raise();
    expect(pic.acknowledge()).toBe(0x0b);
    h.outb(MASTER_CMD, READ_ISR);
    expect(h.inb(MASTER_CMD)).toBe(0x00);
    expect(intr.level).toBe(true); // nothing in service holds IR5 back
    expect(pic.acknowledge()).toBe(0x0d);
    h.outb(MASTER_CMD, OCW2_ROTATE_AEOI_SET);
    pic.irqLine(3).lower();
    pic.irqLine(3).raise();
    expect(pic.acknowledge()).toBe(0x0b); // 3 becomes the lowest
    pic.irqLine(3).lower();
    pic.irqLine(3).raise();
    pic.irqLine(5).lower();
    pic.irqLine(5).raise();
    expect(pic.acknowledge()).toBe(0x0d); // 5 outranks 3 now
    h.outb(MASTER_CMD, OCW2_ROTATE_AEOI_CLEAR);
    pic.irqLine(5).lower();
    pic.irqLine(5).raise();
    expect(pic.acknowledge()).toBe(0x0b); // 6 7 0 1 2 3 4 5 after the last rotation: 3 first
    expect(pic.acknowledge()).toBe(0x0d); // and no rotation any more: 5 still after 3
  });
});

describe("8259A pair: cascade", () => {
  it("delivers a slave IRQ through master IR2 with both in service", () => {
    const { h, intr, pic } = ready();
    pic.irqLine(10).raise();
    expect(intr.level).toBe(true);
    expect(h.inb(MASTER_CMD)).toBe(0x04); // master IRR shows the cascade input
    expect(pic.acknowledge()).toBe(0x72);
    h.outb(MASTER_CMD, READ_ISR);
    h.outb(SLAVE_CMD, READ_ISR);
    expect(h.inb(MASTER_CMD)).toBe(0x04);
    expect(h.inb(SLAVE_CMD)).toBe(0x04);
    // EOI to the slave only: the master's IR2 still in service holds back the next slave IRQ.
    h.outb(SLAVE_CMD, OCW2_NONSPECIFIC_EOI);
    pic.irqLine(11).raise();
    expect(intr.level).toBe(false);
    // Master IRQs above IR2 still get through.
    pic.irqLine(1).raise();
    expect(intr.level).toBe(true);
    expect(pic.acknowledge()).toBe(0x09);
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI); // IR1
    expect(intr.level).toBe(false);
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI); // IR2
    expect(intr.level).toBe(true);
    expect(pic.acknowledge()).toBe(0x73);
  });

  it("a slave that still has a lower request after AEOI raises a new IR2 edge", () => {
    const { pic } = ready({ icw4: 0x03 });
    pic.irqLine(12).raise();
    pic.irqLine(14).raise();
    expect(pic.acknowledge()).toBe(0x74);
    expect(pic.intr).toBe(true);
    expect(pic.acknowledge()).toBe(0x76);
    expect(pic.intr).toBe(false);
  });

  it("slave priorities apply inside the slave", () => {
    const { h, pic } = ready();
    h.outb(MASTER_DATA, 0xfb);
    pic.irqLine(15).raise();
    pic.irqLine(8).raise();
    expect(pic.acknowledge()).toBe(0x70);
  });

  it("special fully nested mode lets a higher slave request through while the slave is in service", () => {
    const normal = ready();
    normal.pic.irqLine(12).raise();
    normal.pic.acknowledge();
    normal.h.outb(SLAVE_CMD, OCW2_NONSPECIFIC_EOI);
    normal.pic.irqLine(9).raise();
    expect(normal.pic.intr).toBe(false);

    const sfnm = ready({ masterIcw4: 0x11 });
    sfnm.pic.irqLine(12).raise();
    expect(sfnm.pic.acknowledge()).toBe(0x74);
    sfnm.pic.irqLine(9).raise(); // outranks the in-service IRQ12 inside the slave
    expect(sfnm.pic.intr).toBe(true);
    expect(sfnm.pic.acknowledge()).toBe(0x71);
  });

  it("no slave answers a cascade address other than its ID", () => {
    const { h, pic } = setup();
    h.outb(MASTER_CMD, 0x11);
    h.outb(MASTER_DATA, 0x08);
    h.outb(MASTER_DATA, 0x04);
    h.outb(MASTER_DATA, 0x01);
    h.outb(SLAVE_CMD, 0x11);
    h.outb(SLAVE_DATA, 0x70);
    h.outb(SLAVE_DATA, 0x05);
    h.outb(SLAVE_DATA, 0x01);
    pic.irqLine(9).raise();
    expect(pic.acknowledge()).toBe(0xff);
  });
});

describe("8259A pair: spurious interrupts", () => {
  it("a master request withdrawn before the acknowledge gives IR7's vector without ISR", () => {
    const { h, intr, pic } = ready();
    pic.irqLine(5).raise();
    expect(intr.level).toBe(true);
    pic.irqLine(5).lower(); // too short: the CPU had already seen INTR
    expect(intr.level).toBe(false);
    expect(pic.acknowledge()).toBe(0x0f);
    h.outb(MASTER_CMD, READ_ISR);
    expect(h.inb(MASTER_CMD)).toBe(0x00);
    // A real IRQ7 does set its ISR bit, which is how handlers tell them apart.
    pic.irqLine(7).raise();
    expect(pic.acknowledge()).toBe(0x0f);
    expect(h.inb(MASTER_CMD)).toBe(0x80);
  });

  it("a slave request withdrawn before the acknowledge gives IRQ15's vector, master IR2 in service", () => {
    const { h, intr, pic } = ready();
    pic.irqLine(12).raise();
    pic.irqLine(12).lower();
    expect(intr.level).toBe(true); // the master holds its cascade request
    expect(pic.acknowledge()).toBe(0x77);
    h.outb(MASTER_CMD, READ_ISR);
    h.outb(SLAVE_CMD, READ_ISR);
    expect(h.inb(SLAVE_CMD)).toBe(0x00);
    expect(h.inb(MASTER_CMD)).toBe(0x04); // the OS must still EOI the master
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI);
    expect(h.inb(MASTER_CMD)).toBe(0x00);
    expect(intr.level).toBe(false);
  });

  it("acknowledging with nothing pending at all gives the master's IR7", () => {
    const { pic } = ready();
    expect(pic.acknowledge()).toBe(0x0f);
  });
});

describe("8259A pair: poll and special mask mode", () => {
  it("poll returns the highest level and acknowledges it", () => {
    const { h, pic } = ready();
    h.outb(MASTER_CMD, POLL);
    expect(h.inb(MASTER_CMD)).toBe(0x00); // nothing pending
    pic.irqLine(6).raise();
    pic.irqLine(4).raise();
    h.outb(MASTER_CMD, POLL);
    expect(h.inb(MASTER_CMD)).toBe(0x84);
    expect(h.inb(MASTER_CMD)).toBe(0x40); // an ordinary IRR read again; IR4 was taken
    h.outb(MASTER_CMD, READ_ISR);
    expect(h.inb(MASTER_CMD)).toBe(0x10);
    // Poll through the data port address works the same.
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI);
    h.outb(MASTER_CMD, POLL);
    expect(h.inb(MASTER_DATA)).toBe(0x86);
  });

  it("polls the cascade: the master reports IR2, then the slave its level", () => {
    const { h, pic } = ready();
    pic.irqLine(13).raise();
    h.outb(MASTER_CMD, POLL);
    expect(h.inb(MASTER_CMD)).toBe(0x82);
    h.outb(SLAVE_CMD, POLL);
    expect(h.inb(SLAVE_CMD)).toBe(0x85);
  });

  it("special mask mode lets lower levels in while the masked level is in service", () => {
    const { h, intr, pic } = ready();
    pic.irqLine(1).raise();
    expect(pic.acknowledge()).toBe(0x09);
    pic.irqLine(5).raise();
    expect(intr.level).toBe(false);
    h.outb(MASTER_CMD, SMM_ON);
    h.outb(MASTER_DATA, 0x02); // mask the level in service
    expect(intr.level).toBe(true);
    expect(pic.acknowledge()).toBe(0x0d);
    // A non-specific EOI skips the masked IS bit (IR1) and clears IR5.
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI);
    h.outb(MASTER_CMD, READ_ISR);
    expect(h.inb(MASTER_CMD)).toBe(0x02);
    // Back to normal: IR1 in service holds back lower levels again.
    h.outb(MASTER_CMD, SMM_OFF);
    h.outb(MASTER_DATA, 0x00);
    pic.irqLine(5).lower();
    pic.irqLine(5).raise();
    expect(intr.level).toBe(false);
  });
});

describe("8259A pair: triggering", () => {
  it("edge mode latches a rising edge once; a held line does not repeat", () => {
    const { h, intr, pic } = ready();
    pic.irqLine(3).raise();
    expect(pic.acknowledge()).toBe(0x0b);
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI);
    expect(intr.level).toBe(false); // line still high, but no new edge
    expect(h.inb(MASTER_CMD)).toBe(0x00);
    pic.irqLine(3).lower();
    pic.irqLine(3).raise();
    expect(intr.level).toBe(true);
  });

  it("an edge request arriving while the level is in service waits for the EOI", () => {
    const { h, intr, pic } = ready();
    pic.irqLine(3).raise();
    pic.acknowledge();
    pic.irqLine(3).lower();
    pic.irqLine(3).raise();
    expect(intr.level).toBe(false);
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI);
    expect(intr.level).toBe(true);
  });

  it("level mode (ICW1 LTIM) follows the line", () => {
    const { h, intr, pic } = ready({ icw1: 0x19 });
    pic.irqLine(3).raise();
    expect(pic.acknowledge()).toBe(0x0b);
    expect(h.inb(MASTER_CMD)).toBe(0x08); // still requested while high
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI);
    expect(intr.level).toBe(true); // interrupts again: the device has not let go
    pic.irqLine(3).lower();
    expect(intr.level).toBe(false);
    expect(h.inb(MASTER_CMD)).toBe(0x00);
  });

  it("ELCR puts single IRQs in level mode; reserved bits stay zero", () => {
    const { h, intr, pic } = ready();
    h.outb(ELCR1, 0xff);
    h.outb(ELCR2, 0xff);
    expect(h.inb(ELCR1)).toBe(0xf8);
    expect(h.inb(ELCR2)).toBe(0xde);
    h.outb(ELCR2, 0x04); // IRQ10 level, the rest edge
    pic.irqLine(10).raise();
    expect(pic.acknowledge()).toBe(0x72);
    h.outb(SLAVE_CMD, OCW2_NONSPECIFIC_EOI);
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI);
    expect(intr.level).toBe(true); // the device has not let go: it interrupts again
    expect(pic.acknowledge()).toBe(0x72);
    pic.irqLine(10).lower(); // serviced: the handler lets the line go before its EOIs
    h.outb(SLAVE_CMD, OCW2_NONSPECIFIC_EOI);
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI);
    expect(intr.level).toBe(false);
    h.outb(SLAVE_CMD, READ_IRR);
    expect(h.inb(SLAVE_CMD)).toBe(0x00);
    // IRQ11 is still edge-triggered.
    pic.irqLine(11).raise();
    expect(pic.acknowledge()).toBe(0x73);
    h.outb(SLAVE_CMD, OCW2_NONSPECIFIC_EOI);
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI);
    expect(intr.level).toBe(false);
  });

  it("a line already high when switched to level mode becomes a request", () => {
    const { h, intr, pic } = ready();
    pic.irqLine(5).raise();
    pic.acknowledge();
    h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI);
    expect(intr.level).toBe(false);
    h.outb(ELCR1, 0x20);
    expect(intr.level).toBe(true);
  });

  it("without an ELCR range the surface has only the two chips", () => {
    const pic = new Pic8259Pair(() => {});
    expect(pic.ioSurface(0x20, 0xa0).ports.map((p) => p.base)).toEqual([0x20, 0xa0]);
  });

  it("refuses IRQ numbers that have no line", () => {
    const pic = new Pic8259Pair(() => {});
    expect(() => pic.irqLine(2)).toThrow(RangeError);
    expect(() => pic.irqLine(16)).toThrow(RangeError);
    expect(() => pic.irqLine(-1)).toThrow(RangeError);
  });

  it("drives a callback output on INTR changes only", () => {
    const levels: boolean[] = [];
    const pic = new Pic8259Pair((l) => levels.push(l));
    const h = new DeviceHarness();
    h.attach(pic.ioSurface(MASTER_CMD, SLAVE_CMD));
    biosInit(h);
    pic.irqLine(4).raise();
    pic.irqLine(5).raise();
    pic.acknowledge();
    pic.acknowledge();
    expect(levels).toEqual([true, false]);
  });
});

describe("8259A pair: state", () => {
  it("round-trips mid-service and behaves the same afterwards", () => {
    const a = ready();
    a.h.outb(MASTER_DATA, 0x20);
    a.h.outb(ELCR2, 0x08);
    a.h.outb(MASTER_CMD, OCW2_SET_PRIORITY | 1);
    a.pic.irqLine(10).raise();
    a.pic.irqLine(5).raise(); // masked
    a.pic.irqLine(3).raise();
    expect(a.pic.acknowledge()).toBe(0x72);
    a.h.outb(MASTER_CMD, OCW2_SPECIFIC_EOI | 2);
    a.h.outb(SLAVE_CMD, READ_ISR);
    a.h.outb(MASTER_CMD, POLL);
    const saved = cloneState(a.pic.saveState());

    const b = setup();
    b.pic.loadState(saved, 1);
    expect(b.intr.level).toBe(a.intr.level);
    expect(b.pic.saveState()).toEqual(a.pic.saveState());
    for (const s of [a, b]) {
      expect(s.h.inb(MASTER_DATA)).toBe(0x83); // the pending poll
      expect(s.h.inb(SLAVE_CMD)).toBe(0x04);
      expect(s.h.inb(ELCR2)).toBe(0x08);
      s.h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI);
      s.h.outb(MASTER_CMD, OCW2_NONSPECIFIC_EOI);
      s.h.outb(SLAVE_CMD, OCW2_NONSPECIFIC_EOI);
      s.h.outb(MASTER_DATA, 0x00);
      s.pic.irqLine(11).raise();
    }
    expect([b.pic.acknowledge(), b.pic.acknowledge()]).toEqual([a.pic.acknowledge(), a.pic.acknowledge()]);
    expect(b.pic.saveState()).toEqual(a.pic.saveState());
  });

  it("drives INTR high after loading a state with a pending request", () => {
    const a = ready();
    a.pic.irqLine(4).raise();
    const b = setup();
    expect(b.intr.level).toBe(false);
    b.pic.loadState(cloneState(a.pic.saveState()), 1);
    expect(b.intr.level).toBe(true);
    expect(b.pic.acknowledge()).toBe(0x0c);
  });

  it("refuses corrupt state and stays unchanged", () => {
    const a = ready();
    a.pic.irqLine(6).raise();
    const good = a.pic.saveState();
    const before = cloneState(good);
    const corrupt = (f: (s: any) => void): StateRecord => {
      const s = cloneState(good) as any;
      f(s);
      return s;
    };
    const bad: StateRecord[] = [
      corrupt((s) => {
        s.master.irr = 256;
      }),
      corrupt((s) => {
        s.master.imr = "0";
      }),
      corrupt((s) => {
        s.slave.lowestPriority = 8;
      }),
      corrupt((s) => {
        s.slave.vectorBase = 0x71;
      }),
      corrupt((s) => {
        s.master.elcr = 0x01;
      }),
      corrupt((s) => {
        s.slave.initStep = 1;
      }),
      corrupt((s) => {
        s.master.autoEoi = 1;
      }),
      corrupt((s) => {
        delete s.slave.specialMask;
      }),
      corrupt((s) => {
        s.slave = [1, 2, 3];
      }),
      // A slave request that would raise its INT while the master's IR2 line is low.
      corrupt((s) => {
        s.slave.irr = 0x01;
      }),
      corrupt((s) => {
        s.master.lines |= 0x04;
      }),
    ];
    for (const s of bad) expect(() => a.pic.loadState(s, 1)).toThrow(StateError);
    expect(() => a.pic.loadState(cloneState(good), 2)).toThrow(StateError);
    expect(a.pic.saveState()).toEqual(before);
    expect(a.pic.acknowledge()).toBe(0x0e);
  });
});
