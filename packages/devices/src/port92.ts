// System control port A (port 92h on PS/2-compatible chipsets, PIIX): "fast A20" in bit 1
// and a CPU reset pulse on a 0-to-1 write of bit 0. The chip knows nothing of A20 or reset
// wiring: it calls the hooks it is given.

import { StateReader, type IoSurface, type StateRecord, type Stateful } from "@x86vm/core";

export const PORT92_RESET = 0x01;
export const PORT92_A20 = 0x02;

export class SystemControlPortA implements Stateful {
  readonly stateName = "port92";
  readonly stateVersion = 1;
  readonly stateMinVersion = 1;
  private value = 0;

  constructor(private readonly hooks: { setA20(on: boolean): void; a20(): boolean; resetCpu(): void }) {}

  read(): number {
    return (this.value & ~PORT92_A20) | (this.hooks.a20() ? PORT92_A20 : 0);
  }

  write(v: number): void {
    const old = this.value;
    this.value = v & 0xff & ~PORT92_RESET;
    if ((v & PORT92_A20) !== (this.read() & PORT92_A20)) this.hooks.setA20((v & PORT92_A20) !== 0);
    if (v & PORT92_RESET && !(old & PORT92_RESET)) this.hooks.resetCpu();
  }

  ioSurface(base = 0x92, name = "port92"): IoSurface {
    return { name, ports: [{ base, count: 1, read8: () => this.read(), write8: (_o, v) => this.write(v) }] };
  }

  saveState(): StateRecord {
    return { value: this.value };
  }
  loadState(fields: StateRecord): void {
    this.value = new StateReader(fields, this.stateName).int("value", 0, 255);
  }
}

/** POST code port (80h): the last byte written, for diagnostics. Reads return it too. */
export class PostCodePort implements Stateful {
  readonly stateName = "post-port";
  readonly stateVersion = 1;
  readonly stateMinVersion = 1;
  last = 0;
  ioSurface(base = 0x80, name = "post-port"): IoSurface {
    return {
      name,
      ports: [
        {
          base,
          count: 1,
          read8: () => this.last,
          write8: (_o, v) => {
            this.last = v;
          },
        },
      ],
    };
  }
  saveState(): StateRecord {
    return { last: this.last };
  }
  loadState(fields: StateRecord): void {
    this.last = new StateReader(fields, this.stateName).int("last", 0, 255);
  }
}
