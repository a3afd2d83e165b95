import { describe, expect, it } from "vitest";
import { AllocationRefused, defaultBudget, formatBytes, GiB, HostAllocator, MiB } from "./allocator.ts";

const vm = (ramMiB: number, media = 0) => ({ ram: ramMiB * MiB, buffers: 6 * MiB, media });

describe("HostAllocator", () => {
  it("reserves within the budget and releases", () => {
    const a = new HostAllocator(256 * MiB);
    a.reserve("vm1", "one", vm(64));
    a.reserve("vm2", "two", vm(128, MiB));
    expect(a.used).toBe(64 * MiB + 128 * MiB + 12 * MiB + MiB);
    expect(a.free).toBe(256 * MiB - a.used);
    expect(a.holding("vm2")).toEqual(vm(128, MiB));
    a.release("vm1");
    expect(a.ids()).toEqual(["vm2"]);
    expect(a.used).toBe(135 * MiB);
  });

  it("refuses a VM that would exceed the budget, says why, and reserves nothing", () => {
    const a = new HostAllocator(256 * MiB);
    a.reserve("vm1", '"small"', vm(100));
    let err: unknown;
    try {
      a.reserve("vm2", '"big"', vm(200));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AllocationRefused);
    const msg = (err as Error).message;
    expect(msg).toContain('Not enough memory in the host budget for "big"');
    expect(msg).toContain("206 MiB (200 MiB RAM + 6 MiB screen and I/O buffers)");
    expect(msg).toContain("106 MiB of the 256 MiB budget is in use and 150 MiB is free");
    expect(a.ids()).toEqual(["vm1"]);
    expect(a.used).toBe(106 * MiB);
    // Exactly what is free still fits.
    a.reserve("vm3", "fits", { ram: 150 * MiB, buffers: 0, media: 0 });
    expect(a.free).toBe(0);
  });

  it("refuses growth past the budget and keeps the old reservation; shrinking always works", () => {
    const a = new HostAllocator(128 * MiB);
    a.reserve("vm1", "one", vm(64));
    expect(() => a.resize("vm1", { media: 80 * MiB })).toThrow(/grow by 80 MiB/);
    expect(a.holding("vm1")).toEqual(vm(64));
    a.resize("vm1", { media: 10 * MiB });
    expect(a.used).toBe(80 * MiB);
    a.resize("vm1", { ram: 32 * MiB, media: 0 });
    expect(a.used).toBe(38 * MiB);
    expect(() => a.resize("nope", { ram: 1 })).toThrow(/holds no memory/);
  });

  it("changes the budget, but not below what is in use or outside its range", () => {
    const a = new HostAllocator(GiB);
    a.reserve("vm1", "one", vm(500));
    expect(() => a.setBudget(256 * MiB)).toThrow(/cannot lower the budget to 256 MiB: the VMs hold 506 MiB/);
    expect(a.budget).toBe(GiB);
    a.setBudget(2 * GiB);
    expect(a.budget).toBe(2 * GiB);
    expect(() => a.setBudget(1 * MiB)).toThrow(AllocationRefused);
    expect(() => new HostAllocator(Number.NaN)).toThrow(AllocationRefused);
  });

  it("keeps each VM's CPU share (1-100%) and their sum", () => {
    const a = new HostAllocator(GiB);
    a.reserve("vm1", "one", vm(8), 100);
    a.reserve("vm2", "two", vm(8), 25);
    expect(a.totalShare).toBe(125);
    expect(a.setShare("vm1", 50)).toBe(50);
    expect(a.share("vm1")).toBe(50);
    expect(() => a.setShare("vm1", 0)).toThrow(/from 1 to 100/);
    expect(() => a.setShare("vm1", 101)).toThrow(/from 1 to 100/);
    expect(() => a.reserve("vm3", "three", vm(8), 500)).toThrow(/from 1 to 100/);
    expect(a.ids()).toEqual(["vm1", "vm2"]);
    expect(a.totalShare).toBe(75);
  });

  it("refuses nonsense requests", () => {
    const a = new HostAllocator(GiB);
    expect(() => a.reserve("x", "x", { ram: -1, buffers: 0, media: 0 })).toThrow(AllocationRefused);
    expect(() => a.reserve("x", "x", { ram: Number.POSITIVE_INFINITY, buffers: 0, media: 0 })).toThrow(
      AllocationRefused,
    );
    a.reserve("y", "y", vm(1));
    expect(() => a.reserve("y", "y", vm(1))).toThrow(/already/);
  });
});

describe("defaultBudget and formatBytes", () => {
  it("takes a quarter of the device memory, at least 256 MiB, or 1 GiB when unknown", () => {
    expect(defaultBudget(8)).toBe(2 * GiB);
    expect(defaultBudget(0.5)).toBe(256 * MiB);
    expect(defaultBudget(undefined)).toBe(GiB);
    expect(defaultBudget(Number.NaN)).toBe(GiB);
  });

  it("prints sizes as people read them", () => {
    expect(formatBytes(512)).toBe("512 bytes");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(32 * MiB)).toBe("32 MiB");
    expect(formatBytes(1.5 * GiB)).toBe("1.5 GiB");
  });
});
