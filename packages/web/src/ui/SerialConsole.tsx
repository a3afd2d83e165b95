// COM1 in a terminal (xterm.js): bytes from the worker's serial ring are written as they
// arrive; keystrokes go back to the guest's receiver through the input ring. The terminal
// draws what it holds whether or not it is in view (see openAlwaysDrawing).
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef } from "react";
import type { VmHandle } from "../host/vm-host.ts";

/**
 * Opens `term` in `parent` with a renderer that never pauses. xterm.js stops drawing while its
 * screen is outside the viewport: its RenderService watches the screen with an
 * IntersectionObserver, drops every refresh while it is not intersecting and redraws once it
 * is. The console is often not in view (the card shows its Screen, or the card is scrolled away),
 * and its rows stayed empty (or stale) while the guest wrote to it. xterm installs that observer only if the window
 * has an IntersectionObserver, and only during open(): hiding the constructor for that one
 * synchronous call leaves the renderer always drawing (at most once a frame).
 */
function openAlwaysDrawing(term: Terminal, parent: HTMLElement): void {
  const win = parent.ownerDocument.defaultView ?? window;
  const observer = Object.getOwnPropertyDescriptor(win, "IntersectionObserver");
  if (!observer?.configurable) {
    term.open(parent);
    return;
  }
  Reflect.deleteProperty(win, "IntersectionObserver");
  try {
    term.open(parent);
  } finally {
    Object.defineProperty(win, "IntersectionObserver", observer);
  }
}

/** The width of one cell of `font` per pixel of font size (a monospace font: every glyph alike). */
function cellWidthRatio(fontFamily: string): number {
  const ctx = document.createElement("canvas").getContext("2d");
  if (!ctx) return 0.6;
  ctx.font = `100px ${fontFamily}`;
  return ctx.measureText("W").width / 100 || 0.6;
}

const COLS = 80;
const LINE = 1.2; // xterm's cell height per pixel of font size, about (font metrics vary)

/**
 * Sizes `term` to fill `box`: 80 columns in the box's width (the font follows), and as many
 * rows as its height holds. The box keeps its size while hidden (visibility), so this works
 * whether or not the console is the card's current view.
 */
function fitTo(term: Terminal, box: HTMLElement, ratio: number): void {
  const { width, height } = box.getBoundingClientRect();
  if (width < 50 || height < 50) return;
  const fontSize = Math.max(8, Math.min(24, Math.floor((width - 12) / COLS / ratio)));
  const rows = Math.max(10, Math.floor((height - 8) / (fontSize * LINE)));
  if (term.options.fontSize !== fontSize) term.options.fontSize = fontSize;
  if (term.rows !== rows || term.cols !== COLS) term.resize(COLS, rows);
}

/**
 * COM1's terminal, filling its parent (the card's view area). `present`: whether the machine
 * has the port (undefined while the VM's details are not known yet).
 */
export function SerialConsole({ vm, present }: { vm: VmHandle; present: boolean | undefined }) {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const box = host.current;
    if (!present || !box) return;
    const term = new Terminal({ rows: 25, cols: COLS, convertEol: false, fontSize: 14, scrollback: 5000 });
    const ratio = cellWidthRatio(term.options.fontFamily ?? "monospace");
    fitTo(term, box, ratio);
    openAlwaysDrawing(term, box);
    // The history (what the guest wrote before this terminal opened, or before the snapshot it
    // was resumed from) is replayed without answering it: its queries (the shell's cursor
    // position request, ESC [6n) were answered long ago, and replies now would be typed input.
    let replaying = vm.serialLog.length > 0;
    if (replaying)
      term.write(vm.serialLog, () => {
        replaying = false;
      });
    const off = vm.onSerial((bytes) => term.write(bytes));
    const input = term.onData((data) => {
      if (!replaying) vm.sendSerial(data);
    });
    const resize = new ResizeObserver(() => fitTo(term, box, ratio));
    resize.observe(box);
    return () => {
      resize.disconnect();
      off();
      input.dispose();
      term.dispose();
    };
  }, [vm, present]);

  if (present === undefined) return null;
  if (!present) {
    return (
      <p className="serial-none" data-testid="serial-none">
        No serial port: this machine has no COM1. On a PC with one (its first 16550 UART), this view shows what the
        guest writes to COM1 and types your keys into it.
      </p>
    );
  }
  return <div className="serial" data-testid="serial" ref={host} />;
}
