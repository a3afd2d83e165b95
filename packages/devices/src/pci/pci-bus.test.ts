import { describe, it, expect } from "vitest";
import { StateError, cloneState } from "@x86vm/core";
import { DeviceHarness } from "../testing/harness.ts";
import { PciBus } from "./pci-bus.ts";
import { PciFunction, PCI_COMMAND, PCI_STATUS } from "./pci-function.ts";
import { I440fx, I440FX_PAM0, I440FX_SMRAM } from "./i440fx.ts";
import { Piix3Ide, Piix3Isa } from "./piix3.ts";

const CF8 = 0xcf8,
  CFC = 0xcfc;

function setup() {
  const h = new DeviceHarness();
  const bus = new PciBus();
  const host = new I440fx();
  const resets: boolean[] = [];
  const isa = new Piix3Isa({ onReset: (hard) => resets.push(hard) });
  const ide = new Piix3Ide();
  bus.add(0, 0, host);
  bus.add(1, 0, isa);
  bus.add(1, 1, ide);
  h.attach(bus.ioSurface(CF8, isa.resetControl));
  return { h, bus, host, isa, ide, resets };
}
type Env = ReturnType<typeof setup>;

const addr = (bus: number, dev: number, fn: number, reg: number) =>
  0x80000000 | (bus << 16) | (dev << 11) | (fn << 8) | (reg & 0xfc) | 0;
function cfgRead32(h: DeviceHarness, dev: number, fn: number, reg: number, bus = 0): number {
  h.outl(CF8, addr(bus, dev, fn, reg));
  return h.inl(CFC) >>> 0;
}
function cfgRead16(h: DeviceHarness, dev: number, fn: number, reg: number): number {
  h.outl(CF8, addr(0, dev, fn, reg));
  return h.inw(CFC + (reg & 2));
}
function cfgRead8(h: DeviceHarness, dev: number, fn: number, reg: number): number {
  h.outl(CF8, addr(0, dev, fn, reg));
  return h.inb(CFC + (reg & 3));
}
function cfgWrite32(h: DeviceHarness, dev: number, fn: number, reg: number, v: number): void {
  h.outl(CF8, addr(0, dev, fn, reg));
  h.outl(CFC, v);
}
function cfgWrite16(h: DeviceHarness, dev: number, fn: number, reg: number, v: number): void {
  h.outl(CF8, addr(0, dev, fn, reg));
  h.outw(CFC + (reg & 2), v);
}

/** Linux's bus scan: vendor dword, header type, class, functions 1-7 only for multi-function devices. */
function scan(h: DeviceHarness) {
  const found: { dev: number; fn: number; vendor: number; device: number; classRev: number; header: number }[] = [];
  for (let dev = 0; dev < 32; dev++) {
    for (let fn = 0; fn < 8; fn++) {
      const id = cfgRead32(h, dev, fn, 0);
      if (id === 0xffffffff || id === 0 || id === 0xffff0000 || id === 0x0000ffff) {
        if (fn === 0) break;
        continue;
      }
      const header = cfgRead8(h, dev, fn, 0x0e);
      found.push({ dev, fn, vendor: id & 0xffff, device: id >>> 16, classRev: cfgRead32(h, dev, fn, 0x08), header });
      if (fn === 0 && !(header & 0x80)) break;
    }
  }
  return found;
}

describe("PCI configuration mechanism #1", () => {
  it("passes Linux's pci_check_type1 and sanity check", () => {
    const { h } = setup();
    h.outb(0xcfb, 0x01); // a byte write at CFB passes through: CONFIG_ADDRESS is untouched
    const tmp = h.inl(CF8);
    expect(tmp).toBe(0);
    h.outl(CF8, 0x80000000);
    expect(h.inl(CF8) >>> 0).toBe(0x80000000);
    // Sanity: some function on bus 0 is a host bridge or an Intel device.
    let ok = false;
    for (let devfn = 0; devfn < 0x100; devfn++) {
      const cls = cfgRead16(h, devfn >> 3, devfn & 7, 0x0a);
      const vendor = cfgRead16(h, devfn >> 3, devfn & 7, 0x00);
      if (cls === 0x0600 || vendor === 0x8086) {
        ok = true;
        break;
      }
    }
    expect(ok).toBe(true);
    h.outl(CF8, tmp);
  });

  it("enumerates the i440FX and both PIIX3 functions as Linux does", () => {
    const { h } = setup();
    expect(scan(h)).toEqual([
      { dev: 0, fn: 0, vendor: 0x8086, device: 0x1237, classRev: 0x06000002, header: 0x00 },
      { dev: 1, fn: 0, vendor: 0x8086, device: 0x7000, classRev: 0x06010000, header: 0x80 },
      { dev: 1, fn: 1, vendor: 0x8086, device: 0x7010, classRev: 0x01018000, header: 0x00 },
    ]);
  });

  it("answers all ones for absent functions, other buses and a disabled CONFIG_ADDRESS", () => {
    const { h, bus } = setup();
    expect(cfgRead16(h, 2, 0, 0)).toBe(0xffff);
    expect(cfgRead32(h, 1, 2, 0)).toBe(0xffffffff);
    expect(cfgRead8(h, 31, 7, 0x0e)).toBe(0xff);
    expect(cfgRead32(h, 0, 0, 0, 1)).toBe(0xffffffff); // bus 1 does not exist
    h.outl(CF8, 0x00000000); // enable bit clear: data port accesses are plain I/O
    expect(h.inl(CFC) >>> 0).toBe(0xffffffff);
    h.outl(CFC, 0);
    expect(bus.configRead(0, 0, 0, 0, 4)).toBe(0x12378086);
    expect(bus.configRead(0, 5, 0, 0, 2)).toBe(0xffff);
    expect(bus.configRead(3, 0, 0, 0, 1)).toBe(0xff);
  });

  it("reads reserved CONFIG_ADDRESS bits as 0", () => {
    const { h } = setup();
    h.outl(CF8, 0xff00ff03 | 0);
    expect(h.inl(CF8) >>> 0).toBe(0x8000ff00);
  });

  it("reaches any byte or word of the selected doubleword through CFC-CFF", () => {
    const { h } = setup();
    h.outl(CF8, addr(0, 0, 0, 0));
    expect(h.inb(CFC)).toBe(0x86);
    expect(h.inb(CFC + 1)).toBe(0x80);
    expect(h.inb(CFC + 2)).toBe(0x37);
    expect(h.inb(CFC + 3)).toBe(0x12);
    expect(h.inw(CFC)).toBe(0x8086);
    expect(h.inw(CFC + 1)).toBe(0x3780);
    expect(h.inw(CFC + 2)).toBe(0x1237);
    expect(h.inw(CFC + 3)).toBe(0xff12); // the high byte falls outside the window
    // Byte writes at an offset: PAM1 (5Ah) is byte 2 of the doubleword at 58h.
    h.outl(CF8, addr(0, 0, 0, 0x58));
    h.outb(CFC + 2, 0x33);
    expect(cfgRead8(h, 0, 0, I440FX_PAM0 + 1)).toBe(0x33);
    cfgWrite16(h, 0, 0, 0x5a, 0xffff); // PAM1 and PAM2: reserved bits stay 0
    expect(cfgRead16(h, 0, 0, 0x5a)).toBe(0x3333);
    h.outl(CF8, addr(0, 0, 0, 0x58));
    h.outb(CFC + 1, 0xff); // PAM0 (59h) has only its high half
    expect(cfgRead8(h, 0, 0, 0x59)).toBe(0x30);
  });

  it("sizes the PIIX3 IDE bus master BAR as Linux does", () => {
    const { h, ide } = setup();
    const cmd = cfgRead16(h, 1, 1, PCI_COMMAND);
    cfgWrite16(h, 1, 1, PCI_COMMAND, cmd & ~3); // decode off while sizing
    const l = cfgRead32(h, 1, 1, 0x20);
    expect(l).toBe(0x00000001);
    cfgWrite32(h, 1, 1, 0x20, 0xffffffff);
    const sz = cfgRead32(h, 1, 1, 0x20);
    cfgWrite32(h, 1, 1, 0x20, l);
    expect(sz).toBe(0xfffffff1); // all address bits above the size are writable (PCI 2.2, 6.2.5.1)
    const mask = (sz & ~3) >>> 0;
    expect((~mask >>> 0) + 1).toBe(16); // 16 ports, computed over 32 bits as SeaBIOS and Linux do
    // The other BARs are not implemented: they read 0 whatever is written.
    cfgWrite32(h, 1, 1, 0x10, 0xffffffff);
    expect(cfgRead32(h, 1, 1, 0x10)).toBe(0);
    // Place the block and enable I/O decode.
    cfgWrite32(h, 1, 1, 0x20, 0xc001);
    expect(ide.busMasterBase()).toBe(-1);
    cfgWrite16(h, 1, 1, PCI_COMMAND, 0x0005);
    expect(ide.busMasterBase()).toBe(0xc000);
    expect(cfgRead32(h, 1, 1, 0x20)).toBe(0xc001);
  });

  it("reads back the size mask and type bits of every kind of BAR and of the expansion ROM BAR", () => {
    const { bus, h } = setup();
    class Card extends PciFunction {
      constructor() {
        super("test-card", {
          vendorId: 0x1234,
          deviceId: 0x1111,
          revision: 0,
          classCode: 0x030000,
          commandWritable: 3,
        });
        this.defineIoBar(0, 4);
        this.defineIoBar(1, 256);
        this.defineMemoryBar(2, 16);
        this.defineMemoryBar(3, 16 << 20, true);
        this.defineRomBar(64 * 1024);
      }
    }
    const card = new Card();
    bus.add(2, 0, card);
    const sized = (off: number, ones = 0xffffffff) => {
      const old = cfgRead32(h, 2, 0, off);
      cfgWrite32(h, 2, 0, off, ones);
      const v = cfgRead32(h, 2, 0, off);
      cfgWrite32(h, 2, 0, off, old);
      expect(cfgRead32(h, 2, 0, off)).toBe(old);
      return v;
    };
    expect(sized(0x10)).toBe(0xfffffffd); // 4 ports, I/O flag
    expect(sized(0x14)).toBe(0xffffff01); // 256 ports
    expect(sized(0x18)).toBe(0xfffffff0); // 16 bytes of memory, 32-bit, not prefetchable
    expect(sized(0x1c)).toBe(0xff000008); // 16 MiB, prefetchable
    expect(sized(0x24)).toBe(0); // absent BARs read 0
    expect(sized(0x30, 0xfffffffe)).toBe(0xffff0000); // 64 KiB ROM, enable bit left clear
    expect(sized(0x30)).toBe(0xffff0001);
    // The ROM decodes only with its enable bit and memory space on.
    cfgWrite32(h, 2, 0, 0x30, 0xfebf0001);
    expect(card.romAddress()).toBe(-1);
    cfgWrite16(h, 2, 0, PCI_COMMAND, 0x0002);
    expect(card.romAddress()).toBe(0xfebf0000);
    cfgWrite32(h, 2, 0, 0x30, 0xfebf0000);
    expect(card.romAddress()).toBe(-1);
    // An I/O BAR above the 64 KiB I/O space decodes nothing.
    cfgWrite32(h, 2, 0, 0x14, 0xc101);
    expect(card.barIoAddress(1)).toBe(0xc100);
    cfgWrite32(h, 2, 0, 0x14, 0x1c100);
    expect(card.barIoAddress(1)).toBe(-1);
    expect(
      () =>
        new (class extends Card {
          constructor() {
            super();
            this.defineRomBar(1024);
          }
        })(),
    ).toThrow(RangeError);
  });

  it("keeps hardwired command bits and clears status bits written with 1", () => {
    const env = setup();
    const { h, bus, host } = env;
    expect(cfgRead16(h, 0, 0, PCI_COMMAND)).toBe(0x0006);
    cfgWrite16(h, 0, 0, PCI_COMMAND, 0xffff);
    expect(cfgRead16(h, 0, 0, PCI_COMMAND)).toBe(0x0146);
    cfgWrite16(h, 0, 0, PCI_COMMAND, 0);
    expect(cfgRead16(h, 0, 0, PCI_COMMAND)).toBe(0x0006);
    expect(cfgRead16(h, 1, 1, PCI_COMMAND)).toBe(0x0000);
    cfgWrite16(h, 1, 1, PCI_COMMAND, 0xffff);
    expect(cfgRead16(h, 1, 1, PCI_COMMAND)).toBe(0x0005);
    // Status: a device-set error bit is cleared by writing 1, not by writing 0.
    class Probe extends PciFunction {
      fail(): void {
        this.setStatusBits(0x2000);
      }
    }
    const p = new Probe("probe", {
      vendorId: 0x1234,
      deviceId: 0x5678,
      revision: 1,
      classCode: 0xff0000,
      status: 0x0200,
    });
    bus.add(5, 0, p);
    p.fail();
    expect(cfgRead16(h, 5, 0, PCI_STATUS)).toBe(0x2200);
    cfgWrite16(h, 5, 0, PCI_STATUS, 0x0000);
    expect(cfgRead16(h, 5, 0, PCI_STATUS)).toBe(0x2200);
    cfgWrite16(h, 5, 0, PCI_STATUS, 0xffff);
    expect(cfgRead16(h, 5, 0, PCI_STATUS)).toBe(0x0200);
    expect(host.read(0, 2)).toBe(0x8086);
  });

  it("lets the machine add devices and listen to their configuration writes", () => {
    const { bus, h } = setup();
    class Nic extends PciFunction {
      constructor() {
        super("test-nic", {
          vendorId: 0x10ec,
          deviceId: 0x8029,
          revision: 0,
          classCode: 0x020000,
          interruptPin: 1,
          commandWritable: 0x0003,
        });
        this.defineIoBar(0, 32);
        this.defineMemoryBar(1, 4096);
      }
    }
    const nic = new Nic();
    const writes: [number, number][] = [];
    nic.onConfigWrite = (o, s) => writes.push([o, s]);
    bus.add(3, 0, nic);
    expect(() => bus.add(3, 0, new Nic())).toThrow(RangeError);
    cfgWrite32(h, 3, 0, 0x14, 0xffffffff);
    expect(cfgRead32(h, 3, 0, 0x14)).toBe(0xfffff000);
    cfgWrite32(h, 3, 0, 0x10, 0xffffffff);
    expect(cfgRead32(h, 3, 0, 0x10)).toBe(0xffffffe1);
    cfgWrite32(h, 3, 0, 0x10, 0x6100);
    expect(nic.barAddress(0)).toBe(0x6100);
    h.outl(CF8, addr(0, 3, 0, 0x3c));
    h.outb(CFC, 11);
    expect(cfgRead8(h, 3, 0, 0x3c)).toBe(11); // interrupt line is software scratch
    expect(cfgRead8(h, 3, 0, 0x3d)).toBe(1);
    expect(writes).toEqual([
      [0x14, 4],
      [0x10, 4],
      [0x10, 4],
      [0x3c, 1],
    ]);
    expect(bus.functions().map((f) => `${f.device}.${f.fn}:${f.f.stateName}`)).toEqual([
      "0.0:i440fx",
      "1.0:piix3-isa",
      "1.1:piix3-ide",
      "3.0:test-nic",
    ]);
  });

  it("saves and restores the bus and its functions", () => {
    const a = setup();
    cfgWrite32(a.h, 1, 1, 0x20, 0xd001);
    cfgWrite16(a.h, 1, 1, PCI_COMMAND, 5);
    cfgWrite16(a.h, 0, 0, I440FX_PAM0 + 1, 0x1133);
    a.h.outl(CF8, addr(0, 0, 0, I440FX_SMRAM));
    a.h.outb(CFC + 2, 0x4a);
    a.h.outl(CF8, addr(0, 1, 0, 0x60));
    const saved = [a.bus, a.host, a.isa, a.ide].map((s) => cloneState(s.saveState()));
    const b = setup();
    [b.bus, b.host, b.isa, b.ide].forEach((s, i) => s.loadState(saved[i], 1));
    for (const [x, y] of [
      [a.bus, b.bus],
      [a.host, b.host],
      [a.isa, b.isa],
      [a.ide, b.ide],
    ] as const)
      expect(y.saveState()).toEqual(x.saveState());
    // The restored CONFIG_ADDRESS still points at PIRQRC: the same data port access lands there.
    for (const env of [a, b]) env.h.outb(CFC + 1, 0x0b);
    expect(b.isa.pirqRoute(1)).toBe(11);
    expect(scan(b.h)).toEqual(scan(a.h));
    expect(b.ide.busMasterBase()).toBe(0xd000);
    expect(b.host.smram).toBe(0x4a);
  });

  it("refuses corrupt state and stays unchanged", () => {
    const { bus, host, ide } = setup();
    const goodBus = cloneState(bus.saveState());
    expect(() => bus.loadState({ configAddress: 0x80000003 }, 1)).toThrow(StateError);
    expect(() => bus.loadState({ configAddress: -1 }, 1)).toThrow(StateError);
    expect(() => bus.loadState({}, 1)).toThrow(StateError);
    expect(bus.saveState()).toEqual(goodBus);
    const good = cloneState(host.saveState());
    const forged = (good.config as Uint8Array).slice();
    forged[2] = 0x38; // another device ID
    expect(() => host.loadState({ config: forged }, 1)).toThrow(StateError);
    expect(() => host.loadState({ config: new Uint8Array(128) }, 1)).toThrow(StateError);
    expect(() => host.loadState(good, 9)).toThrow(StateError);
    expect(host.saveState()).toEqual(good);
    const ideGood = cloneState(ide.saveState());
    const badBar = (ideGood.config as Uint8Array).slice();
    badBar[0x20] = 0x00; // BMIBA bit 0 is hardwired to 1
    expect(() => ide.loadState({ config: badBar }, 1)).toThrow(StateError);
    expect(ide.saveState()).toEqual(ideGood);
  });

  it("passes byte accesses at CF9h to the PIIX3 reset control register", () => {
    const env: Env = setup();
    const { h, resets } = env;
    h.outb(0xcf9, 0x02);
    expect(h.inb(0xcf9)).toBe(0x02);
    expect(resets).toEqual([]);
    h.outb(0xcf9, 0x06);
    expect(resets).toEqual([true]);
    h.outb(0xcf9, 0x04);
    expect(resets).toEqual([true, false]);
    expect(h.inl(CF8)).toBe(0); // CONFIG_ADDRESS untouched
  });
});
