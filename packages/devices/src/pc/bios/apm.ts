// Advanced Power Management, the real-mode interface of the APM 1.2 BIOS (INT 15h AH=53h), for
// DOS-era power tools (FreeDOS FDAPM, POWER.EXE) that turn the machine off or idle it:
//
//   5300h installation check     version 1.2, "PM", only the real-mode interface (flags in CX)
//   5301h real-mode connect      5304h disconnect
//   5302h/5303h protected-mode connect: not supported (06h/08h): there is no protected-mode
//        entry point, so Linux's APM driver (which wants the 32-bit one) stays off
//   5305h CPU idle, 5306h CPU busy: return at once (the caller halts itself)
//   5307h set power state        BX=0001h (all devices) CX=0003h (off) turns the machine off;
//                                standby and suspend are refused (60h)
//   5308h enable/disable power management, 530Ah power status (AC power, no battery),
//   530Eh driver version
//
// The connection state lives in the EBDA (saved with RAM), as a real BIOS keeps it in its data area.
import type { Bios } from "./bios.ts";
import * as B from "./bda.ts";

/** APM function results in AH (APM 1.2 table 4). */
export const APM_DISABLED = 0x01,
  APM_RM_CONNECTED = 0x02,
  APM_NOT_CONNECTED = 0x03,
  APM_PM16_UNSUPPORTED = 0x06,
  APM_PM32_UNSUPPORTED = 0x08,
  APM_BAD_DEVICE = 0x09,
  APM_BAD_PARAMETER = 0x0a,
  APM_UNABLE = 0x60;

/** Device IDs: the APM BIOS itself, and all devices it manages. */
const DEV_BIOS = 0x0000,
  DEV_ALL = 0x0001,
  DEV_ALL_LEGACY = 0xffff;
const STATE_READY = 0,
  STATE_OFF = 3;
/** APM 1.2; installation check flags: 16-bit protected mode no, 32-bit no, idle does not slow the CPU. */
export const APM_VERSION = 0x0102;
const APM_SIGNATURE = 0x504d; // "PM" (BH = 'P', BL = 'M')
const FLAG_PM_DISABLED = 0x08;

/** EBDA_APM_FLAGS bits. */
const CONNECTED = 0x01,
  DISABLED = 0x02;

export class ApmServices {
  constructor(private readonly bios: Bios) {}

  private get flags(): number {
    return this.bios.rb(this.bios.ebda(B.EBDA_APM_FLAGS));
  }
  private set flags(v: number) {
    this.bios.wb(this.bios.ebda(B.EBDA_APM_FLAGS), v);
  }

  /** INT 15h AH=53h. */
  int15(): void {
    const b = this.bios,
      cpu = b.cpu;
    const connected = (this.flags & CONNECTED) !== 0;
    const fail = (status: number) => b.fail(status);
    switch (b.al) {
      case 0x00: // installation check
        if (b.bx !== DEV_BIOS) return fail(APM_BAD_DEVICE);
        cpu.r16[0] = APM_VERSION;
        cpu.r16[6] = APM_SIGNATURE;
        cpu.r16[2] = this.flags & DISABLED ? FLAG_PM_DISABLED : 0;
        return b.ok();
      case 0x01: // real-mode interface connect
        if (b.bx !== DEV_BIOS) return fail(APM_BAD_DEVICE);
        if (connected) return fail(APM_RM_CONNECTED);
        this.flags = (this.flags & ~DISABLED) | CONNECTED;
        return b.ok();
      case 0x02:
        return b.bx !== DEV_BIOS ? fail(APM_BAD_DEVICE) : fail(APM_PM16_UNSUPPORTED);
      case 0x03:
        return b.bx !== DEV_BIOS ? fail(APM_BAD_DEVICE) : fail(APM_PM32_UNSUPPORTED);
      case 0x04: // disconnect
        if (b.bx !== DEV_BIOS) return fail(APM_BAD_DEVICE);
        if (!connected) return fail(APM_NOT_CONNECTED);
        this.flags = 0;
        return b.ok();
      case 0x05: // CPU idle
      case 0x06: // CPU busy
        if (!connected) return fail(APM_NOT_CONNECTED);
        return b.ok();
      case 0x07: {
        // set power state: BX device, CX state
        if (!connected) return fail(APM_NOT_CONNECTED);
        if (b.bx !== DEV_ALL && b.bx !== DEV_ALL_LEGACY) return fail(APM_BAD_DEVICE);
        if (this.flags & DISABLED) return fail(APM_DISABLED);
        const state = b.cx;
        if (state === STATE_OFF) {
          b.ok();
          b.platform.powerOff?.();
          return;
        }
        if (state === STATE_READY) return b.ok();
        if (state === 1 || state === 2) return fail(APM_UNABLE); // standby, suspend
        return fail(APM_BAD_PARAMETER);
      }
      case 0x08: // enable (CX=1) or disable (CX=0) power management
        if (!connected) return fail(APM_NOT_CONNECTED);
        if (b.bx !== DEV_ALL && b.bx !== DEV_ALL_LEGACY) return fail(APM_BAD_DEVICE);
        if (b.cx > 1) return fail(APM_BAD_PARAMETER);
        this.flags = b.cx === 1 ? this.flags & ~DISABLED : this.flags | DISABLED;
        return b.ok();
      case 0x0a: // power status: on AC, no system battery
        if (b.bx !== DEV_ALL) return fail(APM_BAD_DEVICE);
        cpu.r8[13] = 0x01; // BH: AC line on-line
        cpu.r8[12] = 0xff; // BL: battery status unknown
        cpu.r8[5] = 0x80; // CH: no system battery
        cpu.r8[4] = 0xff; // CL: remaining charge unknown
        cpu.r16[4] = 0xffff; // DX: remaining time unknown
        return b.ok();
      case 0x0e: // driver version: BH.BL = the driver's; AX = the version both use
        if (b.bx !== DEV_BIOS) return fail(APM_BAD_DEVICE);
        if (!connected) return fail(APM_NOT_CONNECTED);
        cpu.r16[0] = Math.min(b.cx, APM_VERSION);
        return b.ok();
      default:
        b.unsupportedCall(0x15);
    }
  }
}
