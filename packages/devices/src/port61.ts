// The PC's system control port B (I/O port 61h on the AT and on PIIX): the 8254 counter 2 gate,
// the speaker data enable, the DRAM refresh toggle and counter 2's OUT.
//
// Board logic rather than a chip: it ties the timer's counter 2 to the speaker. Key design
// choice: the refresh request bit is computed from machine time (it toggles with each refresh
// cycle, every 18 input-clock periods = 15.085 us, the period the AT's BIOS programs into 8254
// counter 1), so BIOS delay loops that count its toggles see real time pass, with no per-cycle
// work. Bits 2/3 (parity and I/O channel check enables) are stored; the error bits 6/7 read 0.

import {
  NS_PER_SECOND,
  bits,
  defineState,
  type IoSurface,
  type StateRecord,
  type Stateful,
  type TimeSource,
} from "@x86vm/core";
import { PIT_HZ } from "./pit8254.ts";

export const PORTB_TIMER2_GATE = 0x01;
export const PORTB_SPEAKER_DATA = 0x02;
export const PORTB_PARITY_CHECK_DISABLE = 0x04;
export const PORTB_IOCHK_DISABLE = 0x08;
export const PORTB_REFRESH_TOGGLE = 0x10; // read-only
export const PORTB_TIMER2_OUT = 0x20; // read-only
export const PORTB_IOCHK_STATUS = 0x40; // read-only, never set here
export const PORTB_PARITY_STATUS = 0x80; // read-only, never set here
/** The bits a write changes. */
export const PORTB_WRITABLE = 0x0f;

/** Half-period of the refresh request bit: 18 clocks of the 1.193182 MHz timer input. */
export const REFRESH_TOGGLE_NS = (18 * NS_PER_SECOND) / PIT_HZ;
/** The timer counter whose gate and output this port carries. */
export const SPEAKER_COUNTER = 2;

/** What the port needs from the timer (a Pit8254 fits). */
export interface SpeakerTimer {
  setGate(counter: number, level: boolean): void;
  outLevel(counter: number): boolean;
  frequencyHz(counter: number): number;
}

export class SystemControlPortB implements Stateful {
  private control = 0;

  /** Drives the timer's counter 2 gate low, as after reset (bit 0 clear). */
  constructor(
    private readonly clock: TimeSource,
    private readonly timer: SpeakerTimer,
  ) {
    timer.setGate(SPEAKER_COUNTER, false);
  }

  ioSurface(base: number, name = "port61"): IoSurface {
    return { name, ports: [{ base, count: 1, read8: () => this.read(), write8: (_o, v) => this.write(v) }] };
  }

  read(): number {
    const refresh = Math.floor(this.clock.now() / REFRESH_TOGGLE_NS) & 1;
    return (
      this.control |
      (refresh ? PORTB_REFRESH_TOGGLE : 0) |
      (this.timer.outLevel(SPEAKER_COUNTER) ? PORTB_TIMER2_OUT : 0)
    );
  }

  write(v: number): void {
    this.control = v & PORTB_WRITABLE;
    this.timer.setGate(SPEAKER_COUNTER, (v & PORTB_TIMER2_GATE) !== 0);
  }

  /** The speaker's input now: counter 2's OUT passed through the data enable. */
  speakerLevel(): boolean {
    return (this.control & PORTB_SPEAKER_DATA) !== 0 && this.timer.outLevel(SPEAKER_COUNTER);
  }

  /** The tone the speaker plays, in Hz, or 0 when it is silent or not driven by a square/rate wave. */
  speakerFrequency(): number {
    if ((this.control & (PORTB_SPEAKER_DATA | PORTB_TIMER2_GATE)) !== (PORTB_SPEAKER_DATA | PORTB_TIMER2_GATE))
      return 0;
    return this.timer.frequencyHz(SPEAKER_COUNTER);
  }

  /** The stored bits only: the timer saves its own gate level. */
  static readonly STATE = defineState<SystemControlPortB>()({
    name: "port61",
    version: 1,
    minVersion: 1,
    fields: { control: bits(PORTB_WRITABLE) },
  });
  readonly stateDefinition = SystemControlPortB.STATE;
  readonly stateName = SystemControlPortB.STATE.name;
  readonly stateVersion = SystemControlPortB.STATE.version;
  readonly stateMinVersion = SystemControlPortB.STATE.minVersion;
  saveState(): StateRecord {
    return SystemControlPortB.STATE.save(this);
  }
  loadState(fields: StateRecord, version: number): void {
    SystemControlPortB.STATE.load(this, fields, version);
  }
}
