// PIIX bus master IDE function (82371SB datasheet, "Bus Master IDE Registers" and
// the "Bus Master Function" description): per channel a command register (start/stop, read or
// write), a status register (active, error, interrupt, drive DMA capable bits) and the address
// of a physical region descriptor (PRD) table, each entry a memory address, a byte count
// (0 = 64 KiB) and an end-of-table bit.
//
// Key design choices:
//  - No bus cycles are timed: when the engine is started and the selected device asserts its DMA
//    request, every byte the device has ready moves at once, following the PRD table; a command
//    that started before the engine, or the other way round, proceeds as soon as both are ready.
//    The direction is the device's; the command register's read/write bit is kept for software.
//  - The engine's position in the PRD table is state, so a transfer spread over several device
//    blocks (or a snapshot in the middle of one) continues where it stopped.
//  - A PRD table that ends while the device still has data stops the engine (active cleared,
//    error set) and fails the device's command with ABRT, instead of leaving it hung.
//  - The register block sits at a fixed port range the board chooses; `decodes` tells it whether
//    PCI configuration (BMIBA and the I/O enable) currently places the block there.

import {
  bits,
  bool,
  defineState,
  field,
  int,
  record,
  records,
  u32,
  type IoSurface,
  type StateRecord,
  type Stateful,
} from "@x86vm/core";
import type { IdeChannel } from "./ide-channel.ts";

/** Guest physical memory as the bus master sees it (PhysicalMemory satisfies it). */
export interface BusMasterMemory {
  read8(addr: number): number;
  write8(addr: number, value: number): void;
}

// Register offsets within a channel's 8-byte block (the secondary channel's block is at +8).
export const BM_COMMAND = 0;
export const BM_STATUS = 2;
export const BM_PRD_TABLE = 4;
export const BM_CHANNEL_STRIDE = 8;

// Command register.
export const BM_CMD_START = 0x01;
/** 1 = the bus master writes memory (a device-to-memory transfer). */
export const BM_CMD_WRITE = 0x08;

// Status register.
export const BM_ST_ACTIVE = 0x01;
export const BM_ST_ERROR = 0x02;
export const BM_ST_INTERRUPT = 0x04;
export const BM_ST_DRIVE0_DMA = 0x20;
export const BM_ST_DRIVE1_DMA = 0x40;
const BM_ST_WRITABLE = BM_ST_DRIVE0_DMA | BM_ST_DRIVE1_DMA;
const BM_ST_WRITE_ONE_CLEARS = BM_ST_ERROR | BM_ST_INTERRUPT;

/** PRD byte count: bits 15-1 (0 means 64 KiB); bit 31 marks the last entry. */
export const PRD_EOT = 0x80000000;
const PRD_COUNT_MASK = 0xfffe;

class Engine {
  command = 0;
  status = 0;
  prdTable = 0;
  // Position in the PRD table.
  nextPrd = 0;
  address = 0;
  remaining = 0;
  lastEntry = false;
  /** The last entry's bytes are all used. */
  exhausted = false;
  servicing = false;
}

export interface IdeBusMasterOptions {
  /** Whether the register block answers at its ports now (PCI BMIBA and I/O enable). Default always. */
  decodes?: () => boolean;
  /** Whether the function may master the bus (PCI bus master enable). Default always. */
  canMaster?: () => boolean;
}

export class IdeBusMaster implements Stateful {
  readonly stateDefinition: (typeof BUS_MASTER_STATES)[number];
  readonly stateName = "ide-bus-master";
  readonly stateVersion = 1;
  readonly stateMinVersion = 1;

  private readonly engines: Engine[] = [];
  private readonly decodes: () => boolean;
  private readonly canMaster: () => boolean;

  constructor(
    private readonly memory: BusMasterMemory,
    private readonly channels: readonly IdeChannel[],
    options: IdeBusMasterOptions = {},
  ) {
    if (channels.length < 1 || channels.length > 2)
      throw new RangeError("a bus master IDE function serves one or two channels");
    this.stateDefinition = BUS_MASTER_STATES[channels.length - 1];
    this.decodes = options.decodes ?? (() => true);
    this.canMaster = options.canMaster ?? (() => true);
    channels.forEach((ch, i) => {
      const e = new Engine();
      this.engines.push(e);
      ch.busMaster = {
        service: () => this.service(i),
        interruptRaised: () => {
          e.status |= BM_ST_INTERRUPT;
        },
      };
    });
  }

  /** The 16-byte register block (8 per channel) at base. */
  ioSurface(base: number, name = "ide-bus-master"): IoSurface {
    return {
      name,
      ports: [
        {
          base,
          count: 8 * this.engines.length,
          read8: (o) => this.read8(o),
          write8: (o, v) => this.write8(o, v),
          read16: (o) => this.read8(o) | (this.read8(o + 1) << 8),
          write16: (o, v) => {
            this.write8(o, v & 0xff);
            this.write8(o + 1, v >> 8);
          },
          read32: (o) =>
            this.read8(o) | (this.read8(o + 1) << 8) | (this.read8(o + 2) << 16) | (this.read8(o + 3) << 24) | 0,
          write32: (o, v) => {
            for (let i = 0; i < 4; i++) this.write8(o + i, (v >>> (8 * i)) & 0xff);
          },
        },
      ],
    };
  }

  /** Reset: engines stopped, registers cleared. */
  reset(): void {
    for (const e of this.engines) {
      e.command = 0;
      e.status = 0;
      e.prdTable = 0;
      e.nextPrd = 0;
      e.address = 0;
      e.remaining = 0;
      e.lastEntry = false;
      e.exhausted = false;
    }
  }

  private read8(offset: number): number {
    if (!this.decodes()) return 0xff;
    const e = this.engines[offset >> 3];
    if (!e) return 0xff;
    const o = offset & 7;
    switch (o) {
      case BM_COMMAND:
        return e.command;
      case BM_STATUS:
        return e.status;
      case BM_PRD_TABLE:
      case BM_PRD_TABLE + 1:
      case BM_PRD_TABLE + 2:
      case BM_PRD_TABLE + 3:
        return (e.prdTable >>> (8 * (o - BM_PRD_TABLE))) & 0xff;
      default:
        return 0;
    }
  }

  private write8(offset: number, v: number): void {
    if (!this.decodes()) return;
    const i = offset >> 3;
    const e = this.engines[i];
    if (!e) return;
    const o = offset & 7;
    switch (o) {
      case BM_COMMAND:
        this.writeCommand(i, v);
        break;
      case BM_STATUS:
        e.status = (e.status & ~BM_ST_WRITABLE & ~(v & BM_ST_WRITE_ONE_CLEARS)) | (v & BM_ST_WRITABLE);
        break;
      case BM_PRD_TABLE:
      case BM_PRD_TABLE + 1:
      case BM_PRD_TABLE + 2:
      case BM_PRD_TABLE + 3: {
        const shift = 8 * (o - BM_PRD_TABLE);
        e.prdTable = ((e.prdTable & ~(0xff << shift)) | (v << shift)) & ~3; // dword aligned
        e.prdTable >>>= 0;
        break;
      }
      default:
        break;
    }
  }

  private writeCommand(i: number, v: number): void {
    const e = this.engines[i];
    const starting = (v & BM_CMD_START) !== 0 && (e.command & BM_CMD_START) === 0;
    const stopping = (v & BM_CMD_START) === 0 && (e.command & BM_CMD_START) !== 0;
    e.command = v & (BM_CMD_START | BM_CMD_WRITE);
    if (starting) {
      e.status |= BM_ST_ACTIVE;
      e.nextPrd = e.prdTable;
      e.remaining = 0;
      e.lastEntry = false;
      e.exhausted = false;
      this.service(i);
    } else if (stopping) {
      e.status &= ~BM_ST_ACTIVE;
    }
  }

  /** Moves what the selected device has ready, while the engine runs and the PRD table lasts. */
  private service(i: number): void {
    const e = this.engines[i];
    if (e.servicing) return; // re-entered from the device finishing a block: the loop below goes on
    e.servicing = true;
    try {
      for (;;) {
        const dev = this.channels[i].current;
        if (!(e.command & BM_CMD_START) || !(e.status & BM_ST_ACTIVE) || !dev || !dev.dmaRequest || !this.canMaster())
          break;
        if (e.remaining === 0) {
          if (e.exhausted) {
            // the table ended before the device's data did
            e.status = (e.status & ~BM_ST_ACTIVE) | BM_ST_ERROR;
            dev.dmaAbort();
            break;
          }
          this.fetchPrd(e);
        }
        const n = Math.min(e.remaining, dev.dmaEnd - dev.dmaPos);
        const buf = dev.dmaBuffer,
          pos = dev.dmaPos,
          mem = this.memory;
        if (dev.dmaToMemory) for (let k = 0; k < n; k++) mem.write8((e.address + k) >>> 0, buf[pos + k]);
        else for (let k = 0; k < n; k++) buf[pos + k] = mem.read8((e.address + k) >>> 0);
        e.address = (e.address + n) >>> 0;
        e.remaining -= n;
        if (e.remaining === 0 && e.lastEntry) {
          e.exhausted = true;
        }
        dev.dmaAdvance(n);
      }
      // The engine goes inactive once the last PRD entry is used up and the device is done.
      const dev = this.channels[i].current;
      if (e.exhausted && !(dev && dev.dmaRequest)) e.status &= ~BM_ST_ACTIVE;
    } finally {
      e.servicing = false;
    }
  }

  private fetchPrd(e: Engine): void {
    const a = e.nextPrd;
    const rd32 = (p: number) =>
      (this.memory.read8(p) |
        (this.memory.read8(p + 1) << 8) |
        (this.memory.read8(p + 2) << 16) |
        (this.memory.read8(p + 3) << 24)) >>>
      0;
    const address = rd32(a),
      count = rd32((a + 4) >>> 0);
    e.address = (address & ~1) >>> 0;
    e.remaining = count & PRD_COUNT_MASK || 0x10000;
    e.lastEntry = (count & PRD_EOT) !== 0;
    e.nextPrd = (a + 8) >>> 0;
  }

  // ---- snapshot ----

  saveState(): StateRecord {
    return this.stateDefinition.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    this.stateDefinition.load(this, fields, version);
  }
}

const ENGINE_STATE = record({
  fields: {
    command: bits(BM_CMD_START | BM_CMD_WRITE),
    status: bits(BM_ST_ACTIVE | BM_ST_WRITABLE | BM_ST_WRITE_ONE_CLEARS),
    prdTable: u32,
    nextPrd: u32,
    address: u32,
    remaining: int(0, 0x10000),
    lastEntry: bool,
    exhausted: bool,
  },
  check(v, fail) {
    if (v.prdTable & 3) fail("PRD table address is not dword aligned");
    if (v.exhausted && v.remaining !== 0) fail("PRD table exhausted with bytes left");
  },
});

/** The schema of a bus master serving `channels` channels (one engine record each). */
function busMasterState(channels: number) {
  return defineState<IdeBusMaster>()({
    name: "ide-bus-master",
    version: 1,
    minVersion: 1,
    fields: { channels: field(records(channels, ENGINE_STATE), { key: "engines" }) },
  });
}
const BUS_MASTER_STATES = [busMasterState(1), busMasterState(2)];
