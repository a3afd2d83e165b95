import { describe, it, expect } from "vitest";
import { StateError, cloneState } from "@x86vm/core";
import { DeviceHarness } from "./testing/harness.ts";
import {
  I8042,
  STATUS_OBF,
  STATUS_AUX_OBF,
  CMDBYTE_KBD_INT,
  CMDBYTE_AUX_INT,
  CMDBYTE_SYS,
  CMDBYTE_TRANSLATE,
} from "./i8042.ts";
import { Ps2Keyboard } from "./ps2-keyboard.ts";
import {
  Ps2Mouse,
  BUTTON_LEFT,
  BUTTON_RIGHT,
  BUTTON_MIDDLE,
  PACKET_ALWAYS_ONE,
  PACKET_LEFT,
  PACKET_RIGHT,
  PACKET_MIDDLE,
  PACKET_X_SIGN,
  PACKET_Y_SIGN,
  PACKET_X_OVERFLOW,
  PACKET_Y_OVERFLOW,
  STATUS_LEFT,
  STATUS_SCALING_2_1,
  STATUS_ENABLED,
  STATUS_REMOTE,
  MOUSE_ID_WHEEL,
} from "./ps2-mouse.ts";

const DATA = 0x60;
const CMD = 0x64;

/** A mouse on the aux port of an 8042 with both interrupts enabled. */
function setup() {
  const h = new DeviceHarness();
  const irq12 = h.irq("irq12");
  const mouse = new Ps2Mouse();
  const kbc = new I8042({
    clock: h.clock,
    keyboard: new Ps2Keyboard(h.clock),
    mouse,
    kbdIrq: h.irq("irq1"),
    auxIrq: irq12,
    setA20: () => {},
    resetCpu: () => {},
  });
  h.attach(kbc.ioSurface(DATA, CMD), kbc);
  h.outb(CMD, 0x60);
  h.outb(DATA, CMDBYTE_KBD_INT | CMDBYTE_AUX_INT | CMDBYTE_SYS | CMDBYTE_TRANSLATE);
  /** Sends bytes to the mouse (each through D4). */
  const send = (...bytes: number[]) => {
    for (const b of bytes) {
      h.outb(CMD, 0xd4);
      h.outb(DATA, b);
    }
  };
  /** Reads what is waiting; every byte must be tagged as aux data. */
  const drain = () => {
    const out: number[] = [];
    for (let s = h.inb(CMD); s & STATUS_OBF; s = h.inb(CMD)) {
      expect(s & STATUS_AUX_OBF).toBe(STATUS_AUX_OBF);
      out.push(h.inb(DATA));
    }
    return out;
  };
  const enable = () => {
    send(0xf4);
    expect(drain()).toEqual([0xfa]);
  };
  return { h, irq12, mouse, kbc, send, drain, enable };
}

describe("PS/2 mouse commands", () => {
  it("resets with FA AA 00 and reports ID 0", () => {
    const { send, drain, irq12, mouse } = setup();
    send(0xff);
    expect(drain()).toEqual([0xfa, 0xaa, 0x00]);
    expect(irq12.rises).toBe(3);
    send(0xf2);
    expect(drain()).toEqual([0xfa, 0x00]);
    expect(mouse.streaming).toBe(false);
  });

  it("turns into an IntelliMouse after sample rates 200, 100, 80", () => {
    const { send, drain, mouse } = setup();
    send(0xf3, 200, 0xf3, 100, 0xf3, 80);
    expect(drain()).toEqual([0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa]);
    send(0xf2);
    expect(drain()).toEqual([0xfa, MOUSE_ID_WHEEL]);
    send(0xff);
    drain();
    expect(mouse.deviceId).toBe(0);
  });

  it("needs the exact sequence for the wheel", () => {
    const { send, drain } = setup();
    send(0xf3, 200, 0xf3, 80, 0xf3, 100);
    drain();
    send(0xf2);
    expect(drain()).toEqual([0xfa, 0x00]);
  });

  it("reports its status: mode, enable, scaling, buttons, resolution, rate", () => {
    const { send, drain, mouse } = setup();
    send(0xe9);
    expect(drain()).toEqual([0xfa, 0x00, 0x02, 100]);
    send(0xe8, 0x03, 0xf3, 40, 0xe7, 0xf4, 0xf0);
    drain();
    mouse.setButtons(BUTTON_LEFT);
    send(0xe9);
    expect(drain()).toEqual([0xfa, STATUS_REMOTE | STATUS_ENABLED | STATUS_SCALING_2_1 | STATUS_LEFT, 0x03, 40]);
    send(0xe6, 0xf6);
    drain();
    send(0xe9);
    expect(drain()).toEqual([0xfa, STATUS_LEFT, 0x02, 100]);
  });

  it("echoes in wrap mode until EC", () => {
    const { send, drain } = setup();
    send(0xee);
    expect(drain()).toEqual([0xfa]);
    send(0x12, 0xf4);
    expect(drain()).toEqual([0x12, 0xf4]);
    send(0xec);
    expect(drain()).toEqual([0xfa]);
    send(0xf2);
    expect(drain()).toEqual([0xfa, 0x00]);
  });

  it("resends its last byte and answers unknown commands with FE", () => {
    const { send, drain } = setup();
    send(0xe9);
    drain();
    send(0xfe);
    expect(drain()).toEqual([100]);
    send(0x55);
    expect(drain()).toEqual([0xfe]);
  });
});

describe("PS/2 mouse packets", () => {
  it("streams movement packets with sign bits once enabled", () => {
    const { mouse, drain, enable, irq12 } = setup();
    mouse.move(10, 10);
    expect(drain()).toEqual([]); // reporting is off after power-on
    enable();
    const before = irq12.rises;
    mouse.move(10, -5); // right and up
    expect(drain()).toEqual([PACKET_ALWAYS_ONE, 10, 5]);
    mouse.move(-3, 4); // left and down
    expect(drain()).toEqual([PACKET_ALWAYS_ONE | PACKET_X_SIGN | PACKET_Y_SIGN, 0xfd, 0xfc]);
    expect(irq12.rises - before).toBe(6);
  });

  it("sets the overflow bits beyond the 9-bit range", () => {
    const { mouse, drain, enable } = setup();
    enable();
    mouse.move(300, 0);
    expect(drain()).toEqual([PACKET_ALWAYS_ONE | PACKET_X_OVERFLOW, 0xff, 0x00]);
    mouse.move(0, 257);
    expect(drain()).toEqual([PACKET_ALWAYS_ONE | PACKET_Y_OVERFLOW | PACKET_Y_SIGN, 0x00, 0x00]);
    mouse.move(-256, 0);
    expect(drain()).toEqual([PACKET_ALWAYS_ONE | PACKET_X_SIGN, 0x00, 0x00]);
  });

  it("merges motion the guest has not read yet into one packet", () => {
    const { h, mouse, drain, enable } = setup();
    enable();
    mouse.move(1, 0);
    for (let i = 0; i < 4; i++) mouse.move(2, 1);
    expect(h.inb(DATA)).toBe(PACKET_ALWAYS_ONE); // first packet built at the first move
    expect(drain()).toEqual([1, 0, PACKET_ALWAYS_ONE | PACKET_Y_SIGN, 8, 0xfc]);
  });

  it("loses no click: each button change gets its own packet", () => {
    const { mouse, drain, enable } = setup();
    enable();
    mouse.setButtons(BUTTON_LEFT);
    mouse.setButtons(0);
    mouse.setButtons(BUTTON_RIGHT | BUTTON_MIDDLE);
    expect(drain()).toEqual([
      PACKET_ALWAYS_ONE | PACKET_LEFT,
      0,
      0,
      PACKET_ALWAYS_ONE,
      0,
      0,
      PACKET_ALWAYS_ONE | PACKET_RIGHT | PACKET_MIDDLE,
      0,
      0,
    ]);
  });

  it("adds the wheel byte in IntelliMouse mode", () => {
    const { mouse, send, drain, enable } = setup();
    send(0xf3, 200, 0xf3, 100, 0xf3, 80);
    drain();
    enable();
    mouse.move(0, 0, 1);
    expect(drain()).toEqual([PACKET_ALWAYS_ONE, 0, 0, 0x01]);
    mouse.move(1, 0, -20);
    expect(drain()).toEqual([PACKET_ALWAYS_ONE, 1, 0, 0xf8]); // clamped to -8
  });

  it("applies scaling 2:1 in stream mode", () => {
    const { mouse, send, drain, enable } = setup();
    send(0xe7);
    drain();
    enable();
    mouse.move(3, 0);
    expect(drain()).toEqual([PACKET_ALWAYS_ONE, 3, 0]);
    mouse.move(4, -5);
    expect(drain()).toEqual([PACKET_ALWAYS_ONE, 6, 9]);
    mouse.move(-7, 0);
    expect(drain()).toEqual([PACKET_ALWAYS_ONE | PACKET_X_SIGN, 0xf2, 0]);
  });

  it("answers read data in remote mode and streams nothing", () => {
    const { mouse, send, drain } = setup();
    send(0xf0, 0xf4);
    drain();
    mouse.move(7, 0);
    expect(drain()).toEqual([]);
    send(0xeb);
    expect(drain()).toEqual([0xfa, PACKET_ALWAYS_ONE, 7, 0]);
    send(0xeb);
    expect(drain()).toEqual([0xfa, PACKET_ALWAYS_ONE, 0, 0]);
  });

  it("stops streaming on F5 and drops a packet cut short by a command", () => {
    const { h, mouse, send, drain, enable } = setup();
    enable();
    mouse.move(5, 5);
    expect(h.inb(DATA)).toBe(PACKET_ALWAYS_ONE | PACKET_Y_SIGN);
    h.outb(CMD, 0xd4);
    h.outb(DATA, 0xf5);
    // The byte already in the controller stays; the rest of the packet is gone.
    expect(drain()).toEqual([5, 0xfa]);
    mouse.move(1, 1);
    expect(drain()).toEqual([]);
    send(0xf4);
    expect(drain()).toEqual([0xfa]);
  });
});

describe("PS/2 mouse state", () => {
  it("round-trips mid-packet and continues identically", () => {
    const a = setup();
    a.send(0xf3, 200, 0xf3, 100, 0xf3, 80, 0xe8, 1);
    a.drain();
    a.enable();
    a.mouse.setButtons(BUTTON_MIDDLE);
    a.mouse.move(-4, 9, 2);
    a.h.inb(DATA);
    a.h.outb(CMD, 0xd4);
    a.h.outb(DATA, 0xf3); // waiting for the rate byte

    const b = setup();
    b.mouse.loadState(cloneState(a.mouse.saveState()), 1);
    b.kbc.loadState(cloneState(a.kbc.saveState()), 1);
    expect(b.irq12.level).toBe(a.irq12.level);
    expect(b.drain()).toEqual(a.drain());
    for (const x of [a, b]) {
      x.send(60);
      x.mouse.move(2, 2, -1);
      x.mouse.setButtons(0);
    }
    const seq = a.drain();
    expect(b.drain()).toEqual(seq);
    expect(seq).toEqual([
      0xfa,
      PACKET_ALWAYS_ONE | PACKET_MIDDLE | PACKET_Y_SIGN,
      2,
      0xfe,
      0xff,
      PACKET_ALWAYS_ONE,
      0,
      0,
      0,
    ]);
    for (const x of [a, b]) x.send(0xe9);
    expect(b.drain()).toEqual([0xfa, STATUS_ENABLED, 1, 60]);
  });

  it("refuses corrupt state and stays unchanged", () => {
    const { mouse, send, drain, enable } = setup();
    enable();
    mouse.move(1, 1);
    const good = mouse.saveState();
    const bad = [
      { ...good, replies: new Uint8Array(300) },
      { ...good, packets: [1] },
      { ...good, id: 4 },
      { ...good, rates: [1, 2, 3, 4] },
      { ...good, rates: [1, "2"] },
      { ...good, resolution: 4 },
      { ...good, buttons: 8 },
      { ...good, dx: 1.5 },
      { ...good, awaiting: 0xf4 },
      { ...good, dirty: null },
    ];
    for (const s of bad) expect(() => mouse.loadState(s, 1)).toThrow(StateError);
    expect(mouse.saveState()).toEqual(good);
    expect(drain()).toEqual([PACKET_ALWAYS_ONE | PACKET_Y_SIGN, 1, 0xff]);
    send(0xf2);
    expect(drain()).toEqual([0xfa, 0x00]);
  });
});
