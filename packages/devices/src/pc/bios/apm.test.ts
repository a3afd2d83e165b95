// INT 15h AH=53h (APM 1.2 real-mode interface) and AX=E980h on the real board: installation
// check, connect and disconnect, the protected-mode interfaces refused, idle and busy, power
// status, driver version, enable/disable, and "off" turning the machine off (PcMachine.run then
// returns power-off); E980h answers "not supported" without being counted as unimplemented.
import { describe, expect, it } from "vitest";
import { guestInt, runUntilHaltedForever, type GuestRegs } from "./guest-call.ts";
import { PcMachine } from "../pc.ts";

function board(): PcMachine {
  const pc = new PcMachine({ memoryMiB: 8, clock: "deterministic", bootOrder: [] });
  runUntilHaltedForever(pc);
  return pc;
}
const apm = (pc: PcMachine, r: GuestRegs) => guestInt(pc, 0x15, r);

describe("APM (INT 15h AH=53h)", () => {
  it("reports version 1.2 and the PM signature, real mode only", () => {
    const pc = board();
    const r = apm(pc, { eax: 0x5300, ebx: 0 });
    expect(r.cf).toBe(false);
    expect([r.ax, r.bx, r.cx]).toEqual([0x0102, 0x504d, 0]);
    expect(apm(pc, { eax: 0x5300, ebx: 1 })).toMatchObject({ cf: true, ah: 0x09 });
    expect(apm(pc, { eax: 0x5302, ebx: 0 })).toMatchObject({ cf: true, ah: 0x06 });
    expect(apm(pc, { eax: 0x5303, ebx: 0 })).toMatchObject({ cf: true, ah: 0x08 });
  });

  it("connects once, then serves idle, busy, status and version; disconnects", () => {
    const pc = board();
    expect(apm(pc, { eax: 0x5305 })).toMatchObject({ cf: true, ah: 0x03 }); // not connected
    expect(apm(pc, { eax: 0x5301, ebx: 0 }).cf).toBe(false);
    expect(apm(pc, { eax: 0x5301, ebx: 0 })).toMatchObject({ cf: true, ah: 0x02 });
    expect(apm(pc, { eax: 0x5305 }).cf).toBe(false);
    expect(apm(pc, { eax: 0x5306 }).cf).toBe(false);
    const s = apm(pc, { eax: 0x530a, ebx: 1 });
    expect(s.cf).toBe(false);
    expect([s.bx >> 8, s.cx >> 8]).toEqual([0x01, 0x80]); // on AC power, no battery
    expect(apm(pc, { eax: 0x530e, ebx: 0, ecx: 0x0101 })).toMatchObject({ cf: false, ax: 0x0101 });
    expect(apm(pc, { eax: 0x530e, ebx: 0, ecx: 0x0200 })).toMatchObject({ cf: false, ax: 0x0102 });
    expect(apm(pc, { eax: 0x5307, ebx: 1, ecx: 2 })).toMatchObject({ cf: true, ah: 0x60 }); // no suspend
    expect(apm(pc, { eax: 0x5307, ebx: 1, ecx: 9 })).toMatchObject({ cf: true, ah: 0x0a });
    expect(apm(pc, { eax: 0x5304, ebx: 0 }).cf).toBe(false);
    expect(apm(pc, { eax: 0x5304, ebx: 0 })).toMatchObject({ cf: true, ah: 0x03 });
    expect(pc.poweredOff).toBe(false);
    expect(pc.bios.unsupported.size).toBe(0);
  });

  it("turns the machine off with BX=0001h CX=0003h, unless power management is disabled", () => {
    const pc = board();
    expect(apm(pc, { eax: 0x5307, ebx: 1, ecx: 3 })).toMatchObject({ cf: true, ah: 0x03 });
    apm(pc, { eax: 0x5301, ebx: 0 });
    expect(apm(pc, { eax: 0x5308, ebx: 1, ecx: 0 }).cf).toBe(false);
    expect(apm(pc, { eax: 0x5307, ebx: 1, ecx: 3 })).toMatchObject({ cf: true, ah: 0x01 });
    expect(pc.poweredOff).toBe(false);
    expect(apm(pc, { eax: 0x5308, ebx: 1, ecx: 1 }).cf).toBe(false);
    expect(apm(pc, { eax: 0x5307, ebx: 1, ecx: 3 }).cf).toBe(false);
    expect(pc.poweredOff).toBe(true);
    const instret = pc.machine.cpu.instret;
    expect(pc.run(10e6)).toEqual({ kind: "power-off" });
    expect(pc.machine.cpu.instret).toBe(instret);
  });
});

describe("INT 15h AX=E980h", () => {
  it("answers not supported (CF=1, AH=86h) and is not counted as unimplemented", () => {
    const pc = board();
    expect(apm(pc, { eax: 0xe980, edx: 0x47534943 })).toMatchObject({ cf: true, ah: 0x86 });
    expect(pc.bios.unsupported.size).toBe(0);
  });
});
