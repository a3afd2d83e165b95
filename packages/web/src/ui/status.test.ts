import { describe, expect, it } from "vitest";
import { nextStep, plainReason } from "./status.ts";

describe("plainReason", () => {
  it("says why a VM stopped in plain words, from the worker's technical message", () => {
    expect(plainReason("no bootable disk (fda: no boot signature)")).toBe("the disk is not bootable");
    expect(plainReason("no bootable disk (fda: no boot signature, hda: no boot signature)")).toBe(
      "the disk is not bootable",
    );
    expect(plainReason("the guest stopped the machine: triple fault")).toBe("the guest crashed (triple fault)");
    expect(plainReason("powered off: the guest turned the machine off (reset to start again)")).toBe("powered off");
    expect(
      plainReason("short.img cannot be the floppy A:: a floppy image of 1000 bytes is not a standard format"),
    ).toBe("this image cannot be started");
    expect(plainReason(null)).toBe("the guest turned the machine off");
    expect(plainReason("emulator error: something odd")).toBe("something went wrong in the VM");
  });

  it("says what to do next: another disk for one that cannot boot, else Reset or Close", () => {
    expect(nextStep("no bootable disk (fda: no boot signature)")).toMatch(/^Insert a bootable floppy/);
    expect(nextStep("the guest stopped the machine: triple fault")).toBe(
      "Reset starts it again from the beginning; Close removes it.",
    );
  });
});
