import { describe, it, expect } from "vitest";
import { StateError, cloneState } from "@x86vm/core";
import { DeviceHarness } from "./testing/harness.ts";
import {
  Uart16550,
  type Uart16550Options,
  UART_RBR,
  UART_THR,
  UART_DLL,
  UART_DLM,
  UART_IER,
  UART_IIR,
  UART_FCR,
  UART_LCR,
  UART_MCR,
  UART_LSR,
  UART_MSR,
  UART_SCR,
  IER_RDA,
  IER_THRE,
  IER_RLS,
  IER_MSI,
  IIR_NO_INT,
  IIR_RLS,
  IIR_RDA,
  IIR_TIMEOUT,
  IIR_THRE,
  IIR_MSI,
  IIR_FIFO_ENABLED,
  FCR_ENABLE,
  FCR_CLEAR_RX,
  FCR_CLEAR_TX,
  LCR_DLAB,
  MCR_DTR,
  MCR_RTS,
  MCR_OUT1,
  MCR_OUT2,
  MCR_LOOP,
  LSR_DR,
  LSR_OE,
  LSR_BI,
  LSR_THRE,
  LSR_TEMT,
  LSR_RX_FIFO_ERROR,
  MSR_DCTS,
  MSR_DDSR,
  MSR_TERI,
  MSR_DDCD,
  MSR_CTS,
  MSR_DSR,
  MSR_RI,
  MSR_DCD,
} from "./uart16550.ts";

const BASE = 0x3f8;
const reg = (r: number) => BASE + r;

function setup(opts: Uart16550Options = {}) {
  const h = new DeviceHarness();
  const irq = h.irq("irq4");
  const sent: number[] = [];
  const uart = new Uart16550(h.clock, irq, { onTransmit: (b) => sent.push(b), ...opts });
  h.attach(uart.ioSurface(BASE), uart);
  const inb = (r: number) => h.inb(reg(r));
  const outb = (r: number, v: number) => h.outb(reg(r), v);
  return { h, irq, uart, sent, inb, outb };
}
type Env = ReturnType<typeof setup>;

/** 8N1 at 115200 baud (divisor 1), as Linux's console setup does. */
function program(env: Env, divisor = 1, lcr = 0x03): void {
  env.outb(UART_LCR, LCR_DLAB);
  env.outb(UART_DLL, divisor & 0xff);
  env.outb(UART_DLM, divisor >> 8);
  env.outb(UART_LCR, lcr);
}

/** Character time of 8N1 at divisor d: 10 bits of 16 * d input clocks. */
const charNs = (d: number) => (10 * 16 * d * 1e9) / 1_843_200;

describe("16550A UART", () => {
  it("passes Linux's 8250 autoconfig probe as a 16550A", () => {
    const { inb, outb } = setup();
    // IER test: bits 0-3 read back, nothing latched above them.
    const saved = inb(UART_IER);
    outb(UART_IER, 0);
    expect(inb(UART_IER) & 0x0f).toBe(0);
    outb(UART_IER, 0x0f);
    expect(inb(UART_IER) & 0x0f).toBe(0x0f);
    outb(UART_IER, saved);
    // Loopback test: MCR = LOOP | RTS | OUT2 shows CTS and DCD in the MSR.
    const saveMcr = inb(UART_MCR);
    outb(UART_MCR, MCR_LOOP | 0x0a);
    expect(inb(UART_MSR) & 0xf0).toBe(0x90);
    outb(UART_MCR, saveMcr);
    // EFR access attempt (LCR = 0xBF) writes the FCR on a 16550A; then FIFO detection.
    outb(UART_LCR, 0xbf);
    outb(2, 0);
    outb(UART_LCR, 0);
    outb(UART_FCR, FCR_ENABLE);
    expect(inb(UART_IIR) >> 6).toBe(3);
    // autoconfig_16550a: no EFR behind DLAB (offset 2 still reads the IIR, not 0).
    outb(UART_LCR, 0x80);
    expect(inb(2)).not.toBe(0);
    outb(UART_LCR, 0xbf);
    expect(inb(2)).not.toBe(0);
    // Not a TI16750: IIR bit 5 stays clear with or without DLAB and the 64-byte FIFO bit.
    outb(UART_LCR, LCR_DLAB);
    outb(UART_FCR, FCR_ENABLE | 0x20);
    expect((inb(UART_IIR) >> 5) & 7).toBe(6);
    outb(UART_FCR, FCR_ENABLE);
    outb(UART_LCR, 0);
    outb(UART_FCR, FCR_ENABLE | 0x20);
    expect((inb(UART_IIR) >> 5) & 7).toBe(6);
    // Not an XScale UART: IER bit 6 does not stick.
    outb(UART_IER, 0x40);
    expect(inb(UART_IER) & 0x40).toBe(0);
    // The scratch register holds what is written.
    outb(UART_SCR, 0xa5);
    expect(inb(UART_SCR)).toBe(0xa5);
    outb(UART_SCR, 0x5a);
    expect(inb(UART_SCR)).toBe(0x5a);
    // FIFO off again: IIR bits 6-7 read 0.
    outb(UART_FCR, 0);
    expect(inb(UART_IIR)).toBe(IIR_NO_INT);
  });

  it("reports THRE at once when the THRE interrupt is enabled (Linux's startup test)", () => {
    const { inb, outb, irq } = setup();
    outb(UART_MCR, MCR_OUT2);
    outb(UART_IER, IER_THRE);
    expect(inb(UART_LSR) & LSR_TEMT).toBe(LSR_TEMT);
    expect(inb(UART_IIR)).toBe(IIR_THRE);
    expect(irq.level).toBe(false); // the IIR read cleared it
    outb(UART_IER, 0);
    outb(UART_IER, IER_THRE); // re-enabled: asserted again
    expect(irq.level).toBe(true);
    expect(inb(UART_IIR)).toBe(IIR_THRE);
    expect(inb(UART_IIR)).toBe(IIR_NO_INT);
  });

  it("programs the divisor latch behind DLAB and times characters from it", () => {
    const env = setup({ txDrainNs: "baud" });
    const { inb, outb, uart } = env;
    program(env, 0x0180); // 300 baud
    outb(UART_LCR, 0x83);
    expect(inb(UART_DLL)).toBe(0x80);
    expect(inb(UART_DLM)).toBe(0x01);
    outb(UART_LCR, 0x03);
    expect(inb(UART_IER)).toBe(0); // IER is separate from DLM
    expect(uart.baud).toBe(300);
    expect(uart.charNs()).toBeCloseTo(charNs(0x180), 3);
    // 7E2: 1 + 7 + 1 + 2 = 11 bits.
    outb(UART_LCR, 0x1e);
    expect(uart.charNs()).toBeCloseTo((11 * 16 * 0x180 * 1e9) / 1_843_200, 3);
  });

  it("transmits a string through the FIFO with THRE interrupts, timed by the baud rate", () => {
    const env = setup({ txDrainNs: "baud", irqGatedByOut2: true });
    const { h, inb, outb, irq, sent, uart } = env;
    program(env, 1);
    outb(UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX);
    outb(UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
    const text = "Hello, 16550A!\n"; // 15 bytes: one goes to the shift register, 14 wait in the FIFO
    outb(UART_IER, IER_THRE);
    expect(irq.level).toBe(true);
    expect(inb(UART_IIR)).toBe(IIR_FIFO_ENABLED | IIR_THRE);
    for (const c of text) outb(UART_THR, c.charCodeAt(0));
    expect(irq.level).toBe(false);
    expect(inb(UART_LSR) & (LSR_THRE | LSR_TEMT)).toBe(0);
    expect(sent).toEqual([]);
    const t = charNs(1);
    expect(uart.nextDeadline()).toBeCloseTo(t, 3);
    h.clockStep(t * 3 + 1);
    expect(sent.length).toBe(3);
    expect(irq.level).toBe(false);
    h.clockStep(t * 11);
    // 14 characters sent: the last one is in the shift register, the FIFO is empty.
    expect(sent.length).toBe(14);
    expect(irq.level).toBe(true);
    expect(inb(UART_LSR) & (LSR_THRE | LSR_TEMT)).toBe(LSR_THRE);
    expect(inb(UART_IIR)).toBe(IIR_FIFO_ENABLED | IIR_THRE);
    expect(irq.level).toBe(false);
    h.clockStep(t);
    expect(String.fromCharCode(...sent)).toBe(text);
    expect(inb(UART_LSR) & (LSR_THRE | LSR_TEMT)).toBe(LSR_THRE | LSR_TEMT);
    expect(uart.nextDeadline()).toBe(Infinity);
  });

  it("sends at once by default, and THRE stays asserted for the next byte", () => {
    const env = setup();
    const { inb, outb, irq, sent } = env;
    program(env, 12);
    outb(UART_MCR, MCR_OUT2);
    outb(UART_IER, IER_THRE);
    for (const c of "ok") outb(UART_THR, c.charCodeAt(0));
    expect(String.fromCharCode(...sent)).toBe("ok");
    expect(irq.level).toBe(true);
    expect(inb(UART_LSR) & (LSR_THRE | LSR_TEMT)).toBe(LSR_THRE | LSR_TEMT);
    expect(env.uart.nextDeadline()).toBe(Infinity);
  });

  it("gates the IRQ line with OUT2 when wired as on a PC", () => {
    const { inb, outb, irq, uart } = setup({ irqGatedByOut2: true });
    outb(UART_IER, IER_THRE);
    expect(uart.interrupt).toBe(true);
    expect(irq.level).toBe(false);
    outb(UART_MCR, MCR_OUT2);
    expect(uart.out2).toBe(true);
    expect(irq.level).toBe(true);
    outb(UART_MCR, MCR_OUT2 | MCR_LOOP); // loopback forces the OUT pins inactive
    expect(uart.out2).toBe(false);
    expect(irq.level).toBe(false);
    outb(UART_MCR, 0);
    expect(irq.level).toBe(false);
    expect(inb(UART_IIR)).toBe(IIR_THRE);
    expect(uart.interrupt).toBe(false);
  });

  it("raises data available at the trigger level and a timeout after four character times", () => {
    const env = setup();
    const { h, inb, outb, irq, uart } = env;
    program(env, 1);
    outb(UART_FCR, FCR_ENABLE | 0x80); // trigger level 8
    outb(UART_IER, IER_RDA);
    uart.receive([1, 2, 3, 4, 5]);
    expect(irq.level).toBe(false);
    expect(inb(UART_LSR) & LSR_DR).toBe(LSR_DR);
    expect(inb(UART_IIR)).toBe(IIR_FIFO_ENABLED | IIR_NO_INT);
    uart.receive([6, 7, 8]);
    expect(irq.level).toBe(true);
    expect(inb(UART_IIR)).toBe(IIR_FIFO_ENABLED | IIR_RDA);
    expect(inb(UART_RBR)).toBe(1); // 7 left: below the trigger
    expect(irq.level).toBe(false);
    // No FIFO activity for four character times: character timeout.
    const t = charNs(1);
    expect(uart.nextDeadline()).toBeCloseTo(4 * t, 3);
    h.clockStep(4 * t - 10);
    expect(irq.level).toBe(false);
    h.clockStep(20);
    expect(irq.level).toBe(true);
    expect(inb(UART_IIR)).toBe(IIR_FIFO_ENABLED | IIR_TIMEOUT);
    // Reading a character clears the timeout and restarts the timer.
    expect(inb(UART_RBR)).toBe(2);
    expect(irq.level).toBe(false);
    h.clockStep(4 * t + 1);
    expect(irq.level).toBe(true);
    const rest: number[] = [];
    while (inb(UART_LSR) & LSR_DR) rest.push(inb(UART_RBR));
    expect(rest).toEqual([3, 4, 5, 6, 7, 8]);
    expect(irq.level).toBe(false);
    expect(uart.nextDeadline()).toBe(Infinity);
  });

  it("honours each FIFO trigger level", () => {
    for (const [bits, level] of [
      [0x00, 1],
      [0x40, 4],
      [0x80, 8],
      [0xc0, 14],
    ]) {
      const { inb, outb, irq, uart } = setup();
      outb(UART_FCR, FCR_ENABLE | bits);
      outb(UART_IER, IER_RDA);
      for (let i = 1; i < level; i++) uart.receive(i);
      expect(irq.level).toBe(false);
      uart.receive(0x55);
      expect(irq.level).toBe(true);
      expect(inb(UART_IIR) & 0x0f).toBe(IIR_RDA);
    }
  });

  it("works as a 16450 with the FIFO off: one holding register", () => {
    const { inb, outb, irq, uart } = setup();
    outb(UART_IER, IER_RDA);
    expect(uart.rxFree()).toBe(1);
    uart.receive(0x41);
    expect(irq.level).toBe(true);
    expect(inb(UART_IIR)).toBe(IIR_RDA);
    // A second character before the first is read overruns and replaces it.
    expect(uart.receive(0x42)).toBe(0);
    expect(inb(UART_LSR) & (LSR_OE | LSR_DR)).toBe(LSR_OE | LSR_DR);
    expect(inb(UART_LSR) & LSR_OE).toBe(0); // cleared by the read
    expect(inb(UART_RBR)).toBe(0x42);
    expect(irq.level).toBe(false);
  });

  it("overruns a full FIFO: OE, line status interrupt, and the 17th character lost", () => {
    const { inb, outb, irq, uart } = setup();
    outb(UART_FCR, FCR_ENABLE | 0xc0);
    outb(UART_IER, IER_RDA | IER_RLS);
    const data = Array.from({ length: 18 }, (_, i) => 0x30 + i);
    expect(uart.receive(data)).toBe(16);
    expect(uart.rxFree()).toBe(0);
    expect(irq.level).toBe(true);
    expect(inb(UART_IIR)).toBe(IIR_FIFO_ENABLED | IIR_RLS); // line status outranks data available
    expect(inb(UART_LSR) & (LSR_OE | LSR_DR)).toBe(LSR_OE | LSR_DR);
    expect(inb(UART_IIR)).toBe(IIR_FIFO_ENABLED | IIR_RDA);
    const got: number[] = [];
    while (inb(UART_LSR) & LSR_DR) got.push(inb(UART_RBR));
    expect(got).toEqual(data.slice(0, 16));
    expect(irq.level).toBe(false);
  });

  it("reports a break with its character, and FCR clears the receive FIFO", () => {
    const { inb, outb, uart } = setup();
    outb(UART_FCR, FCR_ENABLE);
    uart.receive(0x61);
    uart.receiveBreak();
    let lsr = inb(UART_LSR);
    expect(lsr & LSR_BI).toBe(0); // the break is not at the top yet
    expect(lsr & LSR_RX_FIFO_ERROR).toBe(LSR_RX_FIFO_ERROR);
    expect(inb(UART_RBR)).toBe(0x61);
    lsr = inb(UART_LSR);
    expect(lsr & (LSR_BI | LSR_DR)).toBe(LSR_BI | LSR_DR);
    expect(inb(UART_LSR) & (LSR_BI | LSR_RX_FIFO_ERROR)).toBe(0);
    expect(inb(UART_RBR)).toBe(0);
    uart.receive([1, 2, 3]);
    outb(UART_FCR, FCR_ENABLE | FCR_CLEAR_RX);
    expect(inb(UART_LSR) & LSR_DR).toBe(0);
  });

  it("loops transmitted characters back to the receiver and MCR outputs to the MSR", () => {
    const env = setup();
    const { inb, outb, irq, sent, uart } = env;
    program(env, 1);
    outb(UART_FCR, FCR_ENABLE);
    outb(UART_MCR, MCR_LOOP);
    inb(UART_MSR);
    for (const b of [0x10, 0x20, 0x30]) outb(UART_THR, b);
    expect(sent).toEqual([]);
    expect(uart.receive([0x99])).toBe(0); // the input pin is disconnected
    expect([inb(UART_RBR), inb(UART_RBR), inb(UART_RBR)]).toEqual([0x10, 0x20, 0x30]);
    // Modem status from the MCR: DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD.
    outb(UART_IER, IER_MSI);
    outb(UART_MCR, MCR_LOOP | MCR_DTR | MCR_RTS | MCR_OUT1 | MCR_OUT2);
    expect(irq.level).toBe(true);
    expect(inb(UART_IIR) & 0x0f).toBe(IIR_MSI);
    expect(inb(UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_RI | MSR_DCD | MSR_DCTS | MSR_DDSR | MSR_DDCD);
    expect(irq.level).toBe(false);
    outb(UART_MCR, MCR_LOOP | MCR_DTR | MCR_RTS | MCR_OUT2); // RI falls: trailing edge
    expect(inb(UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_DCD | MSR_TERI);
    outb(UART_MCR, 0);
    inb(UART_MSR);
    outb(UART_THR, 0x77);
    expect(sent).toEqual([0x77]);
  });

  it("sees host modem input changes as deltas", () => {
    const { inb, outb, irq, uart } = setup();
    outb(UART_IER, IER_MSI);
    expect(inb(UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_DCD);
    uart.setModemInputs({ dcd: false, ri: true });
    expect(irq.level).toBe(true);
    expect(inb(UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_RI | MSR_DDCD);
    uart.setModemInputs({ cts: false, ri: false });
    expect(inb(UART_MSR)).toBe(MSR_DSR | MSR_DCTS | MSR_TERI);
    expect(irq.level).toBe(false);
  });

  it("prioritises line status over data over THRE over modem status", () => {
    const { inb, outb, uart } = setup();
    outb(UART_IER, IER_RDA | IER_THRE | IER_RLS | IER_MSI);
    uart.setModemInputs({ cts: false });
    uart.receive([1, 2]); // 16450 mode: overrun
    expect(inb(UART_IIR)).toBe(IIR_RLS);
    inb(UART_LSR);
    expect(inb(UART_IIR)).toBe(IIR_RDA);
    inb(UART_RBR);
    expect(inb(UART_IIR)).toBe(IIR_THRE);
    expect(inb(UART_IIR)).toBe(IIR_MSI);
    inb(UART_MSR);
    expect(inb(UART_IIR)).toBe(IIR_NO_INT);
  });

  it("clears the transmit FIFO on FCR bit 2 and THRE rises", () => {
    const env = setup({ txDrainNs: 1000 });
    const { inb, outb, sent, h } = env;
    outb(UART_FCR, FCR_ENABLE);
    outb(UART_IER, IER_THRE);
    for (const b of [1, 2, 3, 4]) outb(UART_THR, b);
    expect(inb(UART_IIR) & 0x0f).toBe(IIR_NO_INT);
    outb(UART_FCR, FCR_ENABLE | FCR_CLEAR_TX);
    expect(inb(UART_IIR) & 0x0f).toBe(IIR_THRE);
    expect(inb(UART_LSR) & (LSR_THRE | LSR_TEMT)).toBe(LSR_THRE); // byte 1 is still shifting out
    h.clockStep(1000);
    expect(sent).toEqual([1]);
  });

  it("saves and restores mid-transmission and mid-reception, and goes on identically", () => {
    const make = () => setup({ txDrainNs: "baud", irqGatedByOut2: true });
    const a = make();
    program(a, 2);
    a.outb(UART_FCR, FCR_ENABLE | 0x40);
    a.outb(UART_MCR, MCR_OUT2 | MCR_DTR);
    a.outb(UART_IER, IER_RDA | IER_THRE);
    a.outb(UART_SCR, 0x3c);
    for (const b of [0x41, 0x42, 0x43]) a.outb(UART_THR, b);
    a.uart.receive([9, 8]);
    a.h.clockStep(charNs(2) * 1.5);
    const saved = cloneState(a.uart.saveState());
    const sentBefore = a.sent.length;
    expect(sentBefore).toBe(1);

    const b = make();
    b.h.clockStep(a.h.clock.t);
    b.uart.loadState(saved, 1);
    expect(b.uart.saveState()).toEqual(a.uart.saveState());
    expect(b.irq.level).toBe(a.irq.level);
    for (const env of [a, b]) {
      env.h.clockStep(charNs(2) * 10);
      env.uart.receive([7, 6]);
    }
    expect(b.sent).toEqual(a.sent.slice(sentBefore));
    expect(a.sent).toEqual([0x41, 0x42, 0x43]);
    const drain = (e: Env) => {
      const out: number[] = [e.inb(UART_IIR)];
      while (e.inb(UART_LSR) & LSR_DR) out.push(e.inb(UART_RBR));
      out.push(e.inb(UART_SCR));
      return out;
    };
    expect(drain(b)).toEqual(drain(a));
    expect(b.uart.saveState()).toEqual(a.uart.saveState());
  });

  it("refuses corrupt state and stays unchanged", () => {
    const { uart, outb } = setup();
    outb(UART_SCR, 0x12);
    outb(UART_IER, IER_RDA);
    const good = cloneState(uart.saveState());
    const bad = (patch: Record<string, unknown>) => ({ ...cloneState(good), ...patch }) as typeof good;
    const cases = [
      bad({ ier: 0x10 }),
      bad({ divisor: 0x10000 }),
      bad({ rxCount: 17 }),
      bad({ rxCount: 2 }), // FIFO off: one slot
      bad({ rxFifo: new Uint8Array(15) }),
      bad({ tsrFull: true }),
      bad({ txCount: 1 }),
      bad({ modemInputs: 0x01 }),
      bad({ timeoutAt: -5 }),
      bad({ lcr: "3" }),
      bad({ mcr: 0x20 }),
      bad({ timeoutPending: true, timeoutAt: 100 }),
    ];
    for (const c of cases) expect(() => uart.loadState(c, 1)).toThrow(StateError);
    expect(() => uart.loadState(good, 2)).toThrow(StateError);
    expect(uart.saveState()).toEqual(good);
  });
});

describe("16550A constants", () => {
  it("keep the datasheet's register layout", () => {
    expect([
      UART_RBR,
      UART_THR,
      UART_DLL,
      UART_IER,
      UART_DLM,
      UART_IIR,
      UART_FCR,
      UART_LCR,
      UART_MCR,
      UART_LSR,
      UART_MSR,
      UART_SCR,
    ]).toEqual([0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 7]);
    expect([MSR_DCTS, MSR_DDSR, MSR_TERI, MSR_DDCD]).toEqual([1, 2, 4, 8]);
  });
});
