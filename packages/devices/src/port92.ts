// System control port A (port 92h on PS/2-compatible chipsets, PIIX): "fast A20" in bit 1
// and a CPU reset pulse on a 0-to-1 write of bit 0. The chip knows nothing of A20 or reset
// wiring: it calls the hooks it is given.

import { defineState, u8, type IoSurface, type StateRecord, type Stateful } from "@x86vm/core";

export const PORT92_RESET = 0x01;
export const PORT92_A20 = 0x02;

export class SystemControlPortA implements Stateful {
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

  static readonly STATE = defineState<SystemControlPortA>()({
    name: "port92",
    version: 1,
    minVersion: 1,
    fields: { value: u8 },
  });
  readonly stateDefinition = SystemControlPortA.STATE;
  readonly stateName = SystemControlPortA.STATE.name;
  readonly stateVersion = SystemControlPortA.STATE.version;
  readonly stateMinVersion = SystemControlPortA.STATE.minVersion;
  saveState(): StateRecord {
    return SystemControlPortA.STATE.save(this);
  }
  loadState(fields: StateRecord, version: number): void {
    SystemControlPortA.STATE.load(this, fields, version);
  }
}

/** POST code port (80h): the last byte written, for diagnostics. Reads return it too. */
export class PostCodePort implements Stateful {
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

  static readonly STATE = defineState<PostCodePort>()({
    name: "post-port",
    version: 1,
    minVersion: 1,
    fields: { last: u8 },
  });
  readonly stateDefinition = PostCodePort.STATE;
  readonly stateName = PostCodePort.STATE.name;
  readonly stateVersion = PostCodePort.STATE.version;
  readonly stateMinVersion = PostCodePort.STATE.minVersion;
  saveState(): StateRecord {
    return PostCodePort.STATE.save(this);
  }
  loadState(fields: StateRecord, version: number): void {
    PostCodePort.STATE.load(this, fields, version);
  }
}
