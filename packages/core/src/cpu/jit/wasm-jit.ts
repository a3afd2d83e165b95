// The runtime side of the WebAssembly blocks (wasm-block.ts): instantiates a block's module on
// the VM memory with the imports it calls, and wraps it as a BlockFn for the run loop.
//
// EFLAGS and the lazy mask are CPU object fields: the wrapper mirrors them into the state block
// for the block and back; each import takes them from the state block before running JS code
// (which may read them, or fault and push them) and writes them back after, together with a
// note that an event is pending (STATE_JIT_EVENTS), which ends a looping block.

import type { Cpu } from "../cpu.ts";
import { wasmApi } from "../wasm/api.ts";
import { jumpTo } from "../hot.generated.ts";
import {
  STATE_FLAGS,
  STATE_JIT_DONE,
  STATE_JIT_EVENTS,
  STATE_JIT_EXIT,
  STATE_JIT_TARGET,
  STATE_LAZY,
} from "../../memory/layout.ts";
import { EXIT_JUMP, EXIT_PIP, type WasmBlock } from "./wasm-block.ts";
import type { BlockFn } from "./jit.ts";

const F = STATE_FLAGS >> 2,
  L = STATE_LAZY >> 2,
  EV = STATE_JIT_EVENTS >> 2,
  DONE = STATE_JIT_DONE >> 2,
  EXIT = STATE_JIT_EXIT >> 2,
  TARGET = STATE_JIT_TARGET >> 2;

type RunFn = (n: number, left: number, e0: number, tlbR: number, tlbW: number) => number;

/** Per CPU: the imports every block module shares, and the instantiation of blocks. */
export class WasmBlocks {
  private readonly st: Int32Array;
  private readonly imports: Record<string, Record<string, unknown>>;
  /** Modules made, and their bytes (for --stats). */
  modules = 0;
  moduleBytes = 0;
  /**
   * The fetch delta (physical address - EIP) when the running block was entered. A block is
   * compiled from physical addresses; calls out may move the fetch window (a TLB flush from a
   * device write, say), so addresses go back to the CPU as EIPs (setEip), never as raw pip.
   */
  private delta0 = 0;

  constructor(c: Cpu) {
    this.st = new Int32Array(c.stateBuf, 0, 0x1000 >> 2);
    const st = this.st;
    const sync = () => {
      c.flags = st[F];
      c.lazy = st[L];
    };
    const back = () => {
      st[F] = c.flags;
      st[L] = c.lazy;
      if (c.events !== 0) st[EV] = 1;
    };
    this.imports = {
      c: {
        mem: c.mem.vm.memory,
        rd32: (lin: number) => {
          sync();
          const v = c.rd32(lin);
          back();
          return v;
        },
        wr32: (lin: number, v: number) => {
          sync();
          c.wr32(lin, v);
          back();
        },
        segCheck: (s: number, off: number, len: number, write: number) => {
          sync();
          c.segCheck(s, off, len, write !== 0);
        },
        interp: (pip: number, next: number, sliceN: number) => {
          sync();
          const d = this.delta0;
          c.setEip((pip - d) | 0);
          if (sliceN >= 0) c.sliceN = sliceN;
          c.ops[c.fetch8() | 512](c);
          back();
          return c.getEip() === ((next - d) | 0) && c.events === 0 ? 1 : 0;
        },
        push32: (v: number) => {
          sync();
          c.push32(v);
          back();
        },
        pop32: () => {
          sync();
          const v = c.pop32();
          back();
          return v;
        },
        rd8: (lin: number) => {
          sync();
          const v = c.rd8(lin);
          back();
          return v;
        },
        wr8: (lin: number, v: number) => {
          sync();
          c.wr8(lin, v);
          back();
        },
        rd16: (lin: number) => {
          sync();
          const v = c.rd16(lin);
          back();
          return v;
        },
      },
    };
  }

  /** Instantiates a compiled block as a BlockFn. */
  instantiate(b: WasmBlock): BlockFn {
    const wasm = wasmApi!;
    const run = new wasm.Instance(new wasm.Module(b.bytes), this.imports).exports.run as RunFn;
    this.modules++;
    this.moduleBytes += b.bytes.length;
    const st = this.st;
    return (c: Cpu, n: number, left: number): number => {
      st[F] = c.flags;
      st[L] = c.lazy;
      st[DONE] = 0;
      const delta = (this.delta0 = c.pipDelta[0]);
      let r: number;
      try {
        r = run(n, left, c.jitEip0, c.tlbR.byteOffset, c.tlbW.byteOffset);
      } catch (e) {
        c.jitDone = st[DONE];
        throw e;
      }
      c.flags = st[F];
      c.lazy = st[L];
      const exit = st[EXIT];
      if (exit === EXIT_PIP) c.setEip((st[TARGET] - delta) | 0);
      else if (exit === EXIT_JUMP) {
        c.jitDone = st[DONE];
        jumpTo(c, st[TARGET]);
      }
      return r;
    };
  }
}
