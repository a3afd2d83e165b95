// Intel 8042 keyboard controller as on a PC/AT with PS/2 ports: a keyboard on the first port,
// an auxiliary device (mouse) on the second.
//
// The controller owns a one-byte output buffer read through the data port, a status register
// and command port, the command byte (controller RAM byte 0), and the output port that drives
// the A20 gate and the CPU reset line. Key design choice: the devices keep their own queues of
// bytes to send and the controller pulls ONE byte into its output buffer whenever that buffer
// is empty and the device's interface is enabled; the next byte moves in as soon as the guest
// reads the data port. Bytes from the keyboard pass through the set 2 -> set 1 translation
// when command-byte bit 6 is set, as the real 8042 firmware does.
//
// References: IBM PC/AT and PS/2 Technical References, "Keyboard/auxiliary device controller"
// (status register, command byte, controller commands, output port).

import {
  bool,
  bytes,
  defineState,
  int,
  list,
  oneOf,
  u8,
  type IoSurface,
  type StateRecord,
  type Stateful,
  type TimeSource,
} from "@x86vm/core";
import type { IrqLine } from "./irq.ts";
import { PS2_KEYS } from "./ps2-keyboard.ts";

/**
 * A device on one of the controller's PS/2 ports. The device queues the bytes it wants to send;
 * the controller takes them one at a time. Calls to `notify` tell the controller that bytes are
 * waiting (it then fills its output buffer if it can).
 */
export interface Ps2Device {
  connect(notify: () => void): void;
  /** True when the device has a byte for the controller. */
  hasData(): boolean;
  /** Removes and returns the next byte (only called when hasData()). */
  takeByte(): number;
  /** A byte sent by the host through the controller: a command or a command's argument. */
  receive(byte: number): void;
  advance?(now: number): void;
  nextDeadline?(): number;
}

export interface I8042Options {
  clock: TimeSource;
  keyboard: Ps2Device;
  /** The auxiliary (mouse) port's device, or null when nothing is plugged in. */
  mouse: Ps2Device | null;
  /** Keyboard data interrupt (IRQ1 on a PC). */
  kbdIrq: IrqLine;
  /** Auxiliary data interrupt (IRQ12 on a PC). */
  auxIrq: IrqLine;
  /** Output port bit 1 changed: the A20 gate. */
  setA20(enabled: boolean): void;
  /** Output port bit 0 pulsed low: reset the CPU. */
  resetCpu(): void;
}

// ---- Status register (read from the command port) ----
export const STATUS_OBF = 0x01;
export const STATUS_IBF = 0x02;
export const STATUS_SYS = 0x04;
/** Last write went to the command port (1) or the data port (0). */
export const STATUS_CMD = 0x08;
/** Keyboard not inhibited by the keylock switch. */
export const STATUS_NOT_INHIBITED = 0x10;
/** The byte in the output buffer comes from the auxiliary device. */
export const STATUS_AUX_OBF = 0x20;
export const STATUS_TIMEOUT = 0x40;
export const STATUS_PARITY = 0x80;

// ---- Command byte (controller RAM byte 0) ----
export const CMDBYTE_KBD_INT = 0x01;
export const CMDBYTE_AUX_INT = 0x02;
export const CMDBYTE_SYS = 0x04;
export const CMDBYTE_KBD_DISABLE = 0x10;
export const CMDBYTE_AUX_DISABLE = 0x20;
export const CMDBYTE_TRANSLATE = 0x40;
/**
 * The command byte a PC BIOS leaves after POST: keyboard interrupt, system flag (POST passed),
 * translation to set 1. Our built-in BIOS has no POST, so the controller starts this way.
 */
export const CMDBYTE_AFTER_POST = CMDBYTE_KBD_INT | CMDBYTE_SYS | CMDBYTE_TRANSLATE;

// ---- Output port ----
export const OUTPORT_RESET = 0x01; // low = CPU held in reset
export const OUTPORT_A20 = 0x02;
export const OUTPORT_AUX_DATA = 0x04;
export const OUTPORT_AUX_CLOCK = 0x08;
export const OUTPORT_KBD_OBF = 0x10;
export const OUTPORT_AUX_OBF = 0x20;
export const OUTPORT_KBD_CLOCK = 0x40;
export const OUTPORT_KBD_DATA = 0x80;
/** All lines idle high, A20 enabled, no interrupt pending. */
export const OUTPORT_DEFAULT =
  OUTPORT_RESET | OUTPORT_A20 | OUTPORT_AUX_DATA | OUTPORT_AUX_CLOCK | OUTPORT_KBD_CLOCK | OUTPORT_KBD_DATA;

/** Input port: keyboard not inhibited (bit 7), no manufacturing jumper (bit 5). */
export const INPUT_PORT = 0xa0;

// ---- Controller commands ----
export const CMD_READ_RAM = 0x20; // 0x20-0x3F: read RAM byte n (0x20 = command byte)
export const CMD_WRITE_RAM = 0x60; // 0x60-0x7F: write RAM byte n
export const CMD_DISABLE_AUX = 0xa7;
export const CMD_ENABLE_AUX = 0xa8;
export const CMD_TEST_AUX = 0xa9;
export const CMD_SELF_TEST = 0xaa;
export const CMD_TEST_KBD = 0xab;
export const CMD_DISABLE_KBD = 0xad;
export const CMD_ENABLE_KBD = 0xae;
export const CMD_READ_INPUT = 0xc0;
export const CMD_READ_OUTPUT = 0xd0;
export const CMD_WRITE_OUTPUT = 0xd1;
export const CMD_WRITE_KBD_BUFFER = 0xd2;
export const CMD_WRITE_AUX_BUFFER = 0xd3;
export const CMD_WRITE_AUX = 0xd4;
export const CMD_A20_OFF = 0xdd;
export const CMD_A20_ON = 0xdf;
export const CMD_PULSE_BASE = 0xf0; // 0xF0-0xFF: pulse output port bits 0-3 that are 0 in the low nibble

export const SELF_TEST_OK = 0x55;
export const INTERFACE_TEST_OK = 0x00;

/** Marks an entry of the controller's own queue as auxiliary-device data. */
const FROM_AUX = 0x100;
const RAM_SIZE = 32;
const MAX_PENDING = 16;

const SET2_BREAK_PREFIX = 0xf0;

/**
 * The 8042's set 2 -> set 1 translation table, derived from the key positions in
 * ps2-keyboard.ts so that the two cannot disagree. Codes with no key are passed unchanged;
 * bytes 0x80 and up are protocol bytes (E0, E1, FA, AA, EE, FE...) that pass through too.
 */
export const SET2_TO_SET1 = ((): Uint8Array => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) t[i] = i;
  // E0-prefixed keys use the same positions as their unprefixed twins (E0 5A -> E0 1C) or
  // positions no other key has (the Windows keys), and the Print Screen and Pause sequences
  // are built from key positions too (E0 12 E0 7C -> E0 2A E0 37), so one table serves all.
  // F7 (set 2 0x83) is the one key code above 0x7F.
  for (const key of PS2_KEYS) t[key.set2 & 0xff] = key.set1 & 0x7f;
  t[0x02] = 0x41; // F7 on some keyboards; also makes a "set 2" answer to F0 00 read as 0x41
  t[0x00] = 0xff; // key detection error / overrun
  return t;
})();

/** What `expecting` may hold: nothing (0), or a command that takes a data byte. */
const COMMANDS_WITH_DATA: readonly number[] = [
  0,
  ...Array.from({ length: RAM_SIZE }, (_, i) => CMD_WRITE_RAM + i),
  CMD_WRITE_OUTPUT,
  CMD_WRITE_KBD_BUFFER,
  CMD_WRITE_AUX_BUFFER,
  CMD_WRITE_AUX,
];

export class I8042 implements Stateful {
  private readonly clock: TimeSource;
  private readonly keyboard: Ps2Device;
  private readonly mouse: Ps2Device | null;
  private readonly kbdIrq: IrqLine;
  private readonly auxIrq: IrqLine;
  private readonly hooks: Pick<I8042Options, "setA20" | "resetCpu">;

  /** Controller RAM; byte 0 is the command byte. */
  private readonly ram = new Uint8Array(RAM_SIZE);
  private outputPort = OUTPORT_DEFAULT;
  private sysFlag = true;
  private lastWasCommand = false;
  private timeout = false;
  private outByte = 0;
  private outFull = false;
  private outAux = false;
  /** The command waiting for its data byte on the data port, or 0. */
  private expecting = 0;
  /** The controller's own replies and D2/D3 bytes (FROM_AUX marks aux ones), ahead of device data. */
  private pending: number[] = [];
  /** Translation saw a set 2 break prefix: the next code is a release. */
  private xlatBreak = false;
  private kbdLevel = false;
  private auxLevel = false;

  constructor(opts: I8042Options) {
    this.clock = opts.clock;
    this.keyboard = opts.keyboard;
    this.mouse = opts.mouse;
    this.kbdIrq = opts.kbdIrq;
    this.auxIrq = opts.auxIrq;
    this.hooks = { setA20: opts.setA20, resetCpu: opts.resetCpu };
    this.ram[0] = CMDBYTE_AFTER_POST;
    this.keyboard.connect(() => this.fill());
    this.mouse?.connect(() => this.fill());
  }

  /** Back to the state after POST (machine reset). The devices keep theirs; A20 stays as it is. */
  reset(): void {
    this.ram.fill(0);
    this.ram[0] = CMDBYTE_AFTER_POST;
    this.outputPort = (this.outputPort & OUTPORT_A20) | (OUTPORT_DEFAULT & ~OUTPORT_A20);
    this.sysFlag = true;
    this.lastWasCommand = false;
    this.timeout = false;
    this.outFull = false;
    this.outAux = false;
    this.expecting = 0;
    this.pending = [];
    this.xlatBreak = false;
    this.updateIrq();
    this.fill();
  }

  get commandByte(): number {
    return this.ram[0];
  }
  get a20Enabled(): boolean {
    return (this.outputPort & OUTPORT_A20) !== 0;
  }

  /** Data port (0x60 on a PC) and status/command port (0x64). */
  ioSurface(dataPort: number, commandPort: number, name = "i8042"): IoSurface {
    return {
      name,
      ports: [
        { base: dataPort, count: 1, read8: () => this.readData(), write8: (_o, v) => this.writeData(v) },
        { base: commandPort, count: 1, read8: () => this.readStatus(), write8: (_o, v) => this.writeCommand(v) },
      ],
    };
  }

  advance(now: number): void {
    this.keyboard.advance?.(now);
    this.mouse?.advance?.(now);
  }

  nextDeadline(): number {
    return Math.min(this.keyboard.nextDeadline?.() ?? Infinity, this.mouse?.nextDeadline?.() ?? Infinity);
  }

  // ---- Port handlers ----

  readStatus(): number {
    this.advance(this.clock.now());
    return (
      (this.outFull ? STATUS_OBF : 0) |
      (this.sysFlag ? STATUS_SYS : 0) |
      (this.lastWasCommand ? STATUS_CMD : 0) |
      STATUS_NOT_INHIBITED |
      (this.outFull && this.outAux ? STATUS_AUX_OBF : 0) |
      (this.timeout ? STATUS_TIMEOUT : 0)
    );
  }

  readData(): number {
    this.advance(this.clock.now());
    // With the buffer empty the port still shows the last byte, as the real latch does.
    const v = this.outByte;
    if (this.outFull) {
      this.outFull = false;
      this.updateIrq();
      this.fill();
    }
    return v;
  }

  writeData(v: number): void {
    this.advance(this.clock.now());
    this.lastWasCommand = false;
    const cmd = this.expecting;
    this.expecting = 0;
    if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + RAM_SIZE) {
      this.writeRam(cmd - CMD_WRITE_RAM, v);
      return;
    }
    switch (cmd) {
      case CMD_WRITE_OUTPUT:
        this.writeOutputPort(v);
        return;
      case CMD_WRITE_KBD_BUFFER:
        this.reply(v);
        return;
      case CMD_WRITE_AUX_BUFFER:
        this.reply(v | FROM_AUX);
        return;
      case CMD_WRITE_AUX:
        this.sendToAux(v);
        return;
    }
    // A plain data byte goes to the keyboard; sending to it enables its interface.
    this.timeout = false;
    if (this.ram[0] & CMDBYTE_KBD_DISABLE) this.setCommandByte(this.ram[0] & ~CMDBYTE_KBD_DISABLE);
    this.keyboard.receive(v);
  }

  writeCommand(v: number): void {
    this.advance(this.clock.now());
    this.lastWasCommand = true;
    this.expecting = 0;
    if (v >= CMD_READ_RAM && v < CMD_READ_RAM + RAM_SIZE) {
      this.reply(this.ram[v - CMD_READ_RAM]);
      return;
    }
    if (
      (v >= CMD_WRITE_RAM && v < CMD_WRITE_RAM + RAM_SIZE) ||
      v === CMD_WRITE_OUTPUT ||
      v === CMD_WRITE_KBD_BUFFER ||
      v === CMD_WRITE_AUX_BUFFER ||
      v === CMD_WRITE_AUX
    ) {
      this.expecting = v;
      return;
    }
    if (v >= CMD_PULSE_BASE) {
      this.pulseOutput(~v & 0x0f);
      return;
    }
    switch (v) {
      case CMD_DISABLE_AUX:
        this.setCommandByte(this.ram[0] | CMDBYTE_AUX_DISABLE);
        break;
      case CMD_ENABLE_AUX:
        this.setCommandByte(this.ram[0] & ~CMDBYTE_AUX_DISABLE);
        break;
      case CMD_TEST_AUX:
        this.reply(INTERFACE_TEST_OK);
        break;
      case CMD_SELF_TEST:
        this.sysFlag = true;
        this.reply(SELF_TEST_OK);
        break;
      case CMD_TEST_KBD:
        this.reply(INTERFACE_TEST_OK);
        break;
      case CMD_DISABLE_KBD:
        this.setCommandByte(this.ram[0] | CMDBYTE_KBD_DISABLE);
        break;
      case CMD_ENABLE_KBD:
        this.setCommandByte(this.ram[0] & ~CMDBYTE_KBD_DISABLE);
        break;
      case CMD_READ_INPUT:
        this.reply(INPUT_PORT);
        break;
      case CMD_READ_OUTPUT:
        this.reply(this.readOutputPort());
        break;
      case CMD_A20_OFF:
        this.writeOutputPort(this.outputPort & ~OUTPORT_A20);
        break;
      case CMD_A20_ON:
        this.writeOutputPort(this.outputPort | OUTPORT_A20);
        break;
      default:
        break; // unknown or unmodelled commands (diagnostic dumps, password, ...) do nothing
    }
  }

  // ---- Internals ----

  private writeRam(index: number, v: number): void {
    if (index === 0) this.setCommandByte(v);
    else this.ram[index] = v;
  }

  private setCommandByte(v: number): void {
    this.ram[0] = v;
    // The status register's system flag follows the command byte's (PC/AT TR, command byte bit 2).
    this.sysFlag = (v & CMDBYTE_SYS) !== 0;
    this.updateIrq();
    this.fill();
  }

  private readOutputPort(): number {
    let v = this.outputPort & ~(OUTPORT_KBD_OBF | OUTPORT_AUX_OBF);
    if (this.outFull) v |= this.outAux ? OUTPORT_AUX_OBF : OUTPORT_KBD_OBF;
    return v;
  }

  private writeOutputPort(v: number): void {
    const old = this.outputPort;
    this.outputPort = v | OUTPORT_RESET;
    if ((old ^ v) & OUTPORT_A20) this.hooks.setA20((v & OUTPORT_A20) !== 0);
    // Bit 0 drives the CPU's reset line: writing 0 resets the processor. We treat it as a
    // pulse and leave the line high, since the controller itself keeps running.
    if (!(v & OUTPORT_RESET)) this.hooks.resetCpu();
  }

  private pulseOutput(mask: number): void {
    // Commands F0-FF pulse the output port bits whose command bit is 0 low for about 6 us.
    // Only bit 0 (CPU reset) has a lasting effect; 0xFE is the classic reset command.
    if (mask & OUTPORT_RESET) this.hooks.resetCpu();
  }

  private sendToAux(v: number): void {
    if (!this.mouse) {
      this.timeout = true;
      return;
    }
    this.timeout = false;
    this.mouse.receive(v);
  }

  private reply(v: number): void {
    if (this.pending.length < MAX_PENDING) this.pending.push(v);
    this.fill();
  }

  /** Moves the next byte into the output buffer if it is empty. */
  private fill(): void {
    if (this.outFull) return;
    if (this.pending.length > 0) {
      const e = this.pending.shift()!;
      this.load(e & 0xff, (e & FROM_AUX) !== 0);
      return;
    }
    if (!(this.ram[0] & CMDBYTE_KBD_DISABLE)) {
      while (this.keyboard.hasData()) {
        const b = this.translate(this.keyboard.takeByte());
        if (b >= 0) {
          this.load(b, false);
          return;
        }
      }
    }
    if (this.mouse && !(this.ram[0] & CMDBYTE_AUX_DISABLE) && this.mouse.hasData()) {
      this.load(this.mouse.takeByte(), true);
    }
  }

  /** Set 2 -> set 1 translation; returns -1 for a break prefix that the controller absorbs. */
  private translate(b: number): number {
    if (!(this.ram[0] & CMDBYTE_TRANSLATE)) return b;
    if (b === SET2_BREAK_PREFIX) {
      this.xlatBreak = true;
      return -1;
    }
    let t = SET2_TO_SET1[b];
    if (this.xlatBreak) {
      t |= 0x80;
      this.xlatBreak = false;
    }
    return t;
  }

  private load(b: number, aux: boolean): void {
    this.outByte = b;
    this.outFull = true;
    this.outAux = aux;
    this.updateIrq();
  }

  private updateIrq(): void {
    const kbd = this.outFull && !this.outAux && (this.ram[0] & CMDBYTE_KBD_INT) !== 0;
    const aux = this.outFull && this.outAux && (this.ram[0] & CMDBYTE_AUX_INT) !== 0;
    if (kbd !== this.kbdLevel) {
      this.kbdLevel = kbd;
      if (kbd) this.kbdIrq.raise();
      else this.kbdIrq.lower();
    }
    if (aux !== this.auxLevel) {
      this.auxLevel = aux;
      if (aux) this.auxIrq.raise();
      else this.auxIrq.lower();
    }
  }

  // ---- Snapshot ----

  static readonly STATE = defineState<I8042>()({
    name: "i8042",
    version: 1,
    minVersion: 1,
    fields: {
      ram: bytes(RAM_SIZE),
      outputPort: u8,
      sysFlag: bool,
      lastWasCommand: bool,
      timeout: bool,
      outByte: u8,
      outFull: bool,
      outAux: bool,
      expecting: oneOf(COMMANDS_WITH_DATA),
      pending: list(int(0, 0x1ff), MAX_PENDING),
      xlatBreak: bool,
    },
    check(v, fail) {
      if (!(v.outputPort & OUTPORT_RESET)) fail("field 'outputPort' has the CPU held in reset");
    },
    postLoad: (kbc) => kbc.updateIrq(),
  });
  readonly stateDefinition = I8042.STATE;
  readonly stateName = I8042.STATE.name;
  readonly stateVersion = I8042.STATE.version;
  readonly stateMinVersion = I8042.STATE.minVersion;

  saveState(): StateRecord {
    return I8042.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    I8042.STATE.load(this, fields, version);
  }
}
