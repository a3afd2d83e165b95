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
 * is. The console sits below the VM's screen, usually scrolled out of view, so its rows stayed
 * empty (or stale) while the guest wrote to it. xterm installs that observer only if the window
 * has an IntersectionObserver, and only during open(): hiding the constructor for that one
 * synchronous call leaves the renderer always drawing (10 rows, at most once a frame).
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

export function SerialConsole({ vm, present }: { vm: VmHandle; present: boolean | undefined }) {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!present || !host.current) return;
    const term = new Terminal({ rows: 10, cols: 80, convertEol: false, fontSize: 12, scrollback: 2000 });
    openAlwaysDrawing(term, host.current);
    if (vm.serialLog) term.write(vm.serialLog);
    const off = vm.onSerial((bytes) => term.write(bytes));
    const input = term.onData((data) => vm.sendSerial(data));
    return () => {
      off();
      input.dispose();
      term.dispose();
    };
  }, [vm, present]);

  if (present === undefined) return null;
  if (!present) {
    return (
      <p className="serial-none" data-testid="serial-none">
        No serial port: this machine has no COM1 yet (the 16550 UART is still to come). Its console will appear here.
      </p>
    );
  }
  return (
    <div className="serial-box">
      <div className="serial-title">COM1 serial console</div>
      <div className="serial" data-testid="serial" ref={host} />
    </div>
  );
}
