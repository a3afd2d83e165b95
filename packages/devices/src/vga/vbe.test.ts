// The Bochs VBE (DISPI) registers through the VGA's ports, as a driver programs them: the ID
// handshake, mode registers that take effect on enable, GETCAPS, the memory size, virtual width
// and offsets, banks, and the lazily allocated video memory.

import { describe, it, expect } from "vitest";
import { Dispatcher } from "../../../core/src/dispatch/dispatcher.ts";
import { Vga } from "./vga.ts";
import {
  DISPI_ENABLED,
  DISPI_GETCAPS,
  DISPI_ID0,
  DISPI_ID5,
  DISPI_INDEX_BANK,
  DISPI_INDEX_BPP,
  DISPI_INDEX_ENABLE,
  DISPI_INDEX_ID,
  DISPI_INDEX_VIDEO_MEMORY_64K,
  DISPI_INDEX_VIRT_HEIGHT,
  DISPI_INDEX_VIRT_WIDTH,
  DISPI_INDEX_XRES,
  DISPI_INDEX_X_OFFSET,
  DISPI_INDEX_YRES,
  DISPI_INDEX_Y_OFFSET,
  DISPI_LFB_ENABLED,
  DISPI_MAX_XRES,
  DISPI_MAX_YRES,
  DISPI_NOCLEARMEM,
  DISPI_PORT_DATA,
  DISPI_PORT_INDEX,
  VBE_VRAM_SIZE,
} from "./vbe.ts";

function adapter() {
  const vga = new Vga({ now: () => 0 });
  const io = new Dispatcher().io;
  io.attach(vga.ioSurface());
  const rd = (i: number) => {
    io.out16(DISPI_PORT_INDEX, i);
    return io.in16(DISPI_PORT_DATA);
  };
  const wr = (i: number, v: number) => {
    io.out16(DISPI_PORT_INDEX, i);
    io.out16(DISPI_PORT_DATA, v);
  };
  return { vga, rd, wr };
}

function setMode(wr: (i: number, v: number) => void, x: number, y: number, bpp: number, flags = 0): void {
  wr(DISPI_INDEX_ENABLE, 0);
  wr(DISPI_INDEX_XRES, x);
  wr(DISPI_INDEX_YRES, y);
  wr(DISPI_INDEX_BPP, bpp);
  wr(DISPI_INDEX_ENABLE, DISPI_ENABLED | flags);
}

describe("Bochs VBE registers", () => {
  it("answers the ID handshake with B0C0h-B0C5h and reports 16 MiB", () => {
    const { rd, wr } = adapter();
    expect(rd(DISPI_INDEX_ID)).toBe(DISPI_ID5);
    wr(DISPI_INDEX_ID, DISPI_ID0 + 2);
    expect(rd(DISPI_INDEX_ID)).toBe(DISPI_ID0 + 2);
    wr(DISPI_INDEX_ID, 0x1234); // not an interface version: ignored
    expect(rd(DISPI_INDEX_ID)).toBe(DISPI_ID0 + 2);
    expect(rd(DISPI_INDEX_VIDEO_MEMORY_64K)).toBe(VBE_VRAM_SIZE >> 16);
  });

  it("GETCAPS shows the maxima; resolution and depth are fixed while enabled", () => {
    const { rd, wr } = adapter();
    wr(DISPI_INDEX_ENABLE, DISPI_GETCAPS);
    expect([rd(DISPI_INDEX_XRES), rd(DISPI_INDEX_YRES), rd(DISPI_INDEX_BPP)]).toEqual([
      DISPI_MAX_XRES,
      DISPI_MAX_YRES,
      32,
    ]);
    setMode(wr, 800, 600, 16);
    expect([rd(DISPI_INDEX_XRES), rd(DISPI_INDEX_YRES), rd(DISPI_INDEX_BPP)]).toEqual([800, 600, 16]);
    wr(DISPI_INDEX_XRES, 1024);
    wr(DISPI_INDEX_BPP, 32);
    expect([rd(DISPI_INDEX_XRES), rd(DISPI_INDEX_BPP)]).toEqual([800, 16]);
    wr(DISPI_INDEX_ENABLE, 0);
    wr(DISPI_INDEX_BPP, 4); // planar DISPI modes are not offered
    wr(DISPI_INDEX_XRES, DISPI_MAX_XRES + 8);
    expect([rd(DISPI_INDEX_XRES), rd(DISPI_INDEX_BPP)]).toEqual([800, 16]);
  });

  it("enabling sets the virtual size, clears the offsets and memory unless NOCLEARMEM", () => {
    const { vga, rd, wr } = adapter();
    expect(vga.vbe.vram.length).toBe(0); // nothing allocated while in VGA modes
    setMode(wr, 640, 480, 32, DISPI_LFB_ENABLED);
    expect(vga.vbe.vram.length).toBe(VBE_VRAM_SIZE);
    expect(rd(DISPI_INDEX_VIRT_WIDTH)).toBe(640);
    expect(rd(DISPI_INDEX_VIRT_HEIGHT)).toBe(Math.floor(VBE_VRAM_SIZE / (640 * 4)));
    expect(rd(DISPI_INDEX_ENABLE)).toBe(DISPI_ENABLED | DISPI_LFB_ENABLED);
    vga.vbe.write32(0, 0x11223344);
    setMode(wr, 640, 480, 32, DISPI_NOCLEARMEM);
    expect(vga.vbe.read32(0)).toBe(0x11223344);
    setMode(wr, 640, 480, 32);
    expect(vga.vbe.read32(0)).toBe(0);
  });

  it("virtual width and offsets move the display start; offsets stay inside memory", () => {
    const { vga, rd, wr } = adapter();
    setMode(wr, 640, 480, 8);
    wr(DISPI_INDEX_VIRT_WIDTH, 1000);
    expect(rd(DISPI_INDEX_VIRT_WIDTH)).toBe(1000);
    expect(rd(DISPI_INDEX_VIRT_HEIGHT)).toBe(Math.floor(VBE_VRAM_SIZE / 1000));
    wr(DISPI_INDEX_X_OFFSET, 10);
    wr(DISPI_INDEX_Y_OFFSET, 20);
    expect(vga.vbe.displayStart).toBe(20 * 1000 + 10);
    wr(DISPI_INDEX_VIRT_WIDTH, 320); // narrower than XRES: refused
    expect(rd(DISPI_INDEX_VIRT_WIDTH)).toBe(1000);
    wr(DISPI_INDEX_Y_OFFSET, 0xffff);
    expect(rd(DISPI_INDEX_Y_OFFSET)).toBe(Math.floor(VBE_VRAM_SIZE / 1000) - 480);
  });

  it("the A0000 window shows the selected 64 KiB bank while enabled, VGA memory otherwise", () => {
    const { vga, wr } = adapter();
    setMode(wr, 1024, 768, 8);
    wr(DISPI_INDEX_BANK, 2);
    vga.memory.write8(0x10, 0x5a);
    expect(vga.vbe.read8(2 * 0x10000 + 0x10)).toBe(0x5a);
    expect(vga.memory.read8(0x10)).toBe(0x5a);
    wr(DISPI_INDEX_BANK, 0);
    expect(vga.memory.read8(0x10)).toBe(0);
    wr(DISPI_INDEX_ENABLE, 0);
    expect(vga.memory.banked).toBeNull();
  });

  it("render draws the mode's size; the display stamp changes with framebuffer writes", () => {
    const { vga, wr } = adapter();
    setMode(wr, 320, 200, 32);
    expect(vga.displaySize()).toEqual({ width: 320, height: 200 });
    const s0 = vga.displayStamp();
    vga.vbe.write32(4 * 321, 0x00ff8040);
    expect(vga.displayStamp()).not.toBe(s0);
    const px = new Uint32Array(320 * 200);
    vga.render(px);
    expect(px[321]).toBe(0xff4080ff);
  });
});
