// COM1 in a terminal (xterm.js): bytes from the worker's serial ring are written as they
// arrive; keystrokes go back to the guest's receiver through the input ring.
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef } from "react";
import type { VmHandle } from "../host/vm-host.ts";

export function SerialConsole({ vm, present }: { vm: VmHandle; present: boolean | undefined }) {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!present || !host.current) return;
    const term = new Terminal({ rows: 10, cols: 80, convertEol: false, fontSize: 12, scrollback: 2000 });
    term.open(host.current);
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
