import { describe, it, expect } from "vitest";
import { StateError, cloneState } from "@x86vm/core";
import { DeviceHarness } from "./testing/harness.ts";
import { I8042, STATUS_OBF, CMDBYTE_KBD_INT, CMDBYTE_SYS } from "./i8042.ts";
import {
  Ps2Keyboard,
  PS2_KEYS,
  LED_CAPS_LOCK,
  LED_NUM_LOCK,
  LED_SCROLL_LOCK,
  TYPEMATIC_DEFAULT,
} from "./ps2-keyboard.ts";

const DATA = 0x60;
const CMD = 0x64;
const MS = 1e6;

/** A keyboard behind an 8042; `raw` turns translation off so the tests see the keyboard's own bytes. */
function setup(opts: { raw?: boolean } = {}) {
  const h = new DeviceHarness();
  const irq1 = h.irq("irq1");
  const ledCalls: number[] = [];
  const keyboard = new Ps2Keyboard(h.clock, { onLeds: (l) => ledCalls.push(l) });
  const kbc = new I8042({
    clock: h.clock,
    keyboard,
    mouse: null,
    kbdIrq: irq1,
    auxIrq: h.irq("irq12"),
    setA20: () => {},
    resetCpu: () => {},
  });
  h.attach(kbc.ioSurface(DATA, CMD), kbc);
  const send = (...bytes: number[]) => {
    for (const b of bytes) h.outb(DATA, b);
  };
  const drain = () => {
    const out: number[] = [];
    while (h.inb(CMD) & STATUS_OBF) out.push(h.inb(DATA));
    return out;
  };
  if (opts.raw) {
    h.outb(CMD, 0x60);
    h.outb(DATA, CMDBYTE_KBD_INT | CMDBYTE_SYS);
  }
  return { h, irq1, keyboard, kbc, send, drain, ledCalls };
}

const hex = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, "0")).join(" ");

describe("PS/2 keyboard commands", () => {
  it("identifies itself as AB 83 (AB 41 through translation)", () => {
    const raw = setup({ raw: true });
    raw.send(0xf2);
    expect(raw.drain()).toEqual([0xfa, 0xab, 0x83]);
    const xlat = setup();
    xlat.send(0xf2);
    expect(xlat.drain()).toEqual([0xfa, 0xab, 0x41]);
  });

  it("echoes EE without an ACK", () => {
    const { send, drain } = setup();
    send(0xee);
    expect(drain()).toEqual([0xee]);
  });

  it("sets the LEDs and reports them to the host", () => {
    const { keyboard, send, drain, ledCalls } = setup();
    send(0xed);
    expect(drain()).toEqual([0xfa]);
    send(LED_CAPS_LOCK | LED_NUM_LOCK);
    expect(drain()).toEqual([0xfa]);
    expect(keyboard.leds).toBe(LED_CAPS_LOCK | LED_NUM_LOCK);
    send(0xed, 0xff & (LED_SCROLL_LOCK | 0x78)); // reserved bits are dropped
    expect(drain()).toEqual([0xfa, 0xfa]);
    expect(keyboard.leds).toBe(LED_SCROLL_LOCK);
    expect(ledCalls).toEqual([LED_CAPS_LOCK | LED_NUM_LOCK, LED_SCROLL_LOCK]);
  });

  it("takes a byte with bit 7 set after ED as a new command", () => {
    const { keyboard, send, drain } = setup();
    send(0xed, 0xf2);
    expect(drain()).toEqual([0xfa, 0xfa, 0xab, 0x41]);
    expect(keyboard.leds).toBe(0);
  });

  it("gets and selects scan code sets 1 and 2, refuses set 3", () => {
    const { keyboard, send, drain } = setup({ raw: true });
    send(0xf0, 0x00);
    expect(drain()).toEqual([0xfa, 0xfa, 0x02]);
    send(0xf0, 0x01);
    expect(drain()).toEqual([0xfa, 0xfa]);
    expect(keyboard.scanCodeSet).toBe(1);
    keyboard.pressKey("Delete");
    keyboard.releaseKey("Delete");
    expect(drain()).toEqual([0xe0, 0x53, 0xe0, 0xd3]); // set 1 straight from the keyboard
    send(0xf0, 0x03);
    expect(drain()).toEqual([0xfa, 0xfe]);
    expect(keyboard.scanCodeSet).toBe(1);
    send(0xf0, 0x02);
    drain();
    keyboard.pressKey("Delete");
    keyboard.releaseKey("Delete");
    expect(drain()).toEqual([0xe0, 0x71, 0xe0, 0xf0, 0x71]);
  });

  it("resets: FA AA, set 2, LEDs off, default typematic", () => {
    const { keyboard, send, drain } = setup({ raw: true });
    send(0xed, 0x07, 0xf3, 0x00, 0xf0, 0x01);
    drain();
    send(0xff);
    expect(drain()).toEqual([0xfa, 0xaa]);
    expect(keyboard.leds).toBe(0);
    expect(keyboard.scanCodeSet).toBe(2);
    expect(keyboard.typematicByte).toBe(TYPEMATIC_DEFAULT);
  });

  it("ignores keys after F5 and scans again after F4", () => {
    const { keyboard, send, drain } = setup();
    send(0xf5);
    expect(drain()).toEqual([0xfa]);
    expect(keyboard.enabled).toBe(false);
    keyboard.pressKey("KeyQ");
    keyboard.releaseKey("KeyQ");
    expect(drain()).toEqual([]);
    send(0xf4);
    expect(drain()).toEqual([0xfa]);
    keyboard.pressKey("KeyQ");
    expect(drain()).toEqual([0x10]);
  });

  it("restores defaults with F6 and keeps scanning", () => {
    const { keyboard, send, drain } = setup();
    send(0xf3, 0x7f);
    drain();
    send(0xf6);
    expect(drain()).toEqual([0xfa]);
    expect(keyboard.typematicByte).toBe(TYPEMATIC_DEFAULT);
    expect(keyboard.enabled).toBe(true);
  });

  it("resends its last byte on FE and answers unknown commands with FE", () => {
    const { send, drain } = setup({ raw: true });
    send(0xf2);
    expect(drain()).toEqual([0xfa, 0xab, 0x83]);
    send(0xfe);
    expect(drain()).toEqual([0x83]);
    send(0x12);
    expect(drain()).toEqual([0xfe]);
  });
});

describe("PS/2 keyboard keys", () => {
  it("has unique codes and sets for every key", () => {
    const codes = new Set(PS2_KEYS.map((k) => k.code));
    expect(codes.size).toBe(PS2_KEYS.length);
    expect(new Set(PS2_KEYS.map((k) => k.set1)).size).toBe(PS2_KEYS.length);
    expect(new Set(PS2_KEYS.map((k) => k.set2)).size).toBe(PS2_KEYS.length);
    expect(PS2_KEYS.length + 2).toBe(105); // 104 keys plus the ISO key, with PrintScreen and Pause
  });

  it("sends set 2 make/break codes, with E0 for extended keys", () => {
    const { keyboard, drain } = setup({ raw: true });
    const seq = (code: string) => {
      keyboard.pressKey(code);
      keyboard.releaseKey(code);
      return hex(drain());
    };
    expect(seq("KeyA")).toBe("1c f0 1c");
    expect(seq("Enter")).toBe("5a f0 5a");
    expect(seq("NumpadEnter")).toBe("e0 5a e0 f0 5a");
    expect(seq("ControlRight")).toBe("e0 14 e0 f0 14");
    expect(seq("MetaLeft")).toBe("e0 1f e0 f0 1f");
    expect(seq("OSRight")).toBe("e0 27 e0 f0 27");
    expect(seq("F7")).toBe("83 f0 83");
    expect(seq("PrintScreen")).toBe("e0 12 e0 7c e0 f0 7c e0 f0 12");
    expect(seq("Pause")).toBe("e1 14 77 e1 f0 14 f0 77");
  });

  it("ignores unknown codes, repeated presses and releases of keys not held", () => {
    const { keyboard, drain } = setup();
    expect(keyboard.pressKey("Fn")).toBe(false);
    expect(keyboard.pressKey("ShiftLeft")).toBe(true);
    expect(keyboard.pressKey("ShiftLeft")).toBe(true);
    expect(drain()).toEqual([0x2a]);
    expect(keyboard.releaseKey("KeyZ")).toBe(false);
    keyboard.releaseAll();
    expect(drain()).toEqual([0xaa]);
  });

  it("types text with Shift on a US layout", () => {
    const { keyboard, drain } = setup({ raw: true });
    expect(keyboard.typeText("Hi!\r\n")).toBe(0);
    expect(hex(drain())).toBe(
      [
        "12 33 f0 33 f0 12", // H
        "43 f0 43", // i
        "12 16 f0 16 f0 12", // !
        "5a f0 5a", // a single Enter for \r\n
      ].join(" "),
    );
    expect(keyboard.typeText("a\u00e9b")).toBe(1);
    expect(drain()).toEqual([0x1c, 0xf0, 0x1c, 0x32, 0xf0, 0x32]);
  });

  it("types symbols through translation as set 1", () => {
    const { keyboard, drain } = setup();
    keyboard.typeText("~ ?\t");
    expect(hex(drain())).toBe("2a 29 a9 aa 39 b9 2a 35 b5 aa 0f 8f");
  });
});

describe("PS/2 keyboard typematic", () => {
  it("repeats a held key after the delay at the programmed rate", () => {
    const { h, irq1, kbc, keyboard, drain } = setup();
    keyboard.pressKey("KeyJ");
    expect(drain()).toEqual([0x24]);
    // Default: 500 ms delay, then (8 + 3) * 2 / 240 s = 91.67 ms (10.9 per second).
    expect(kbc.nextDeadline()).toBe(500 * MS);
    h.clockStep(499 * MS);
    expect(drain()).toEqual([]);
    const rises = irq1.rises;
    h.clockStep(1 * MS);
    expect(drain()).toEqual([0x24]);
    expect(irq1.rises).toBe(rises + 1);
    const period = (11 * 2 * 1e9) / 240;
    expect(kbc.nextDeadline()).toBeCloseTo(500 * MS + period, 3);
    let repeats = 0;
    for (let t = 0; t < 1000; t++) {
      h.clockStep(MS);
      repeats += drain().length;
    }
    expect(repeats).toBe(10); // 1 s / 91.67 ms
    keyboard.releaseKey("KeyJ");
    expect(drain()).toEqual([0xa4]);
    expect(kbc.nextDeadline()).toBe(Infinity);
    h.clockStep(1000 * MS);
    expect(drain()).toEqual([]);
  });

  it("follows F3: 250 ms delay, 30 per second", () => {
    const { h, kbc, keyboard, send, drain } = setup();
    send(0xf3, 0x00);
    expect(drain()).toEqual([0xfa, 0xfa]);
    keyboard.pressKey("ArrowLeft");
    expect(drain()).toEqual([0xe0, 0x4b]);
    expect(kbc.nextDeadline()).toBe(250 * MS);
    h.clockStep(250 * MS);
    expect(drain()).toEqual([0xe0, 0x4b]);
    h.clockStep((1000 * MS) / 30);
    expect(drain()).toEqual([0xe0, 0x4b]);
  });

  it("repeats only the last key pressed, and stops when it is released", () => {
    const { h, keyboard, drain } = setup();
    keyboard.pressKey("KeyA");
    h.clockStep(100 * MS);
    keyboard.pressKey("KeyS");
    drain();
    h.clockStep(500 * MS);
    expect(drain()).toEqual([0x1f]);
    keyboard.releaseKey("KeyS");
    h.clockStep(2000 * MS);
    expect(drain()).toEqual([0x9f]); // KeyA held but no longer repeating
  });

  it("does not fill more than a real keyboard buffer while nobody reads", () => {
    const { h, keyboard, drain } = setup();
    keyboard.pressKey("KeyA");
    h.clockStep(60_000 * MS);
    expect(drain().length).toBeLessThanOrEqual(17);
  });
});

describe("PS/2 keyboard state", () => {
  it("round-trips a held key mid-repeat and repeats identically", () => {
    const a = setup();
    a.send(0xf3, 0x20, 0xed, 0x02);
    a.drain();
    a.keyboard.pressKey("ShiftLeft");
    a.keyboard.pressKey("KeyD");
    a.h.clockStep(800 * MS);
    a.drain();
    a.send(0xed); // awaiting the LED byte

    const b = setup();
    b.h.clock.t = a.h.clock.t;
    b.keyboard.loadState(cloneState(a.keyboard.saveState()), 1);
    b.kbc.loadState(cloneState(a.kbc.saveState()), 1);
    expect(b.keyboard.leds).toBe(LED_NUM_LOCK);
    expect(b.kbc.nextDeadline()).toBe(a.kbc.nextDeadline());
    for (const x of [a, b]) x.send(0x04);
    expect(b.keyboard.leds).toBe(LED_CAPS_LOCK);
    let repeated = 0;
    for (let i = 0; i < 10; i++) {
      for (const x of [a, b]) x.h.clockStep(37 * MS);
      const got = a.drain();
      expect(b.drain()).toEqual(got);
      repeated += got.filter((x) => x === 0x20).length;
    }
    expect(repeated).toBe(11); // 370 ms at 30 per second
    for (const x of [a, b]) x.keyboard.releaseAll();
    expect(b.drain()).toEqual(a.drain());
  });

  it("refuses corrupt state and stays unchanged", () => {
    const { keyboard, drain } = setup();
    keyboard.pressKey("KeyA");
    const good = keyboard.saveState();
    const bad = [
      { ...good, queue: [1, 2] },
      { ...good, scanSet: 3 },
      { ...good, held: ["KeyA", "NoSuchKey"] },
      { ...good, held: ["KeyA", "KeyA"] },
      { ...good, repeatKey: "KeyB" },
      { ...good, repeatAt: -1 },
      { ...good, awaiting: 0xf4 },
      { ...good, typematic: 0x80 },
      { ...good, lastNs: "0" },
    ];
    for (const s of bad) expect(() => keyboard.loadState(s, 1)).toThrow(StateError);
    expect(keyboard.saveState()).toEqual(good);
    expect(drain()).toEqual([0x1e]);
    keyboard.releaseKey("KeyA");
    expect(drain()).toEqual([0x9e]);
  });
});
