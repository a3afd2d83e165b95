import { describe, expect, it } from "vitest";
import { bootStage, endsWithPrompt } from "./boot-stage.ts";

const KERNEL_LOG = "[    0.000000] Linux version 6.1.0-28-686 (debian-kernel@lists.debian.org)\r\n";
const SHELL = KERNEL_LOG + "[    1.234567] Run /init as init process\r\nBOOT-OK\r\n/ # \x1b[6n";

describe("bootStage", () => {
  it("a guest given a kernel: loading until COM1 speaks, then starting, then ready at the prompt", () => {
    expect(bootStage(null, true, "", "Probing EDD (edd=off to disable)... ok")).toBe("loading");
    expect(bootStage("loading", true, KERNEL_LOG, null)).toBe("starting");
    expect(bootStage("starting", true, SHELL, null)).toBe("ready");
  });

  it("never goes back", () => {
    expect(bootStage("ready", true, KERNEL_LOG, null)).toBe("ready");
    expect(bootStage("starting", true, "", null)).toBe("starting");
  });

  it("a guest without a kernel of its own has no stage until a kernel's signs appear", () => {
    expect(bootStage(null, false, "", "FreeDOS kernel 2043\nA:\\>")).toBeNull();
    expect(bootStage(null, false, "x86vm serial test\r\n", null)).toBeNull();
    // A Linux booted by GRUB from a CD: its log on the screen, then the prompt.
    expect(bootStage(null, false, "", "GRUB loading.\n" + KERNEL_LOG)).toBe("starting");
    expect(bootStage("starting", false, "", KERNEL_LOG + "\nroot@box:~# ")).toBe("ready");
  });
});

describe("endsWithPrompt", () => {
  it("knows shell and login prompts, not log lines", () => {
    expect(endsWithPrompt("BOOT-OK\r\n# \x1b[6n")).toBe(true);
    expect(endsWithPrompt("user@host:~$ ")).toBe(true);
    expect(endsWithPrompt("debian login: ")).toBe(true);
    expect(endsWithPrompt("[    0.123456] #")).toBe(false);
    expect(endsWithPrompt("Probing EDD... ok\n")).toBe(false);
    expect(endsWithPrompt(KERNEL_LOG)).toBe(false);
  });
});
