// The picture the page shows, as a PNG file: the same renderer (devices/src/vga/render.ts,
// Vga.render) and the same size (Vga.displaySize: the mode's logical pixel grid, 720x400 for
// 80x25 text, 320x200 for mode 13h), without the page's scaling to a 4:3 frame.

import type { PcMachine } from "@x86vm/devices";
import { encodePng } from "./png.ts";

/** The current picture: its size and RGBA pixels. */
export function capture(pc: PcMachine): { width: number; height: number; rgba: Uint8Array } {
  const { width, height } = pc.vga.displaySize();
  const rgba = new Uint8Array(width * height * 4);
  pc.vga.render(rgba);
  return { width, height, rgba };
}

/** The current picture as a PNG file's bytes. */
export function screenshotPng(pc: PcMachine): Buffer {
  const { width, height, rgba } = capture(pc);
  return encodePng(width, height, rgba);
}
