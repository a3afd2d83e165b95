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
    if (!this.level) {
      this.level = true;
      this.rises++;
      this.onChange(true);
    }
  }
  lower(): void {
    if (this.level) {
      this.level = false;
      this.onChange(false);
    }
  }
  set(level: boolean): void {
    if (level) this.raise();
    else this.lower();
  }
}

/**
 * Several devices on one interrupt input (COM1 and COM3 on IRQ4, say): the output is high
 * while any input is high. Each device gets its own input line.
 */
export class IrqOr {
  private levels = 0;
  private count = 0;
  constructor(private readonly out: IrqLine) {}
  input(): IrqLine {
    const bit = 1 << this.count++;
    return {
      raise: () => {
        const was = this.levels;
        this.levels |= bit;
        if (!was) this.out.raise();
      },
      lower: () => {
        const was = this.levels;
        this.levels &= ~bit;
        if (was && !this.levels) this.out.lower();
      },
    };
  }
}
