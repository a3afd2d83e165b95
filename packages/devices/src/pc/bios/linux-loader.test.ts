// The `vga=` option of the command line becomes the setup header's vid_mode, as a boot loader
// (QEMU's -kernel, GRUB) sets it; the kernel's setup code then asks the BIOS for that mode.

import { describe, it, expect } from "vitest";
import { VID_MODE_ASK, VID_MODE_EXTENDED, VID_MODE_NORMAL, videoMode } from "./linux-loader.ts";

describe("vid_mode from vga=", () => {
  it("reads numbers, names and the last vga= only", () => {
    expect(videoMode("console=ttyS0")).toBe(VID_MODE_NORMAL);
    expect(videoMode("console=ttyS0 vga=0x317")).toBe(0x317);
    expect(videoMode("vga=791 quiet")).toBe(791);
    expect(videoMode("vga=ext")).toBe(VID_MODE_EXTENDED);
    expect(videoMode("vga=ask")).toBe(VID_MODE_ASK);
    expect(videoMode("vga=0x317 vga=normal")).toBe(VID_MODE_NORMAL);
    expect(videoMode("vga=banana")).toBe(VID_MODE_NORMAL);
    expect(videoMode("vga=0x10000")).toBe(VID_MODE_NORMAL);
    expect(videoMode("xvga=0x317")).toBe(VID_MODE_NORMAL);
  });
});
