// INT 09h and INT 16h on the real board: keys pressed on the PS/2 keyboard travel through the
// 8042 and IRQ1 into the BIOS's buffer, and a guest program reads them with INT 16h. Covers the
// shift states (Shift, Caps Lock, Num Lock, Ctrl, Alt, Alt+keypad), enhanced keys, the buffer's
// wrap and overflow, the status functions, and the idle halt of tight AH=01h polling loops.

import fs from "node:fs";
import path from "node:path";
import { describe, it, expect } from "vitest";
import { MemoryDisk } from "../../../../core/src/storage/disk.ts";
import { EXIT_HLT } from "../../../../core/src/dispatch/exits.ts";
import { guestInt, runGuest, runUntilHaltedForever } from "./guest-call.ts";
import { IDLE_POLLS, IDLE_POLLS_IDLING, IDLE_POLL_GAP } from "./keyboard.ts";
import * as B from "./bda.ts";
import { PcMachine } from "../pc.ts";

const FREEDOS = path.resolve(__dirname, "../../../../../../shared/guests/freedos722.img");

function board(): PcMachine {
  const pc = new PcMachine({ memoryMiB: 4, clock: "deterministic", bootOrder: [] });
  runUntilHaltedForever(pc);
  return pc;
}

/** Lets IRQ1 deliver what the keyboard sent: sti, then halt until three interrupts have come. */
function settle(pc: PcMachine): void {
  runGuest(pc, [0xfb, 0xb9, 0x03, 0x00, 0xf4, 0xe2, 0xfd]); // sti; mov cx,3; l: hlt; loop l
}

/** Presses the keys in order, then releases them in reverse order (a chord), and lets the BIOS see it. */
function chord(pc: PcMachine, ...codes: string[]): void {
  for (const c of codes) expect(pc.keyboard.pressKey(c)).toBe(true);
  for (const c of [...codes].reverse()) pc.keyboard.releaseKey(c);
  settle(pc);
}

const read = (pc: PcMachine, ah = 0x00) => guestInt(pc, 0x16, { eax: ah << 8 }).ax;
const peek = (pc: PcMachine, ah = 0x01) => guestInt(pc, 0x16, { eax: ah << 8 });
const shiftFlags = (pc: PcMachine) => guestInt(pc, 0x16, { eax: 0x0200 }).al;

describe("INT 16h reads the keys typed", () => {
  it("returns scan code and character, with Shift, Caps Lock and both", () => {
    const pc = board();
    chord(pc, "KeyA");
    expect(read(pc)).toBe(0x1e61);
    chord(pc, "ShiftLeft", "KeyA");
    expect(read(pc)).toBe(0x1e41);
    chord(pc, "CapsLock");
    expect(shiftFlags(pc) & 0x40).toBe(0x40);
    expect(pc.machine.mem.read8(B.BDA_KBD_LEDS) & 4).toBe(4);
    chord(pc, "KeyB");
    expect(read(pc)).toBe(0x3042);
    chord(pc, "ShiftRight", "KeyB");
    expect(read(pc)).toBe(0x3062);
    chord(pc, "Digit1"); // Caps Lock does not shift digits
    expect(read(pc)).toBe(0x0231);
    chord(pc, "CapsLock");
    expect(shiftFlags(pc) & 0x40).toBe(0);
  });

  it("keypad keys give digits with Num Lock (on after POST) and cursor keys without", () => {
    const pc = board();
    expect(shiftFlags(pc) & 0x20).toBe(0x20);
    chord(pc, "Numpad7");
    expect(read(pc)).toBe(0x4737);
    chord(pc, "ShiftLeft", "Numpad7");
    expect(read(pc)).toBe(0x4700);
    chord(pc, "NumLock");
    expect(shiftFlags(pc) & 0x20).toBe(0);
    chord(pc, "Numpad7");
    expect(read(pc)).toBe(0x4700);
  });

  it("Ctrl and Alt combinations", () => {
    const pc = board();
    const cases: [string[], number][] = [
      [["ControlLeft", "KeyC"], 0x2e03],
      [["ControlRight", "KeyZ"], 0x2c1a],
      [["AltLeft", "KeyX"], 0x2d00],
      [["AltLeft", "Digit1"], 0x7800],
      [["ControlLeft", "Digit2"], 0x0300],
      [["AltLeft", "F1"], 0x6800],
      [["ControlLeft", "Enter"], 0x1c0a],
      [["ShiftLeft", "F1"], 0x5400],
      [["ControlLeft", "Home"], 0x7700],
      [["ShiftLeft", "Tab"], 0x0f00],
      [["ControlLeft", "Backspace"], 0x0e7f],
    ];
    for (const [keys, want] of cases) {
      chord(pc, ...keys);
      expect(read(pc), keys.join("+")).toBe(want);
    }
    expect(shiftFlags(pc) & 0x0c).toBe(0); // Ctrl and Alt released again
  });

  it("Alt + keypad digits enter a character code when Alt is released", () => {
    const pc = board();
    pc.keyboard.pressKey("AltLeft");
    for (const k of ["Numpad6", "Numpad5"]) {
      pc.keyboard.pressKey(k);
      pc.keyboard.releaseKey(k);
    }
    settle(pc);
    expect(peek(pc).zf).toBe(true); // nothing yet
    pc.keyboard.releaseKey("AltLeft");
    settle(pc);
    expect(read(pc)).toBe(0x0041);
  });

  it("enhanced keys: AH=10h gets them whole, AH=00h translates or skips them", () => {
    const pc = board();
    chord(pc, "ArrowUp");
    expect(read(pc, 0x10)).toBe(0x48e0);
    chord(pc, "ArrowUp");
    expect(read(pc, 0x00)).toBe(0x4800);
    chord(pc, "NumpadEnter");
    expect(read(pc, 0x00)).toBe(0x1c0d);
    chord(pc, "F11");
    expect(peek(pc, 0x11).ax).toBe(0x8500);
    expect(peek(pc, 0x01).zf).toBe(true); // F11 is not a key for the old functions: dropped
    expect(peek(pc, 0x11).zf).toBe(true);
  });

  it("AH=01h/11h look without taking; AH=00h takes", () => {
    const pc = board();
    expect(peek(pc).zf).toBe(true);
    chord(pc, "KeyQ");
    const p = peek(pc);
    expect(p.zf).toBe(false);
    expect(p.ax).toBe(0x1071);
    expect(peek(pc).ax).toBe(0x1071);
    expect(read(pc)).toBe(0x1071);
    expect(peek(pc).zf).toBe(true);
  });

  it("AH=00h waits (halting) for a key that arrives later", () => {
    const pc = board();
    const hltBefore = pc.machine.io.counts[EXIT_HLT];
    // Press the key after the guest has been waiting for 100 ms of machine time.
    const at = pc.machine.clock.now() + 100e6;
    const origRun = pc.machine.run.bind(pc.machine);
    let pressed = false;
    const r = (() => {
      pc.machine.run = (until, stop) =>
        origRun(until, () => {
          if (!pressed && pc.machine.clock.now() >= at) {
            pressed = true;
            pc.keyboard.pressKey("KeyW");
            pc.keyboard.releaseKey("KeyW");
          }
          return stop?.() ?? false;
        });
      try {
        return guestInt(pc, 0x16, { eax: 0 });
      } finally {
        pc.machine.run = origRun;
      }
    })();
    expect(r.ax).toBe(0x1177);
    expect(r.elapsedNs).toBeGreaterThanOrEqual(100e6);
    expect(pc.machine.io.counts[EXIT_HLT] - hltBefore).toBeGreaterThan(0);
  });
});

describe("INT 09h calls the INT 15h/4Fh keyboard intercept", () => {
  it("with DS at the BDA (40h) whatever the interrupted code's DS, and restores DS after", () => {
    const pc = board();
    const mem = pc.machine.mem;
    // Hook at 0000:0800: save DS and the scan code at 0000:0900, then let the key through:
    // mov [cs:900h],ds; mov [cs:902h],al; stc; iret
    [0x2e, 0x8c, 0x1e, 0x00, 0x09, 0x2e, 0xa2, 0x02, 0x09, 0xf9, 0xcf].forEach((v, i) => mem.write8(0x800 + i, v));
    const old = mem.read32(0x15 * 4);
    mem.write32(0x15 * 4, 0x0800);
    expect(pc.keyboard.pressKey("KeyA")).toBe(true);
    pc.keyboard.releaseKey("KeyA");
    // sti; mov cx,3; l: hlt; loop l, run with DS = 1234h
    const r = runGuest(pc, [0xfb, 0xb9, 0x03, 0x00, 0xf4, 0xe2, 0xfd], { ds: 0x1234 });
    mem.write32(0x15 * 4, old);
    expect(mem.read16(0x900)).toBe(0x40);
    expect(mem.read8(0x902)).toBe(0x9e); // the release of A came last
    expect(r.ds).toBe(0x1234);
    expect(read(pc)).toBe(0x1e61); // let through: the key is in the buffer
  });
});

describe("INT 16h status and buffer functions", () => {
  it("AH=02h and AH=12h report shift keys held, left and right apart", () => {
    const pc = board();
    pc.keyboard.pressKey("ShiftLeft");
    pc.keyboard.pressKey("ControlRight");
    pc.keyboard.pressKey("AltLeft");
    settle(pc);
    expect(shiftFlags(pc) & 0x0f).toBe(0x02 | 0x04 | 0x08);
    const ext = guestInt(pc, 0x16, { eax: 0x1200 });
    expect(ext.ah & 0x0f).toBe(0x04 | 0x02); // right Ctrl, left Alt
    pc.keyboard.releaseAll();
    settle(pc);
    expect(shiftFlags(pc) & 0x0f).toBe(0);
  });

  it("AH=12h: lock keys held set bits 4-6; a held Insert is not SysReq (bit 7)", () => {
    const pc = board();
    pc.keyboard.pressKey("NumLock");
    pc.keyboard.pressKey("Insert");
    settle(pc);
    const r = guestInt(pc, 0x16, { eax: 0x1200 });
    expect(r.ah & 0x20).toBe(0x20);
    expect(r.ah & 0x80).toBe(0);
  });

  it("Insert toggles the insert state; keypad 0 with Num Lock types 0 and does not", () => {
    const pc = board();
    chord(pc, "Numpad0");
    expect(read(pc)).toBe(0x5230);
    expect(shiftFlags(pc) & 0x80).toBe(0);
    chord(pc, "Insert");
    expect(read(pc, 0x10)).toBe(0x52e0);
    expect(shiftFlags(pc) & 0x80).toBe(0x80);
  });

  it("AH=05h stuffs keys; the 16-slot ring holds 15 and wraps around its end", () => {
    const pc = board();
    const stuff = (v: number) => guestInt(pc, 0x16, { eax: 0x0500, ecx: v }).al;
    for (let i = 0; i < 15; i++) expect(stuff(0x1e00 + i)).toBe(0);
    expect(stuff(0x9999)).toBe(1); // full
    for (let i = 0; i < 10; i++) expect(read(pc, 0x10)).toBe(0x1e00 + i);
    // Ten more go in past the end of the buffer and come back in order.
    for (let i = 0; i < 10; i++) expect(stuff(0x2000 + i)).toBe(0);
    const tail = pc.machine.mem.read16(B.BDA_KBD_TAIL);
    expect(tail).toBeLessThan(pc.machine.mem.read16(B.BDA_KBD_HEAD)); // wrapped
    for (let i = 10; i < 15; i++) expect(read(pc, 0x10)).toBe(0x1e00 + i);
    for (let i = 0; i < 10; i++) expect(read(pc, 0x10)).toBe(0x2000 + i);
    expect(peek(pc, 0x11).zf).toBe(true);
  });

  it("a keyboard that types faster than the guest reads loses the keys past 15", () => {
    const pc = board();
    for (let i = 0; i < 20; i++) {
      chord(pc, "KeyA");
    }
    let n = 0;
    while (!peek(pc).zf) {
      read(pc);
      n++;
    }
    expect(n).toBe(15);
  });

  it("AH=09h and AH=0Ah describe the keyboard", () => {
    const pc = board();
    expect(guestInt(pc, 0x16, { eax: 0x0900 }).al & 0x20).toBe(0x20);
    expect(guestInt(pc, 0x16, { eax: 0x0a00 }).bx).toBe(0x41ab);
  });
});

describe("INT 16h idle polling", () => {
  /** mov cx,n; l: mov ah,1; int 16h; jnz out; [extra]; loop l; out: */
  function pollLoop(n: number, extra: number[] = []): number[] {
    const code = [0xb9, n & 0xff, n >> 8, 0xb4, 0x01, 0xcd, 0x16, 0x75, 0, ...extra, 0xe2, 0];
    code[code.length - 1] = (3 - code.length) & 0xff; // loop: back to mov ah,1
    code[8] = code.length - 9; // jnz: past the loop
    return code;
  }
  /** push cx; mov cx,n; loop $; pop cx: n instructions of work. */
  const work = (n: number) => [0x51, 0xb9, n & 0xff, n >> 8, 0xe2, 0xfe, 0x59];
  /** HLT exits during a run, less the one that ends every guest program. */
  function halts(pc: PcMachine, run: () => void): number {
    const before = pc.machine.io.counts[EXIT_HLT];
    run();
    return pc.machine.io.counts[EXIT_HLT] - before - 1;
  }

  it("a tight AH=01h loop halts after IDLE_POLLS empty polls, then every IDLE_POLLS_IDLING", () => {
    const pc = board();
    let r = runGuest(pc, [0x90]);
    expect(
      halts(pc, () => {
        r = runGuest(pc, pollLoop(IDLE_POLLS + 3 * IDLE_POLLS_IDLING));
      }),
    ).toBe(4);
    expect(r.zf).toBe(true);
    // Each halt waits for the next timer tick: almost all of the machine time passes halted.
    const busyNs = (IDLE_POLLS + 3 * IDLE_POLLS_IDLING) * 200 * 10;
    expect(r.elapsedNs).toBeGreaterThan(3 * 50e6 + busyNs);
  });

  it("a caller with interrupts disabled is never halted", () => {
    const pc = board();
    expect(halts(pc, () => runGuest(pc, pollLoop(IDLE_POLLS + 100), { flags: 0x0002 }))).toBe(0);
  });

  it("fewer polls than IDLE_POLLS (a short delay loop) never halt", () => {
    const pc = board();
    expect(halts(pc, () => runGuest(pc, pollLoop(IDLE_POLLS - 10)))).toBe(0);
  });

  it("polls spaced out by work (a game loop) never halt", () => {
    const pc = board();
    expect(halts(pc, () => runGuest(pc, pollLoop(IDLE_POLLS + 100, work(IDLE_POLL_GAP + 500))))).toBe(0);
  });

  it("polls between which the guest prints (DOS checking for Ctrl+C) never halt", () => {
    const pc = board();
    const print = [0x50, 0xb8, 0x2e, 0x0e, 0xcd, 0x10, 0x58]; // push ax; mov ax,0E2Eh; int 10h; pop ax
    expect(halts(pc, () => runGuest(pc, pollLoop(IDLE_POLLS + 100, print)))).toBe(0);
  });

  it("a key typed while a loop polls is returned at once", () => {
    const pc = board();
    runGuest(pc, pollLoop(IDLE_POLLS + 10));
    chord(pc, "KeyK");
    const r = runGuest(pc, pollLoop(IDLE_POLLS * 4));
    expect(r.zf).toBe(false);
    expect(r.ax).toBe(0x256b);
  });

  it("FreeDOS at A:\\> spends most machine time halted; dir answers at once; Tetris keeps its pace", () => {
    const bytes = fs.readFileSync(FREEDOS);
    const pc = new PcMachine({
      memoryMiB: 32,
      clock: "deterministic",
      fda: new MemoryDisk(new Uint8Array(bytes), true),
    });
    const screen = () => pc.textRows()!.join("\n");
    for (let i = 0; i < 200 && !screen().includes("A:\\>"); i++) pc.run(20e6);
    expect(screen()).toContain("A:\\>");
    expect(pc.machine.clock.now()).toBeLessThan(200e6); // the boot's own polling loops are not slowed
    const i0 = pc.machine.cpu.instret,
      t0 = pc.machine.clock.now();
    pc.run(2e9);
    const busy = ((pc.machine.cpu.instret - i0) * pc.machine.clock.nsPerInstruction) / (pc.machine.clock.now() - t0);
    expect(busy).toBeLessThan(0.02);
    for (const ch of "dir") {
      pc.keyboard.typeText(ch);
      pc.run(5e6);
    }
    pc.keyboard.typeText("\r");
    const t1 = pc.machine.clock.now();
    while (!screen().includes("bytes free") && pc.machine.clock.now() - t1 < 1e9) pc.run(1e6);
    expect(screen()).toContain("bytes free");
    expect(pc.machine.clock.now() - t1).toBeLessThan(30e6);
    // A game that polls the keyboard while it waits for the clock keeps its pace: the falling
    // piece of the floppy's Tetris moves every second, and the machine is still mostly halted.
    for (const ch of "tetris\r") {
      pc.keyboard.typeText(ch);
      pc.run(10e6);
    }
    pc.run(1e9);
    expect(screen()).toContain("SmallTetris");
    const i1 = pc.machine.cpu.instret,
      t2 = pc.machine.clock.now();
    const shots: string[] = [];
    for (let i = 0; i < 4; i++) {
      pc.run(1e9);
      shots.push(screen());
    }
    expect(new Set(shots).size).toBe(4);
    expect(((pc.machine.cpu.instret - i1) * 10) / (pc.machine.clock.now() - t2)).toBeLessThan(0.1);
  });
});
