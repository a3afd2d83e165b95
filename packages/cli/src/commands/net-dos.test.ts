// DOS on the user-mode network through a packet driver: FreeDOS from its floppy, with the
// examples' dos-net.img in drive B: (examples/dos/ne2kpkt.asm, a packet driver for the NE2000,
// and pkttest.asm, which uses only the packet driver's interface). The driver loads on INT 60h
// for the ISA NE2000 (told 0x300 and IRQ 10) and for the RTL8029 (found through the PCI BIOS:
// the base and IRQ POST gave it); PKTTEST prints the card's station address, gets a DHCP offer,
// ARPs for 10.0.2.2, pings it once and then 20 times with 1,000 bytes (the replies go round the
// driver's receive ring), and unloads the driver. Before PKTTEST, a burst of broadcasts straight
// into the card overflows its ring, so the driver's interrupt goes through the overflow
// recovery first. Each card has a station address of its own, which the driver must read from
// the card's PROM. Read back from the VGA text screen.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryDisk } from "@x86vm/core";
import { ISR_OVW, Ne2000, PcMachine, USER_NET_HOST_MAC, type NicModel } from "@x86vm/devices";
import { buildExamples, findFreedos, type ExampleImages } from "../../../../examples/build.ts";
import { Session, type Step } from "../session/session.ts";
import { connectNetwork } from "./network.ts";

const FREEDOS = findFreedos();

function disk(file: string): MemoryDisk {
  const b = fs.readFileSync(file);
  return new MemoryDisk(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), true);
}

const hex = (bytes: ArrayLike<number>) =>
  Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, "0")).join(":");

describe("DOS packet driver (NE2KPKT) on the user network", () => {
  let dir = "";
  let built: ExampleImages;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-dosnet-"));
    built = buildExamples({ outDir: dir });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each<[NicModel, string, string, number[]]>([
    ["ne2k-isa", "B:NE2KPKT 0x60 10 0x300", "I/O 0300h IRQ 10", [0x52, 0x54, 0x00, 0xab, 0xcd, 0x01]],
    ["ne2k-pci", "B:NE2KPKT", "I/O C100h IRQ 11", [0x52, 0x54, 0x00, 0xab, 0xcd, 0x02]],
  ])(
    "--nic %s: `%s` installs; PKTTEST gets the card's MAC, a DHCP offer, ARP and ping replies, then unloads it",
    async (card, command, where, macBytes) => {
      expect(FREEDOS, "the FreeDOS floppy (../shared/guests/freedos722.img)").not.toBeNull();
      const mac = Uint8Array.from(macBytes);
      const pc = new PcMachine({
        memoryMiB: 32,
        clock: "deterministic",
        fda: disk(FREEDOS!),
        fdb: disk(built.netFloppy),
        net: { card, mac },
      });
      const session = new Session(pc);
      const net = (await connectNetwork(session, pc))!;
      expect(net).not.toBeNull();
      const screen = () => pc.textRows()!.join("\n");
      const run = async (steps: Step[]) => {
        try {
          await session.run(steps, { timeoutS: 90, nowMs: () => performance.now() });
        } catch (e) {
          throw new Error(`${(e as Error).message}\n--- screen ---\n${screen()}`, { cause: e });
        }
      };

      await run([
        { kind: "until", text: "A:\\>" },
        { kind: "type", keys: "cls\r" },
        { kind: "type", keys: `${command}\r` },
        { kind: "until", text: "NE2KPKT: " },
        { kind: "until", text: "A:\\>" },
      ]);
      expect(screen()).toContain(`NE2KPKT: NE2000 at ${where}, INT 60h, address ${hex(mac)}`);

      // 30 broadcasts of 1,000 bytes (5 ring pages each) while the guest does not run: the
      // 58-page ring fills, the rest are lost and the card raises the overwrite warning.
      const nic = pc.nic;
      if (!(nic instanceof Ne2000)) throw new Error(`--nic ${card} is not an NE2000`);
      const flood = new Uint8Array(1000);
      flood.fill(0xff, 0, 6);
      flood.set([0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5], 6); // a local address; a local experimental type
      for (let i = 0; i < 30; i++) nic.receive(flood);
      expect(nic.framesLost).toBeGreaterThan(0);
      expect(nic.isr & ISR_OVW).toBe(ISR_OVW);

      await run([
        { kind: "type", keys: "B:PKTTEST /U\r" },
        { kind: "until", text: "PKTTEST " },
        { kind: "until", text: "A:\\>" },
      ]);
      const out = screen();
      expect(out).toContain("Packet driver NE2KPKT on INT 60h, class 1, type 54");
      expect(out).toContain(`MAC ${hex(mac)}`);
      expect(out).toContain("DHCP offer 10.0.2.15 from 10.0.2.2");
      expect(out).toContain(`ARP 10.0.2.2 is ${hex(USER_NET_HOST_MAC)}`);
      expect(out).toContain("PING reply from 10.0.2.2: 32 bytes, seq 1");
      expect(out).toContain("PING 20 of 20 replies, 1000 bytes each");
      expect(out).toContain("PKTTEST OK");
      expect(out).toContain("packet driver unloaded");
      // The user network saw the card's address and answered everything it was sent.
      expect(hex(net.guestMac!)).toBe(hex(mac));
      expect(net.dropped).toBe(0);
      // The driver cleared the warning once it had emptied the ring.
      expect(nic.isr & ISR_OVW).toBe(0);

      // terminate took the driver off INT 60h: PKTTEST finds none.
      await run([
        { kind: "type", keys: "B:PKTTEST\r" },
        { kind: "until", text: "PKTTEST FAIL" },
        { kind: "until", text: "A:\\>" },
      ]);
      expect(screen()).toContain("PKTTEST FAIL: no packet driver on INT 60h-80h");
    },
    120_000,
  );
});
