// One ATA channel of an IDE controller (the PIIX has two): the command block (data, error/
// feature, count, LBA low/mid/high, device, status/command) and the control block (alternate
// status / device control) shared by a master (device 0) and a slave (device 1), and the
// channel's interrupt line (ATA/ATAPI-6, T13/1410D, register chapter).
//
// Each device keeps its own task file; writes reach both devices, reads come from the one the
// DEV bit selects, and only that one executes commands (EXECUTE DEVICE DIAGNOSTIC excepted:
// both run it). Device control belongs to the channel: SRST resets both devices, nIEN releases
// the interrupt line, HOB selects the previous contents of the 48-bit registers for reading.
// When the selected device is absent but the other is present, the present one answers for it
// with zeros (status 00h), as ATA-6 has device 0 do for a missing device 1; a
// channel with no device at all floats: every register reads FFh.
//
// The chip knows no port numbers: ioSurface takes the command and control block bases.

import { bits, defineState, int, type IoSurface, type StateRecord, type Stateful } from "@x86vm/core";
import type { IrqLine } from "../irq.ts";
import type { IdeDevice, IdeDeviceHost } from "./ide-device.ts";
import {
  ATA_REG_DATA,
  ATA_REG_DEVICE,
  ATA_REG_COMMAND,
  ATA_REG_STATUS,
  ATA_DC_HOB,
  ATA_DC_NIEN,
  ATA_DC_SRST,
  ATA_DEV_DEV,
  ATA_CMD_EXECUTE_DIAGNOSTIC,
} from "./ata-regs.ts";

/** The PC's legacy (compatibility mode) ports of the two channels, for the machine wiring. */
export const PC_IDE_PRIMARY_CMD = 0x1f0;
export const PC_IDE_PRIMARY_CTRL = 0x3f6;
export const PC_IDE_SECONDARY_CMD = 0x170;
export const PC_IDE_SECONDARY_CTRL = 0x376;

/** What the channel tells a bus master DMA engine serving it. */
export interface BusMasterPort {
  /** A device's DMA request (or its interrupt) changed: move data if the engine is running. */
  service(): void;
  /** The channel's interrupt line rose (the bus master's status latches it). */
  interruptRaised(): void;
}

export class IdeChannel implements Stateful, IdeDeviceHost {
  /** The bus master engine for this channel, if the controller has one (set by IdeBusMaster). */
  busMaster: BusMasterPort | null = null;

  private readonly units: (IdeDevice | null)[] = [null, null];
  private deviceControl = 0;
  private selected = 0;
  private irqLevel = false;

  constructor(private readonly irq: IrqLine) {}

  /** Connects a device as master (0) or slave (1), or removes it with null. */
  attach(unit: number, device: IdeDevice | null): void {
    if (unit !== 0 && unit !== 1) throw new RangeError(`an ATA channel has devices 0 and 1, not ${unit}`);
    const old = this.units[unit];
    if (old === device) return;
    if (old) old.host = null;
    if (device) {
      if (device.host) throw new RangeError(`${device.stateName} is already attached to a channel`);
      device.host = this;
    }
    this.units[unit] = device;
    this.updateIrq();
  }

  device(unit: number): IdeDevice | null {
    return this.units[unit] ?? null;
  }

  get dmaCapable(): boolean {
    return this.busMaster !== null;
  }

  /** The selected device, if present. */
  get current(): IdeDevice | null {
    return this.units[this.selected];
  }

  deviceChanged(): void {
    this.updateIrq();
    this.busMaster?.service();
  }

  /** Command block at cmdBase..cmdBase+7, device control / alternate status at ctrlBase. */
  ioSurface(cmdBase: number, ctrlBase: number, name = "ide"): IoSurface {
    return {
      name,
      ports: [
        {
          base: cmdBase,
          count: 8,
          read8: (o) => (o === ATA_REG_DATA ? this.readData16() & 0xff : this.readRegister(o)),
          write8: (o, v) => (o === ATA_REG_DATA ? this.writeData16(v) : this.writeRegister(o, v)),
          read16: (o) =>
            o === ATA_REG_DATA ? this.readData16() : this.readRegister(o) | (this.readRegister(o + 1) << 8),
          write16: (o, v) => {
            if (o === ATA_REG_DATA) {
              this.writeData16(v);
              return;
            }
            this.writeRegister(o, v & 0xff);
            if (o < 7) this.writeRegister(o + 1, v >> 8);
          },
          read32: (o) => (o === ATA_REG_DATA ? this.readData32() : 0xffffffff),
          write32: (o, v) => {
            if (o === ATA_REG_DATA) this.writeData32(v);
          },
        },
        { base: ctrlBase, count: 1, read8: () => this.readAltStatus(), write8: (_o, v) => this.writeDeviceControl(v) },
      ],
    };
  }

  /** Hardware reset (RESET-): device control cleared, device 0 selected, both devices reset. */
  reset(): void {
    this.deviceControl = 0;
    this.selected = 0;
    for (const d of this.units) d?.reset();
    this.updateIrq();
  }

  // ---- registers ----

  /** Value read when the selected device is absent: zeros if the other answers, else a floating bus. */
  private absentValue(reg: number): number {
    const other = this.units[this.selected ^ 1];
    if (!other) return 0xff;
    return reg === ATA_REG_DEVICE ? other.device : 0;
  }

  private readRegister(reg: number): number {
    const d = this.units[this.selected];
    if (!d) return this.absentValue(reg);
    if (reg === ATA_REG_STATUS) {
      const s = d.status;
      d.acknowledgeInterrupt(); // reading the status register clears INTRQ
      return s;
    }
    return d.readRegister(reg, (this.deviceControl & ATA_DC_HOB) !== 0);
  }

  private writeRegister(reg: number, v: number): void {
    // Any write to the command block clears HOB (ATA/ATAPI-6, Device Control register).
    this.deviceControl &= ~ATA_DC_HOB;
    if (reg === ATA_REG_COMMAND) {
      this.command(v);
      return;
    }
    for (const d of this.units) d?.writeRegister(reg, v);
    if (reg === ATA_REG_DEVICE) {
      this.selected = v & ATA_DEV_DEV ? 1 : 0;
      this.updateIrq();
    }
  }

  private command(cmd: number): void {
    if (cmd === ATA_CMD_EXECUTE_DIAGNOSTIC) {
      // Both devices run the diagnostic; device 0 posts the result and the interrupt.
      const [d0, d1] = this.units;
      d1?.diagnose(!d0);
      d0?.diagnose(true);
      this.selected = 0;
      this.updateIrq();
      return;
    }
    this.units[this.selected]?.command(cmd);
  }

  private readData16(): number {
    const d = this.units[this.selected];
    return d ? d.readData16() : 0xffff;
  }

  private readData32(): number {
    const d = this.units[this.selected];
    return d ? d.readData32() | 0 : -1;
  }

  private writeData16(v: number): void {
    this.units[this.selected]?.writeData16(v & 0xffff);
  }
  private writeData32(v: number): void {
    this.units[this.selected]?.writeData32(v >>> 0);
  }

  private readAltStatus(): number {
    const d = this.units[this.selected];
    return d ? d.status : this.absentValue(ATA_REG_STATUS);
  }

  private writeDeviceControl(v: number): void {
    const was = this.deviceControl;
    this.deviceControl = v & (ATA_DC_HOB | ATA_DC_SRST | ATA_DC_NIEN);
    if (v & ATA_DC_SRST && !(was & ATA_DC_SRST)) {
      for (const d of this.units) d?.resetAssert();
    } else if (!(v & ATA_DC_SRST) && was & ATA_DC_SRST) {
      for (const d of this.units) d?.resetRelease();
      this.selected = 0;
    }
    this.updateIrq();
  }

  /** INTRQ of the selected device, unless nIEN releases the line. */
  private updateIrq(): void {
    const d = this.units[this.selected];
    const level = d !== null && d.intrq && !(this.deviceControl & ATA_DC_NIEN);
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    if (level) {
      this.irq.raise();
      this.busMaster?.interruptRaised();
    } else {
      this.irq.lower();
    }
  }

  /** The channel's interrupt line level. */
  get interruptLevel(): boolean {
    return this.irqLevel;
  }

  // ---- snapshot ----

  static readonly STATE = defineState<IdeChannel>()({
    name: "ide-channel",
    version: 1,
    minVersion: 1,
    fields: { deviceControl: bits(ATA_DC_HOB | ATA_DC_SRST | ATA_DC_NIEN), selected: int(0, 1) },
    postLoad: (ch) => ch.updateIrq(),
  });
  readonly stateDefinition = IdeChannel.STATE;
  readonly stateName = IdeChannel.STATE.name;
  readonly stateVersion = IdeChannel.STATE.version;
  readonly stateMinVersion = IdeChannel.STATE.minVersion;

  saveState(): StateRecord {
    return IdeChannel.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    IdeChannel.STATE.load(this, fields, version);
  }
}
