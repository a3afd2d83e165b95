import { describe, it, expect } from "vitest";
import { StateError, cloneState, type StateRecord } from "@x86vm/core";
import { DeviceHarness } from "../testing/harness.ts";
import { Vga } from "./vga.ts";
import { programMode } from "./modes.ts";
import {
  CRTC_CURSOR_LOC_LO,
  CRTC_H_TOTAL,
  CRTC_MAX_SCAN_LINE,
  CRTC_OVERFLOW,
  CRTC_START_ADDR_HI,
  CRTC_V_RETRACE_END,
  FRAME_NS,
  GC_BIT_MASK,
  LINE_NS,
  PORT_ATTR_DATA_READ,
  PORT_ATTR_INDEX,
  PORT_CRTC_DATA,
  PORT_CRTC_DATA_MONO,
  PORT_CRTC_INDEX,
  PORT_CRTC_INDEX_MONO,
  PORT_DAC_DATA,
  PORT_DAC_READ_INDEX,
  PORT_DAC_STATE,
  PORT_DAC_WRITE_INDEX,
  PORT_FEATURE_READ,
  PORT_GC_INDEX,
  PORT_MISC_READ,
  PORT_MISC_WRITE,
  PORT_SEQ_DATA,
  PORT_SEQ_INDEX,
  PORT_STATUS1,
  PORT_STATUS1_MONO,
  SEQ_MAP_MASK,
  STATUS1_DISPLAY_DISABLED,
  STATUS1_VRETRACE,
  VRETRACE_FIRST_LINE,
} from "./vga-regs.ts";

/** Element-wise comparison; vitest's deep equality is slow on 256 KiB arrays. */
function sameArray(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function expectSameState(actual: StateRecord, expected: StateRecord, what?: string): void {
  const { vram: va, ...ra } = actual;
  const { vram: vb, ...rb } = expected;
  expect(ra, what).toEqual(rb);
  expect(sameArray(va as Uint8Array, vb as Uint8Array), `${what ?? ""} vram`).toBe(true);
}

function setup(misc = 0x67): { h: DeviceHarness; vga: Vga } {
  const h = new DeviceHarness();
  const vga = new Vga(h.clock);
  h.attach(vga.ioSurface(), vga);
  h.outb(PORT_MISC_WRITE, misc);
  return { h, vga };
}

function out2(h: DeviceHarness, indexPort: number, index: number, value: number): void {
  h.outb(indexPort, index);
  h.outb(indexPort + 1, value);
}

function in2(h: DeviceHarness, indexPort: number, index: number): number {
  h.outb(indexPort, index);
  return h.inb(indexPort + 1);
}

describe("VGA registers through ports", () => {
  it("reads back sequencer, graphics controller and CRTC registers and Misc Output", () => {
    const { h } = setup();
    out2(h, PORT_SEQ_INDEX, SEQ_MAP_MASK, 0x0f);
    out2(h, PORT_GC_INDEX, GC_BIT_MASK, 0x5a);
    out2(h, PORT_CRTC_INDEX, CRTC_START_ADDR_HI, 0x12);
    expect(in2(h, PORT_SEQ_INDEX, SEQ_MAP_MASK)).toBe(0x0f);
    expect(in2(h, PORT_GC_INDEX, GC_BIT_MASK)).toBe(0x5a);
    expect(in2(h, PORT_CRTC_INDEX, CRTC_START_ADDR_HI)).toBe(0x12);
    expect(h.inb(PORT_MISC_READ)).toBe(0x67);
  });

  it("decodes only the implemented bits of the index registers", () => {
    const { h } = setup();
    h.outb(PORT_SEQ_INDEX, 0xff);
    h.outb(PORT_GC_INDEX, 0xff);
    h.outb(PORT_CRTC_INDEX, 0xff);
    expect(h.inb(PORT_SEQ_INDEX)).toBe(0x07);
    expect(h.inb(PORT_GC_INDEX)).toBe(0x0f);
    expect(h.inb(PORT_CRTC_INDEX)).toBe(0x1f);
    // Indices beyond the register files read as all ones.
    expect(h.inb(PORT_SEQ_DATA)).toBe(0xff);
    expect(h.inb(PORT_CRTC_DATA)).toBe(0xff);
  });

  it("accepts a 16-bit OUT of index and data", () => {
    const { h } = setup();
    h.outw(PORT_SEQ_INDEX, (0x0c << 8) | SEQ_MAP_MASK);
    expect(in2(h, PORT_SEQ_INDEX, SEQ_MAP_MASK)).toBe(0x0c);
  });

  it("answers the CRTC and Input Status 1 at 0x3Dx or 0x3Bx as Misc Output bit 0 selects", () => {
    const { h } = setup(0x66); // mono addressing
    out2(h, PORT_CRTC_INDEX_MONO, CRTC_CURSOR_LOC_LO, 0x34);
    expect(in2(h, PORT_CRTC_INDEX_MONO, CRTC_CURSOR_LOC_LO)).toBe(0x34);
    expect(h.inb(PORT_CRTC_INDEX)).toBe(0xff);
    expect(h.inb(PORT_CRTC_DATA)).toBe(0xff);
    expect(h.inb(PORT_STATUS1)).toBe(0xff);
    expect(h.inb(PORT_STATUS1_MONO)).not.toBe(0xff);
    h.outb(PORT_CRTC_INDEX, CRTC_CURSOR_LOC_LO);
    h.outb(PORT_CRTC_DATA, 0x99); // not decoded: ignored
    h.outb(PORT_MISC_WRITE, 0x67); // colour addressing
    expect(in2(h, PORT_CRTC_INDEX, CRTC_CURSOR_LOC_LO)).toBe(0x34);
    expect(h.inb(PORT_CRTC_DATA_MONO)).toBe(0xff);
    expect(h.inb(PORT_STATUS1_MONO)).toBe(0xff);
  });

  it("writes Feature Control at 0x3DA and reads it at 0x3CA", () => {
    const { h } = setup();
    h.outb(PORT_STATUS1, 0x03);
    expect(h.inb(PORT_FEATURE_READ)).toBe(0x03);
  });

  it("ignores writes to CRTC registers 0-7 while register 11h bit 7 protects them, except line compare bit 8", () => {
    const { h } = setup();
    out2(h, PORT_CRTC_INDEX, CRTC_H_TOTAL, 0x5f);
    out2(h, PORT_CRTC_INDEX, CRTC_OVERFLOW, 0x0f);
    out2(h, PORT_CRTC_INDEX, CRTC_V_RETRACE_END, 0x8e);
    out2(h, PORT_CRTC_INDEX, CRTC_H_TOTAL, 0x2d);
    out2(h, PORT_CRTC_INDEX, CRTC_OVERFLOW, 0xf0);
    out2(h, PORT_CRTC_INDEX, CRTC_MAX_SCAN_LINE, 0x47);
    expect(in2(h, PORT_CRTC_INDEX, CRTC_H_TOTAL)).toBe(0x5f);
    expect(in2(h, PORT_CRTC_INDEX, CRTC_OVERFLOW)).toBe(0x1f);
    expect(in2(h, PORT_CRTC_INDEX, CRTC_MAX_SCAN_LINE)).toBe(0x47);
    out2(h, PORT_CRTC_INDEX, CRTC_V_RETRACE_END, 0x0e);
    out2(h, PORT_CRTC_INDEX, CRTC_H_TOTAL, 0x2d);
    expect(in2(h, PORT_CRTC_INDEX, CRTC_H_TOTAL)).toBe(0x2d);
  });
});

describe("attribute controller", () => {
  it("alternates address and data writes on 0x3C0 and reads data at 0x3C1", () => {
    const { h } = setup();
    h.inb(PORT_STATUS1);
    h.outb(PORT_ATTR_INDEX, 0x10 | 0x20);
    h.outb(PORT_ATTR_INDEX, 0x41);
    expect(h.inb(PORT_ATTR_INDEX)).toBe(0x30);
    expect(h.inb(PORT_ATTR_DATA_READ)).toBe(0x41);
    h.outb(PORT_ATTR_INDEX, 0x03);
    h.outb(PORT_ATTR_INDEX, 0xff); // palette registers keep 6 bits
    expect(h.inb(PORT_ATTR_DATA_READ)).toBe(0x3f);
  });

  it("resets the flip-flop to address when Input Status 1 is read", () => {
    const { h } = setup();
    h.inb(PORT_STATUS1);
    h.outb(PORT_ATTR_INDEX, 0x01);
    h.outb(PORT_ATTR_INDEX, 0x11); // palette 1 = 0x11; flip-flop back at address
    h.outb(PORT_ATTR_INDEX, 0x01); // address 1; flip-flop now at data
    h.inb(PORT_STATUS1); // back to address
    h.outb(PORT_ATTR_INDEX, 0x32); // so this is an address (index 0x12, PAS), not palette 1 data
    expect(h.inb(PORT_ATTR_INDEX)).toBe(0x32);
    h.outb(PORT_ATTR_INDEX, 0x0f); // data for 0x12
    h.outb(PORT_ATTR_INDEX, 0x01);
    expect(h.inb(PORT_ATTR_DATA_READ)).toBe(0x11);
    h.inb(PORT_STATUS1);
    h.outb(PORT_ATTR_INDEX, 0x12);
    expect(h.inb(PORT_ATTR_DATA_READ)).toBe(0x0f);
  });
});

describe("DAC", () => {
  it("stores an entry after three 6-bit writes and reads it back through the read index", () => {
    const { h } = setup();
    h.outb(PORT_DAC_WRITE_INDEX, 5);
    expect(h.inb(PORT_DAC_STATE) & 3).toBe(0);
    h.outb(PORT_DAC_DATA, 0x3f);
    h.outb(PORT_DAC_DATA, 0x20);
    h.outb(PORT_DAC_DATA, 0x41); // 6 bits: 0x01
    h.outb(PORT_DAC_DATA, 0x0a); // entry 6, red
    expect(h.inb(PORT_DAC_WRITE_INDEX)).toBe(6);
    h.outb(PORT_DAC_READ_INDEX, 5);
    expect(h.inb(PORT_DAC_STATE) & 3).toBe(3);
    expect([h.inb(PORT_DAC_DATA), h.inb(PORT_DAC_DATA), h.inb(PORT_DAC_DATA)]).toEqual([0x3f, 0x20, 0x01]);
    // Entry 6 is not written until its third component arrives.
    expect([h.inb(PORT_DAC_DATA), h.inb(PORT_DAC_DATA), h.inb(PORT_DAC_DATA)]).toEqual([0, 0, 0]);
    h.outb(PORT_DAC_WRITE_INDEX, 6);
    h.outb(PORT_DAC_DATA, 1);
    h.outb(PORT_DAC_DATA, 2);
    h.outb(PORT_DAC_DATA, 3);
    h.outb(PORT_DAC_READ_INDEX, 6);
    expect([h.inb(PORT_DAC_DATA), h.inb(PORT_DAC_DATA), h.inb(PORT_DAC_DATA)]).toEqual([1, 2, 3]);
  });

  it("wraps the index from 255 to 0", () => {
    const { h } = setup();
    h.outb(PORT_DAC_WRITE_INDEX, 255);
    for (const v of [1, 2, 3, 4, 5, 6]) h.outb(PORT_DAC_DATA, v);
    h.outb(PORT_DAC_READ_INDEX, 0);
    expect([h.inb(PORT_DAC_DATA), h.inb(PORT_DAC_DATA), h.inb(PORT_DAC_DATA)]).toEqual([4, 5, 6]);
  });
});

describe("display timing", () => {
  it("shows vertical retrace for two lines of each 60 Hz frame, from machine time", () => {
    const { h } = setup();
    const status = () => h.inb(PORT_STATUS1);
    expect(status() & STATUS1_VRETRACE).toBe(0);
    h.clockStep(VRETRACE_FIRST_LINE * LINE_NS + 10);
    expect(status() & STATUS1_VRETRACE).toBe(STATUS1_VRETRACE);
    expect(status() & STATUS1_DISPLAY_DISABLED).toBe(STATUS1_DISPLAY_DISABLED);
    h.clockStep(2 * LINE_NS);
    expect(status() & STATUS1_VRETRACE).toBe(0);
    // Count retrace lines over two whole frames, sampling each line's middle.
    let retraceLines = 0,
      edges = 0,
      last = 0;
    const h2 = setup().h;
    h2.clockStep(LINE_NS / 4);
    for (let line = 0; line < 2 * 525; line++) {
      const v = h2.inb(PORT_STATUS1) & STATUS1_VRETRACE;
      if (v) retraceLines++;
      if (v !== last) edges++;
      last = v;
      h2.clockStep(LINE_NS);
    }
    expect(retraceLines).toBe(4);
    expect(edges).toBe(4);
    expect(FRAME_NS).toBeCloseTo(1e9 / 60, 0);
  });

  it("shows display disabled in horizontal blanking at the end of each active line", () => {
    const { h } = setup();
    h.clockStep(100 * LINE_NS + LINE_NS * 0.1);
    expect(h.inb(PORT_STATUS1) & STATUS1_DISPLAY_DISABLED).toBe(0);
    h.clockStep(LINE_NS * 0.8);
    expect(h.inb(PORT_STATUS1) & STATUS1_DISPLAY_DISABLED).toBe(STATUS1_DISPLAY_DISABLED);
    expect(h.inb(PORT_STATUS1) & STATUS1_VRETRACE).toBe(0);
  });

  it("has no timers of its own", () => {
    const { vga } = setup();
    expect(vga.nextDeadline()).toBe(Infinity);
  });
});

describe("VGA state", () => {
  function busyVga(): { h: DeviceHarness; vga: Vga } {
    const s = setup();
    programMode(s.vga, 3);
    for (const [i, ch] of [..."State"].entries()) {
      s.vga.memory.write8(0x18000 + i * 2, ch.charCodeAt(0));
      s.vga.memory.write8(0x18000 + i * 2 + 1, 0x1e);
    }
    s.vga.memory.read8(0x18002); // latches
    s.h.outb(PORT_DAC_WRITE_INDEX, 9);
    s.h.outb(PORT_DAC_DATA, 0x11); // one component pending
    s.h.inb(PORT_STATUS1);
    s.h.outb(PORT_ATTR_INDEX, 0x21); // flip-flop now at data
    return s;
  }

  it("round-trips all registers, pending DAC and flip-flop state, latches and video memory", () => {
    const a = busyVga();
    const saved = cloneState(a.vga.saveState());
    const b = setup(0x00);
    b.vga.loadState(saved, a.vga.stateVersion);
    expectSameState(b.vga.saveState(), a.vga.saveState());
    expect(b.vga.textRows()[0]).toBe("State");
    // Both continue identically: the flip-flop takes data, the DAC entry completes.
    for (const s of [a, b]) {
      s.h.outb(PORT_ATTR_INDEX, 0x2a);
      s.h.outb(PORT_DAC_DATA, 0x22);
      s.h.outb(PORT_DAC_DATA, 0x33);
      s.h.outb(PORT_DAC_READ_INDEX, 9);
    }
    expect(b.h.inb(PORT_ATTR_DATA_READ)).toBe(0x2a);
    expect([b.h.inb(PORT_DAC_DATA), b.h.inb(PORT_DAC_DATA), b.h.inb(PORT_DAC_DATA)]).toEqual([0x11, 0x22, 0x33]);
    expect([a.h.inb(PORT_DAC_DATA), a.h.inb(PORT_DAC_DATA), a.h.inb(PORT_DAC_DATA)]).toEqual([0x11, 0x22, 0x33]);
    // Write mode 1 copies the restored latches.
    for (const s of [a, b]) {
      out2(s.h, PORT_GC_INDEX, 5, 0x11);
      s.vga.memory.write8(0x18010, 0);
    }
    expect(sameArray(b.vga.memory.vram, a.vga.memory.vram)).toBe(true);
    const size = a.vga.displaySize();
    const pa = new Uint32Array(size.width * size.height),
      pb = new Uint32Array(size.width * size.height);
    a.vga.render(pa);
    b.vga.render(pb);
    expect(sameArray(pb, pa)).toBe(true);
  });

  it("refuses corrupt state with StateError and leaves the adapter unchanged", () => {
    const { vga } = busyVga();
    const good = cloneState(vga.saveState());
    const before = cloneState(vga.saveState());
    const bad: [string, (r: StateRecord) => void][] = [
      [
        "missing field",
        (r) => {
          delete r.crtc;
        },
      ],
      [
        "wrong type",
        (r) => {
          r.misc = "0x67";
        },
      ],
      [
        "out of range",
        (r) => {
          r.pelMask = 256;
        },
      ],
      [
        "short register file",
        (r) => {
          r.seq = [3, 0, 3, 0];
        },
      ],
      [
        "palette beyond 6 bits",
        (r) => {
          (r.attr as number[])[2] = 0x40;
        },
      ],
      [
        "DAC component above 63",
        (r) => {
          (r.dac as Uint8Array)[7] = 64;
        },
      ],
      [
        "short video memory",
        (r) => {
          r.vram = new Uint8Array(1024);
        },
      ],
      [
        "bad DAC component index",
        (r) => {
          r.dacComponent = 3;
        },
      ],
      [
        "latch beyond 32 bits",
        (r) => {
          r.latch = 2 ** 32;
        },
      ],
    ];
    for (const [what, corrupt] of bad) {
      const rec = cloneState(good);
      corrupt(rec);
      expect(() => vga.loadState(rec, 1), what).toThrow(StateError);
      expectSameState(vga.saveState(), before, what);
    }
  });
});
