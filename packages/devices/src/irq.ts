// Interrupt request lines (STYLE.md 3). A device is handed the line it drives and calls
// raise()/lower() only on real edges of its output; it never knows which controller or IRQ
// number is behind it. The machine wiring connects lines to the interrupt controller.

export interface IrqLine {
  raise(): void;
  lower(): void;
}

/** A line that remembers its level and counts rising edges: for tests and for wiring. */
export class IrqPin implements IrqLine {
  level = false;
  rises = 0;
  constructor(private readonly onChange: (level: boolean) => void = () => {}) {}
  raise(): void {
    if (!this.level) { this.level = true; this.rises++; this.onChange(true); }
  }
  lower(): void {
    if (this.level) { this.level = false; this.onChange(false); }
  }
  set(level: boolean): void { if (level) this.raise(); else this.lower(); }
}
