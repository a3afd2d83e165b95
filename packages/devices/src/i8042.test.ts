import { describe, it, expect } from "vitest";
import { StateError, cloneState } from "@x86vm/core";
import { DeviceHarness } from "./testing/harness.ts";
import {
  I8042,
  STATUS_OBF,
  STATUS_SYS,
  STATUS_CMD,
  STATUS_NOT_INHIBITED,
  STATUS_AUX_OBF,
  STATUS_TIMEOUT,
  CMDBYTE_AFTER_POST,
  CMDBYTE_KBD_INT,
  CMDBYTE_AUX_INT,
  CMDBYTE_SYS,
  CMDBYTE_KBD_DISABLE,
  CMDBYTE_AUX_DISABLE,
  CMDBYTE_TRANSLATE,
  OUTPORT_A20,
  OUTPORT_RESET,
  OUTPORT_KBD_OBF,
  OUTPORT_AUX_OBF,
  SET2_TO_SET1,
} from "./i8042.ts";
import { Ps2Keyboard, PS2_KEYS } from "./ps2-keyboard.ts";
import { Ps2Mouse } from "./ps2-mouse.ts";

const DATA = 0x60;
const CMD = 0x64;

function setup(opts: { mouse?: boolean } = {}) {
  const h = new DeviceHarness();
  const kbdIrq = h.irq("irq1");
  const auxIrq = h.irq("irq12");
  const keyboard = new Ps2Keyboard(h.clock);
  const mouse = opts.mouse === false ? null : new Ps2Mouse();
  const a20: boolean[] = [];
  let resets = 0;
  const kbc = new I8042({
    clock: h.clock,
    keyboard,
    mouse,
    kbdIrq,
    auxIrq,
    setA20: (on) => {
      a20.push(on);
    },
    resetCpu: () => {
      resets++;
    },
  });
  h.attach(kbc.ioSurface(DATA, CMD), kbc);
  const status = () => h.inb(CMD);
  const command = (v: number) => h.outb(CMD, v);
  const write = (v: number) => h.outb(DATA, v);
  const drain = () => {
    const out: number[] = [];
    while (status() & STATUS_OBF) out.push(h.inb(DATA));
    return out;
  };
  const commandByte = () => {
    command(0x20);
    return h.inb(DATA);
  };
  return {
    h,
    kbdIrq,
    auxIrq,
    keyboard,
    mouse,
    kbc,
    a20,
    resets: () => resets,
    status,
    command,
    write,
    drain,
    commandByte,
  };
}

describe("8042 controller", () => {
  it("starts as POST leaves it and answers the command byte with an IRQ1 edge", () => {
    const { h, kbdIrq, status, command } = setup();
    expect(status()).toBe(STATUS_SYS | STATUS_NOT_INHIBITED);
    command(0x20);
    expect(status()).toBe(STATUS_OBF | STATUS_SYS | STATUS_CMD | STATUS_NOT_INHIBITED);
    expect(kbdIrq.level).toBe(true);
    expect(h.inb(DATA)).toBe(CMDBYTE_AFTER_POST);
    expect(kbdIrq.level).toBe(false);
    expect(kbdIrq.rises).toBe(1);
    expect(status() & STATUS_OBF).toBe(0);
    expect(h.inb(DATA)).toBe(CMDBYTE_AFTER_POST); // an empty buffer still shows the last byte
  });

  it("runs the self test and interface tests", () => {
    const { command, drain } = setup();
    command(0xaa);
    expect(drain()).toEqual([0x55]);
    command(0xab);
    expect(drain()).toEqual([0x00]);
    command(0xa9);
    expect(drain()).toEqual([0x00]);
  });

  it("writes the command byte; the status system flag follows it", () => {
    const { command, write, status, commandByte } = setup();
    command(0x60);
    expect(status() & STATUS_CMD).toBe(STATUS_CMD);
    write(CMDBYTE_KBD_INT | CMDBYTE_AUX_INT);
    expect(status() & STATUS_CMD).toBe(0);
    expect(status() & STATUS_SYS).toBe(0);
    expect(commandByte()).toBe(CMDBYTE_KBD_INT | CMDBYTE_AUX_INT);
    command(0x60);
    write(CMDBYTE_SYS | CMDBYTE_TRANSLATE);
    expect(status() & STATUS_SYS).toBe(STATUS_SYS);
    expect(commandByte()).toBe(CMDBYTE_SYS | CMDBYTE_TRANSLATE);
  });

  it("keeps the other RAM bytes", () => {
    const { h, command, write } = setup();
    command(0x65);
    write(0x5a);
    command(0x25);
    expect(h.inb(DATA)).toBe(0x5a);
  });

  it("raises no IRQ1 when its enable bit is clear, but still sets OBF", () => {
    const { kbdIrq, command, write, status, keyboard, drain } = setup();
    command(0x60);
    write(CMDBYTE_TRANSLATE);
    keyboard.pressKey("KeyA");
    expect(status() & STATUS_OBF).toBe(STATUS_OBF);
    expect(kbdIrq.rises).toBe(0);
    expect(drain()).toEqual([0x1e]);
  });

  it("resets the keyboard: FA then AA", () => {
    const { write, drain, kbdIrq } = setup();
    write(0xff);
    expect(drain()).toEqual([0xfa, 0xaa]);
    expect(kbdIrq.rises).toBe(2); // one edge per byte: the next moves in when one is read
  });

  it("delivers a key press as set 1 bytes through translation, one IRQ1 edge per byte", () => {
    const { h, kbdIrq, keyboard, status } = setup();
    keyboard.pressKey("KeyA");
    expect(kbdIrq.level).toBe(true);
    expect(status() & (STATUS_OBF | STATUS_AUX_OBF)).toBe(STATUS_OBF);
    expect(h.inb(DATA)).toBe(0x1e);
    keyboard.releaseKey("KeyA");
    expect(h.inb(DATA)).toBe(0x9e); // set 2's F0 1C folded into the break bit
    expect(kbdIrq.rises).toBe(2);
    expect(status() & STATUS_OBF).toBe(0);
  });

  it("passes set 2 through when translation is off", () => {
    const { command, write, keyboard, drain } = setup();
    command(0x60);
    write(CMDBYTE_KBD_INT | CMDBYTE_SYS);
    keyboard.pressKey("KeyA");
    keyboard.releaseKey("KeyA");
    expect(drain()).toEqual([0x1c, 0xf0, 0x1c]);
  });

  it("translates extended keys and the special sequences into set 1", () => {
    const { keyboard, drain } = setup();
    keyboard.pressKey("ArrowUp");
    keyboard.releaseKey("ArrowUp");
    expect(drain()).toEqual([0xe0, 0x48, 0xe0, 0xc8]);
    keyboard.pressKey("PrintScreen");
    keyboard.releaseKey("PrintScreen");
    expect(drain()).toEqual([0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa]);
    keyboard.pressKey("Pause");
    keyboard.releaseKey("Pause");
    expect(drain()).toEqual([0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5]);
    keyboard.pressKey("F7");
    keyboard.releaseKey("F7");
    expect(drain()).toEqual([0x41, 0xc1]);
  });

  it("has a translation table that agrees with every key's set 1 code", () => {
    for (const key of PS2_KEYS) {
      expect(SET2_TO_SET1[key.set2 & 0xff]).toBe(key.set1 & 0x7f);
      expect(key.set2 & 0x100).toBe(key.set1 & 0x100);
    }
    // The scan code set query answers as a translating controller shows them.
    expect([1, 2, 3].map((n) => SET2_TO_SET1[n])).toEqual([0x43, 0x41, 0x3f]);
  });

  it("answers the scan set query through translation as 0x41", () => {
    const { write, drain } = setup();
    write(0xf0);
    write(0x00);
    expect(drain()).toEqual([0xfa, 0xfa, 0x41]); // ACK for the command, ACK for its argument, the set
  });

  it("holds keyboard data while the keyboard interface is disabled", () => {
    const { command, keyboard, status, drain, commandByte } = setup();
    command(0xad);
    expect(commandByte() & CMDBYTE_KBD_DISABLE).toBe(CMDBYTE_KBD_DISABLE);
    keyboard.pressKey("KeyB");
    expect(status() & STATUS_OBF).toBe(0);
    command(0xae);
    expect(drain()).toEqual([0x30]);
    expect(commandByte() & CMDBYTE_KBD_DISABLE).toBe(0);
  });

  it("enables the keyboard interface when a byte is sent to the keyboard", () => {
    const { command, write, drain, commandByte } = setup();
    command(0xad);
    write(0xee);
    expect(drain()).toEqual([0xee]);
    expect(commandByte() & CMDBYTE_KBD_DISABLE).toBe(0);
  });

  it("gives controller replies before queued device data", () => {
    const { h, command, keyboard, drain } = setup();
    keyboard.pressKey("KeyC"); // 0x2E in the buffer
    keyboard.releaseKey("KeyC"); // 0xAE waiting in the keyboard
    command(0xaa);
    expect(h.inb(DATA)).toBe(0x2e);
    expect(drain()).toEqual([0x55, 0xae]);
  });

  it("writes the output buffer as keyboard or aux data with D2/D3", () => {
    const { h, kbdIrq, auxIrq, command, write, status } = setup();
    command(0x60);
    write(CMDBYTE_KBD_INT | CMDBYTE_AUX_INT | CMDBYTE_TRANSLATE);
    command(0xd2);
    write(0x9c);
    expect(status() & (STATUS_OBF | STATUS_AUX_OBF)).toBe(STATUS_OBF);
    expect(kbdIrq.level).toBe(true);
    expect(h.inb(DATA)).toBe(0x9c); // not translated
    command(0xd3);
    write(0x42);
    expect(status() & (STATUS_OBF | STATUS_AUX_OBF)).toBe(STATUS_OBF | STATUS_AUX_OBF);
    expect(auxIrq.level).toBe(true);
    expect(kbdIrq.level).toBe(false);
    expect(h.inb(DATA)).toBe(0x42);
    expect(auxIrq.level).toBe(false);
  });
});

describe("8042 machine reset", () => {
  it("returns to the post-POST state but keeps A20 and the devices", () => {
    const { h, kbc, kbdIrq, command, write, commandByte, status, keyboard } = setup();
    command(0xdd);
    command(0x60);
    write(CMDBYTE_KBD_INT);
    command(0xaa); // reply in the buffer, IRQ1 high
    expect(kbdIrq.level).toBe(true);
    write(0xf3); // the keyboard now waits for a typematic byte
    h.inb(DATA);
    kbc.reset();
    expect(kbdIrq.level).toBe(false);
    expect(status()).toBe(STATUS_SYS | STATUS_NOT_INHIBITED);
    expect(commandByte()).toBe(CMDBYTE_AFTER_POST);
    expect(kbc.a20Enabled).toBe(false);
    write(0x00); // still the keyboard's argument
    h.inb(DATA);
    expect(keyboard.typematicByte).toBe(0x00);
  });
});

describe("8042 output port: A20 and reset", () => {
  it("switches A20 through the output port and reads it back", () => {
    const { h, kbc, a20, command, write, resets } = setup();
    expect(kbc.a20Enabled).toBe(true);
    command(0xd1);
    write(0xdd); // the classic "A20 off" value, reset line high
    expect(a20).toEqual([false]);
    command(0xd0);
    expect(h.inb(DATA) & (OUTPORT_A20 | OUTPORT_RESET)).toBe(OUTPORT_RESET);
    command(0xd1);
    write(0xdf);
    expect(a20).toEqual([false, true]);
    command(0xd1);
    write(0xdf); // no change, no call
    expect(a20).toEqual([false, true]);
    expect(resets()).toBe(0);
  });

  it("shows the output buffer lines in the output port", () => {
    const { h, command, write } = setup();
    command(0xd0);
    expect(h.inb(DATA) & (OUTPORT_KBD_OBF | OUTPORT_AUX_OBF)).toBe(0);
    command(0xd3);
    write(0x01); // aux byte in the buffer
    command(0xd0); // the port is sampled now; its value queues behind the aux byte
    expect(h.inb(DATA)).toBe(0x01);
    expect(h.inb(DATA) & (OUTPORT_KBD_OBF | OUTPORT_AUX_OBF)).toBe(OUTPORT_AUX_OBF);
  });

  it("switches A20 with DD/DF", () => {
    const { kbc, a20, command } = setup();
    command(0xdd);
    expect(kbc.a20Enabled).toBe(false);
    command(0xdf);
    expect(kbc.a20Enabled).toBe(true);
    expect(a20).toEqual([false, true]);
  });

  it("resets the CPU with FE, with a pulse of bit 0 and with a written 0 in bit 0", () => {
    const { command, write, resets, kbc, a20 } = setup();
    command(0xfe);
    expect(resets()).toBe(1);
    command(0xff); // pulses nothing
    command(0xfd); // pulses A20 only
    expect(resets()).toBe(1);
    command(0xf0); // pulses bits 0-3
    expect(resets()).toBe(2);
    command(0xd1);
    write(0x02);
    expect(resets()).toBe(3);
    expect(kbc.a20Enabled).toBe(true);
    expect(a20).toEqual([]);
  });
});

describe("8042 auxiliary port", () => {
  it("sends to the mouse with D4 and raises IRQ12 for its answer", () => {
    const { h, auxIrq, kbdIrq, command, write, status } = setup();
    command(0x60);
    write(CMDBYTE_KBD_INT | CMDBYTE_AUX_INT | CMDBYTE_SYS | CMDBYTE_TRANSLATE);
    command(0xa8);
    command(0xd4);
    write(0xff);
    const got: number[] = [];
    while (status() & STATUS_OBF) {
      expect(status() & STATUS_AUX_OBF).toBe(STATUS_AUX_OBF);
      expect(auxIrq.level).toBe(true);
      got.push(h.inb(DATA));
    }
    expect(got).toEqual([0xfa, 0xaa, 0x00]); // aux bytes are never translated
    expect(auxIrq.rises).toBe(3);
    expect(kbdIrq.rises).toBe(0);
  });

  it("holds mouse data while the aux interface is disabled", () => {
    const { command, write, status, drain, commandByte } = setup();
    command(0xa7);
    expect(commandByte() & CMDBYTE_AUX_DISABLE).toBe(CMDBYTE_AUX_DISABLE);
    command(0xd4);
    write(0xf2);
    expect(status() & STATUS_OBF).toBe(0);
    command(0xa8);
    expect(drain()).toEqual([0xfa, 0x00]);
  });

  it("delivers a movement packet through IRQ12", () => {
    const { h, auxIrq, command, write, mouse, drain } = setup();
    command(0x60);
    write(CMDBYTE_KBD_INT | CMDBYTE_AUX_INT | CMDBYTE_TRANSLATE);
    command(0xd4);
    write(0xf4);
    expect(drain()).toEqual([0xfa]);
    const before = auxIrq.rises;
    mouse!.setButtons(1);
    mouse!.move(5, 2);
    expect(auxIrq.level).toBe(true);
    expect(h.inb(DATA)).toBe(0x09);
    expect(drain()).toEqual([0x00, 0x00, 0x08 | 0x01 | 0x20, 5, 0xfe]);
    expect(auxIrq.rises - before).toBe(6);
  });

  it("times out writes to a missing aux device", () => {
    const { command, write, status } = setup({ mouse: false });
    command(0xd4);
    write(0xff);
    expect(status() & (STATUS_TIMEOUT | STATUS_OBF)).toBe(STATUS_TIMEOUT);
  });
});

describe("8042 state", () => {
  it("round-trips controller, keyboard and mouse mid-stream", () => {
    const a = setup();
    a.command(0x60);
    a.write(CMDBYTE_KBD_INT | CMDBYTE_AUX_INT | CMDBYTE_SYS | CMDBYTE_TRANSLATE);
    a.command(0xd4);
    a.write(0xf4);
    a.drain();
    a.command(0xdd);
    a.keyboard.typeText("Ab");
    a.mouse!.move(3, 3);
    a.h.inb(DATA);
    a.h.inb(DATA); // mid-sequence: the next byte is in the buffer, more are queued
    a.command(0xd1); // the controller waits for its data byte

    const b = setup();
    b.h.clock.t = a.h.clock.t;
    const saved = [a.kbc, a.keyboard, a.mouse!].map((d) => cloneState(d.saveState()));
    b.keyboard.loadState(saved[1], 1);
    b.mouse!.loadState(saved[2], 1);
    b.kbc.loadState(saved[0], 1);
    expect(b.kbdIrq.level).toBe(a.kbdIrq.level);
    expect(b.kbc.a20Enabled).toBe(false);
    for (const x of [a, b]) x.write(0xdf); // the pending D1 write: A20 on
    expect(b.a20).toEqual([true]);
    expect(b.status()).toBe(a.status());
    const seqA = a.drain();
    const seqB = b.drain();
    expect(seqB).toEqual(seqA);
    expect(seqA).toEqual([0x9e, 0xaa, 0x30, 0xb0, 0x28, 3, 0xfd]); // rest of "Ab", then the packet (down = negative y)
    expect(b.commandByte()).toBe(a.commandByte());
  });

  it("refuses corrupt controller state and stays unchanged", () => {
    const { kbc, command, write, commandByte, drain } = setup();
    command(0x60);
    command(0x60); // still waiting for data
    const good = kbc.saveState();
    const bad = [
      { ...good, ram: new Uint8Array(31) },
      { ...good, outByte: 256 },
      { ...good, outFull: "yes" },
      { ...good, expecting: 0xaa },
      { ...good, pending: [0x200] },
      { ...good, pending: new Array(17).fill(0) },
      { ...good, outputPort: 0x00 },
      (() => {
        const r = { ...good };
        delete r.xlatBreak;
        return r;
      })(),
    ];
    for (const s of bad) expect(() => kbc.loadState(s, 1)).toThrow(StateError);
    expect(kbc.saveState()).toEqual(good);
    expect(drain()).toEqual([]);
    write(0x01); // the pending command-byte write takes it
    expect(commandByte()).toBe(0x01);
  });
});
