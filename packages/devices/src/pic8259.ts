// Intel 8259A programmable interrupt controller, and the PC/AT's cascaded pair of them (the
// slave's INT output wired to the master's IR2), with PIIX's edge/level control registers (ELCR).
//
// Modelled from the Intel 8259A datasheet (order 231468): the ICW1-ICW4 initialization
// sequence, OCW1-OCW3, fully nested and rotating priority, special mask mode, poll mode,
// automatic EOI, special fully nested mode, edge and level triggering and the default IR7 answer
// when a request vanishes before it is acknowledged.
//
// Key design choices:
//  - Interrupt requests are input *levels* (IrqLine raise/lower); the chip does its own edge
//    detection, as the datasheet's priority cell does. In edge mode a rising edge latches the
//    request and a falling input withdraws it again ("the IR input must remain high until after
//    the falling edge of the first INTA", 8259A datasheet, "Edge and Level Triggered Modes").
//  - The interrupt acknowledge is one call (`acknowledge()`), not two INTA pulses. On real
//    hardware a slave request that vanishes during the acknowledge leaves the master believing
//    in IR2 while the slave answers with its default IR7 (the PC's "spurious IRQ15"); an atomic
//    acknowledge has no such window, so the master keeps its cascade-input request latched until
//    it is acknowledged even if the slave's INT falls meanwhile. A slave request withdrawn before
//    the CPU takes it therefore ends as the slave's IR7 vector with the slave's ISR untouched and
//    the master's ISR bit 2 set: the case PC operating systems are written to handle.
//  - The chip knows nothing of ports or IRQ numbers; the pair knows only the AT cascade (slave
//    on IR2); `ioSurface` takes the port bases from the machine wiring.

import {
  bits,
  bool,
  defineState,
  field,
  int,
  record,
  u8,
  type IoSurface,
  type StateRecord,
  type Stateful,
} from "@x86vm/core";
import type { IrqLine } from "./irq.ts";

// ICW1 (A0 = 0, D4 = 1).
export const ICW1_IC4 = 0x01; // ICW4 will be written
export const ICW1_SNGL = 0x02; // single chip, no ICW3
export const ICW1_ADI = 0x04; // call address interval (MCS-80/85 only; ignored)
export const ICW1_LTIM = 0x08; // level-triggered inputs
export const ICW1_INIT = 0x10; // marks a write to A0 = 0 as ICW1
// ICW4.
export const ICW4_UPM = 0x01; // 8086/8088 mode
export const ICW4_AEOI = 0x02; // automatic end of interrupt
export const ICW4_MS = 0x04; // master (in buffered mode)
export const ICW4_BUF = 0x08; // buffered mode
export const ICW4_SFNM = 0x10; // special fully nested mode
// OCW2 (A0 = 0, D4 = 0, D3 = 0): the command is in D7-D5 (R, SL, EOI), the level in D2-D0.
export const OCW2_COMMAND_MASK = 0xe0;
export const OCW2_LEVEL_MASK = 0x07;
export const OCW2_ROTATE_AEOI_CLEAR = 0x00;
export const OCW2_NONSPECIFIC_EOI = 0x20;
export const OCW2_NOP = 0x40;
export const OCW2_SPECIFIC_EOI = 0x60;
export const OCW2_ROTATE_AEOI_SET = 0x80;
export const OCW2_ROTATE_NONSPECIFIC_EOI = 0xa0;
export const OCW2_SET_PRIORITY = 0xc0;
export const OCW2_ROTATE_SPECIFIC_EOI = 0xe0;
// OCW3 (A0 = 0, D4 = 0, D3 = 1).
export const OCW3_SELECT = 0x08;
export const OCW3_RIS = 0x01; // read ISR (1) or IRR (0) ...
export const OCW3_RR = 0x02; // ... when this is set
export const OCW3_POLL = 0x04;
export const OCW3_SMM = 0x20; // special mask mode on (1) or off (0) ...
export const OCW3_ESMM = 0x40; // ... when this is set
/** Poll word: bit 7 set when an interrupt was pending, bits 2-0 its level. */
export const POLL_INTERRUPT = 0x80;

/** The master input the slave's INT drives on the PC/AT. */
export const CASCADE_IR = 2;
/** The level a chip answers with when no request is left at acknowledge time. */
export const SPURIOUS_IR = 7;
/**
 * ELCR bits that may be set (PIIX/PIIX3 datasheet, ELCR1/ELCR2): IRQ0, 1, 2, 8 and 13 are
 * always edge-triggered and their bits read as 0.
 */
export const ELCR_MASTER_WRITABLE = 0xf8;
export const ELCR_SLAVE_WRITABLE = 0xde;

/** Expected next write to A0 = 1: an OCW1, or ICW2/3/4 during initialization. */
const STEP_READY = 0;
const STEP_ICW2 = 2;
const STEP_ICW3 = 3;
const STEP_ICW4 = 4;

/** One 8259A. Its inputs are levels; the pair tells it its role (master or slave). */
export class Pic8259 {
  irr = 0;
  isr = 0;
  imr = 0;
  /** Current levels of the IR inputs. */
  lines = 0;
  /** PIIX ELCR: inputs forced to level mode (only when ICW1 selected edge mode). */
  elcr = 0;
  /** The IR with the lowest priority; the highest is the one after it. */
  lowest = 7;
  initStep = STEP_READY;
  icw4Needed = false;
  single = false;
  levelTriggered = false;
  vectorBase = 0;
  icw3 = 0;
  x86Mode = false;
  autoEoi = false;
  masterMode = false;
  buffered = false;
  specialFullyNested = false;
  rotateInAutoEoi = false;
  readIsr = false;
  pollPending = false;
  specialMask = false;

  constructor(readonly isMaster: boolean) {
    this.reset();
  }

  /**
   * Power-on state. The datasheet leaves it undefined until ICW1; we take ICW1's defaults with
   * every input masked, so nothing is delivered through a vector the firmware has not set.
   */
  reset(): void {
    this.irr = 0;
    this.isr = 0;
    this.imr = 0xff;
    this.lines = 0;
    this.elcr = 0;
    this.lowest = 7;
    this.initStep = STEP_READY;
    this.icw4Needed = false;
    this.single = false;
    this.levelTriggered = false;
    this.vectorBase = 0;
    this.icw3 = 7;
    this.clearIcw4();
    this.rotateInAutoEoi = false;
    this.readIsr = false;
    this.pollPending = false;
    this.specialMask = false;
  }

  private clearIcw4(): void {
    this.x86Mode = false;
    this.autoEoi = false;
    this.masterMode = false;
    this.buffered = false;
    this.specialFullyNested = false;
  }

  /** Inputs currently in level mode: all with ICW1 LTIM, else those the ELCR selects. */
  levelMask(): number {
    return this.levelTriggered ? 0xff : this.elcr;
  }

  /** Inputs that have a slave behind them (a master in cascade mode, from ICW3). */
  cascadeInputs(): number {
    return this.isMaster && !this.single ? this.icw3 : 0;
  }

  /** The cascade address this chip answers to as a slave (ICW3 ID). */
  slaveId(): number {
    return this.icw3 & 7;
  }

  setInput(ir: number, level: boolean): void {
    const bit = 1 << ir;
    if (level) {
      if (this.lines & bit) return;
      this.lines |= bit;
      this.irr |= bit; // a rising edge in edge mode, a high level in level mode
    } else {
      if (!(this.lines & bit)) return;
      this.lines &= ~bit;
      // A withdrawn request is lost (spurious IR7 if acknowledged), except on the master's
      // cascade input in edge mode, which stays latched (see the module comment).
      if (!(this.cascadeInputs() & bit) || this.levelMask() & bit) this.irr &= ~bit;
    }
  }

  /**
   * The IR the chip would interrupt for now, or -1. Fully nested: a request is served only if
   * its priority is above every in-service level. In special mask mode a masked in-service
   * level no longer holds back others (datasheet, "Special Mask Mode"); in special fully nested
   * mode a master's in-service slave input accepts further requests from that slave
   * (datasheet, "Special Fully Nested Mode").
   */
  resolve(): number {
    const req = this.irr & ~this.imr & 0xff;
    if (req === 0) return -1;
    const blocking = this.specialMask ? this.isr & ~this.imr : this.isr;
    for (let i = 1; i <= 8; i++) {
      const ir = (this.lowest + i) & 7;
      const bit = 1 << ir;
      if (blocking & bit) {
        return this.specialFullyNested && req & bit & this.cascadeInputs() ? ir : -1;
      }
      if (req & bit) return ir;
    }
    return -1;
  }

  /** The chip's INT output. */
  int(): boolean {
    return this.resolve() >= 0;
  }

  /** Interrupt acknowledge: takes the request being served; -1 when none is left (default IR7). */
  ack(): number {
    const ir = this.resolve();
    if (ir < 0) return -1;
    const bit = 1 << ir;
    this.irr &= ~bit;
    // In level mode the request stays while the input is high; an edge needs a new edge.
    this.irr |= this.lines & this.levelMask() & bit;
    if (this.autoEoi) {
      if (this.rotateInAutoEoi) this.lowest = ir;
    } else {
      this.isr |= bit;
    }
    return ir;
  }

  read(a0: number): number {
    // The poll command makes the next read, at either address, an acknowledge (datasheet, "The Poll Command").
    if (this.pollPending) {
      this.pollPending = false;
      const ir = this.ack();
      return ir < 0 ? 0 : POLL_INTERRUPT | ir;
    }
    if (a0 === 1) return this.imr;
    return this.readIsr ? this.isr : this.irr;
  }

  write(a0: number, v: number): void {
    if (a0 === 0) {
      if (v & ICW1_INIT) this.icw1(v);
      else if (v & OCW3_SELECT) this.ocw3(v);
      else this.ocw2(v);
      return;
    }
    switch (this.initStep) {
      case STEP_ICW2:
        this.vectorBase = v & 0xf8; // T7-T3 in 8086 mode
        this.initStep = this.single ? this.afterIcw3() : STEP_ICW3;
        break;
      case STEP_ICW3:
        this.icw3 = v;
        this.initStep = this.afterIcw3();
        break;
      case STEP_ICW4:
        this.x86Mode = (v & ICW4_UPM) !== 0;
        this.autoEoi = (v & ICW4_AEOI) !== 0;
        this.masterMode = (v & ICW4_MS) !== 0;
        this.buffered = (v & ICW4_BUF) !== 0;
        this.specialFullyNested = (v & ICW4_SFNM) !== 0;
        this.initStep = STEP_READY;
        break;
      default:
        this.imr = v; // OCW1
    }
  }

  private afterIcw3(): number {
    return this.icw4Needed ? STEP_ICW4 : STEP_READY;
  }

  /** ICW1 effects, datasheet "Initialization Command Words" a) to f). */
  private icw1(v: number): void {
    this.icw4Needed = (v & ICW1_IC4) !== 0;
    this.single = (v & ICW1_SNGL) !== 0;
    this.levelTriggered = (v & ICW1_LTIM) !== 0;
    // a) the edge sense circuit is reset: an edge input needs a new low-to-high transition.
    this.irr = this.lines & this.levelMask();
    this.imr = 0; // b)
    this.lowest = 7; // c)
    this.icw3 = 7; // d) slave mode address 7
    this.specialMask = false;
    this.readIsr = false; // e)
    if (!this.icw4Needed) this.clearIcw4(); // f)
    // Not listed by the datasheet; cleared so a re-initialised chip starts clean.
    this.isr = 0;
    this.pollPending = false;
    this.rotateInAutoEoi = false;
    this.initStep = STEP_ICW2;
  }

  private ocw2(v: number): void {
    const level = v & OCW2_LEVEL_MASK;
    switch (v & OCW2_COMMAND_MASK) {
      case OCW2_NONSPECIFIC_EOI:
        this.nonSpecificEoi(false);
        break;
      case OCW2_ROTATE_NONSPECIFIC_EOI:
        this.nonSpecificEoi(true);
        break;
      case OCW2_SPECIFIC_EOI:
        this.isr &= ~(1 << level);
        break;
      case OCW2_ROTATE_SPECIFIC_EOI:
        this.isr &= ~(1 << level);
        this.lowest = level;
        break;
      case OCW2_SET_PRIORITY:
        this.lowest = level;
        break;
      case OCW2_ROTATE_AEOI_SET:
        this.rotateInAutoEoi = true;
        break;
      case OCW2_ROTATE_AEOI_CLEAR:
        this.rotateInAutoEoi = false;
        break;
      default:
        break; // OCW2_NOP
    }
  }

  /**
   * Clears the highest-priority in-service bit. In special mask mode a masked in-service bit is
   * not cleared by a non-specific EOI (datasheet, "End of Interrupt").
   */
  private nonSpecificEoi(rotate: boolean): void {
    const candidates = this.specialMask ? this.isr & ~this.imr : this.isr;
    for (let i = 1; i <= 8; i++) {
      const ir = (this.lowest + i) & 7;
      if (candidates & (1 << ir)) {
        this.isr &= ~(1 << ir);
        if (rotate) this.lowest = ir;
        return;
      }
    }
  }

  private ocw3(v: number): void {
    if (v & OCW3_ESMM) this.specialMask = (v & OCW3_SMM) !== 0;
    if (v & OCW3_POLL) this.pollPending = true;
    if (v & OCW3_RR) this.readIsr = (v & OCW3_RIS) !== 0;
  }

  setElcr(v: number): void {
    this.elcr = v;
    const level = this.levelMask();
    this.irr = (this.irr & ~level) | (this.lines & level);
  }
}

/** A chip's saved fields; only the ELCR bits the board lets software set may be set. */
function chipState(elcrWritable: number) {
  return record({
    fields: {
      irr: u8,
      isr: u8,
      imr: u8,
      lines: u8,
      elcr: bits(elcrWritable),
      lowestPriority: field(int(0, 7), { key: "lowest" }),
      initStep: int(0, 4),
      icw4Needed: bool,
      single: bool,
      levelTriggered: bool,
      vectorBase: u8,
      icw3: u8,
      x86Mode: bool,
      autoEoi: bool,
      masterMode: bool,
      buffered: bool,
      specialFullyNested: bool,
      rotateInAutoEoi: bool,
      readIsr: bool,
      pollPending: bool,
      specialMask: bool,
    },
    check(v, fail) {
      if (v.initStep === 1) fail("field 'initStep' is 1, not a valid step");
      if (v.vectorBase & 7) fail("field 'vectorBase' must be a multiple of 8");
    },
  });
}

const SLAVE_STATE = chipState(ELCR_SLAVE_WRITABLE);

/** Where the pair sends its INT output: a line, or a function told every change of level. */
export type IntrOutput = IrqLine | ((level: boolean) => void);

/**
 * The PC/AT's two cascaded 8259As: IRQ 0-7 on the master, IRQ 8-15 on the slave, the slave's
 * INT on master IR2. The master's INT drives the CPU's INTR through `intr`.
 */
export class Pic8259Pair implements Stateful {
  private readonly master = new Pic8259(true);
  private readonly slave = new Pic8259(false);
  private readonly drive: (level: boolean) => void;
  private intrLevel = false;
  private readonly irqLines: IrqLine[] = [];

  constructor(intr: IntrOutput) {
    this.drive = typeof intr === "function" ? intr : (level) => (level ? intr.raise() : intr.lower());
    for (let n = 0; n < 16; n++) {
      this.irqLines.push({ raise: () => this.setIrq(n, true), lower: () => this.setIrq(n, false) });
    }
  }

  /**
   * The input line for IRQ n (0-15). IRQ2 is the cascade input and has no line: on the AT the
   * bus's IRQ2 pin is routed to IRQ9, a choice the machine wiring makes.
   */
  irqLine(n: number): IrqLine {
    this.checkIrq(n);
    return this.irqLines[n];
  }

  /** Sets the level of IRQ n's input. */
  setIrq(n: number, level: boolean): void {
    this.checkIrq(n);
    if (n < 8) this.master.setInput(n, level);
    else this.slave.setInput(n - 8, level);
    this.update();
  }

  private checkIrq(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 15) throw new RangeError(`IRQ ${n} does not exist on the 8259 pair`);
    if (n === CASCADE_IR) throw new RangeError("IRQ2 is the 8259 cascade input; wire ISA IRQ2 devices to IRQ9");
  }

  /** The master's INT output (the CPU's INTR input). */
  get intr(): boolean {
    return this.intrLevel;
  }

  /**
   * The interrupt acknowledge cycle: returns the vector the pair puts on the bus. With no
   * request left the master answers with its IR7 vector and sets no ISR bit; when the master
   * serves its slave's input and the slave has no request left, the slave answers with its IR7
   * vector (datasheet, "Interrupt Sequence": "the 8259A will issue an interrupt level 7").
   */
  acknowledge(): number {
    const m = this.master.ack();
    let vector: number;
    let irq = -1;
    if (m < 0) {
      vector = this.master.vectorBase | SPURIOUS_IR;
    } else if (this.master.cascadeInputs() & (1 << m)) {
      if (m === this.slave.slaveId()) {
        const s = this.slave.ack();
        vector = this.slave.vectorBase | (s < 0 ? SPURIOUS_IR : s);
        if (s >= 0) irq = 8 + s;
        // The slave's INT falls during its acknowledge; a request still pending raises it
        // again, which is a new edge on IR2 (set just below by update()).
        this.master.setInput(CASCADE_IR, false);
      } else {
        vector = 0xff; // no slave answers this cascade address: the data bus floats high
      }
    } else {
      vector = this.master.vectorBase | m;
      irq = m;
    }
    this.update();
    if (irq >= 0) this.onAcknowledge?.(irq);
    return vector;
  }

  /**
   * Told the IRQ (0-15) of each request the CPU took (not the default IR7 answers): the board
   * gives IRQ0's to the PIT, which re-delivers timer ticks merged while one was pending.
   */
  onAcknowledge: ((irq: number) => void) | null = null;

  /**
   * Ports as data: the master's two ports, the slave's two, and optionally PIIX's ELCR pair
   * (edge/level control for IRQ 0-7 at elcrBase, 8-15 at elcrBase + 1).
   */
  ioSurface(masterBase: number, slaveBase: number, elcrBase?: number, name = "i8259-pair"): IoSurface {
    const ports: IoSurface["ports"] = [
      {
        base: masterBase,
        count: 2,
        read8: (o) => this.readChip(this.master, o),
        write8: (o, v) => this.writeChip(this.master, o, v),
      },
      {
        base: slaveBase,
        count: 2,
        read8: (o) => this.readChip(this.slave, o),
        write8: (o, v) => this.writeChip(this.slave, o, v),
      },
    ];
    if (elcrBase !== undefined) {
      ports.push({ base: elcrBase, count: 2, read8: (o) => this.readElcr(o), write8: (o, v) => this.writeElcr(o, v) });
    }
    return { name, ports };
  }

  private readChip(chip: Pic8259, a0: number): number {
    const v = chip.read(a0);
    this.update();
    return v;
  }

  private writeChip(chip: Pic8259, a0: number, v: number): void {
    chip.write(a0, v);
    this.update();
  }

  private readElcr(offset: number): number {
    return offset === 0 ? this.master.elcr : this.slave.elcr;
  }

  private writeElcr(offset: number, v: number): void {
    if (offset === 0) this.master.setElcr(v & ELCR_MASTER_WRITABLE);
    else this.slave.setElcr(v & ELCR_SLAVE_WRITABLE);
    this.update();
  }

  /** Propagates the slave's INT to master IR2 and the master's INT to the CPU. */
  private update(): void {
    this.master.setInput(CASCADE_IR, this.slave.int());
    const level = this.master.int();
    if (level !== this.intrLevel) {
      this.intrLevel = level;
      this.drive(level);
    }
  }

  /** Power-on state of both chips (input levels are kept: they belong to the devices). */
  reset(): void {
    const ml = this.master.lines & ~(1 << CASCADE_IR),
      sl = this.slave.lines;
    this.master.reset();
    this.slave.reset();
    this.master.lines = ml;
    this.slave.lines = sl;
    this.update();
  }

  static readonly STATE = defineState<Pic8259Pair>()({
    name: "i8259-pair",
    version: 1,
    minVersion: 1,
    fields: { master: chipState(ELCR_MASTER_WRITABLE), slave: SLAVE_STATE },
    check(v, fail) {
      // The master's IR2 level is the slave's INT (update() keeps them so): a record where they
      // disagree describes no state the pair can be in.
      const slave = SLAVE_STATE.put(new Pic8259(false), v.slave) as Pic8259;
      if (((v.master.lines >> CASCADE_IR) & 1) !== (slave.int() ? 1 : 0))
        fail(`master IR${CASCADE_IR}'s line must be the slave's INT (${slave.int() ? "high" : "low"})`);
    },
    postLoad(pair) {
      // Tell the CPU the restored INTR level if it differs from what it was last told.
      pair.update();
    },
  });
  readonly stateDefinition = Pic8259Pair.STATE;
  readonly stateName = Pic8259Pair.STATE.name;
  readonly stateVersion = Pic8259Pair.STATE.version;
  readonly stateMinVersion = Pic8259Pair.STATE.minVersion;

  saveState(): StateRecord {
    return Pic8259Pair.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    Pic8259Pair.STATE.load(this, fields, version);
  }
}
