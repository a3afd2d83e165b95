// The Linux guest on the user-mode network, as `vm boot --kernel ... --net user` builds it: the
// guest loads its card's driver from its initramfs (ne2k-pci for the RTL8029, virtio_net for
// `--nic virtio`, ne at 300h/IRQ 10 for `--nic ne2k-isa`), gets 10.0.2.15 from the DHCP server
// (udhcpc; its script prints NET-OK), `ping -c 1 10.0.2.2` is answered and nslookup gets host's
// address and an NXDOMAIN from 10.0.2.3; the RTL8029 with the 8259s and with --apic (the card's
// line through the I/O APIC), virtio-net through the I/O APIC, the ISA NE2000 through the I/O
// APIC (an edge input: Linux re-sends an edge interrupt that came while the line was lazily
// disabled as a logical-mode self-IPI) and with the 8259s. Everything is checked on the serial
// console; then a snapshot restores into a machine that pings again. Needs the guest of
// the current recipe (pnpm images; pnpm test builds it first).
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { MemoryDisk } from "@x86vm/core";
import { restoreSnapshot, saveSnapshot } from "@x86vm/devices";
import { Session } from "../session/session.ts";
import { buildPc, parseBootArgs } from "./boot.ts";
import { GUEST_RECIPE, defaultGuestsDir, guestIsCurrent } from "./images.ts";
import { connectNetwork } from "./network.ts";

const GUEST = path.join(defaultGuestsDir(), "linux-686");

it.each([
  ["ne2k-pci", "the 8259s", ["--no-apic"], "ne2k-pci"],
  ["ne2k-pci", "--apic (the I/O APIC)", ["--apic"], "ne2k-pci"],
  ["virtio", "the I/O APIC (the default)", ["--nic", "virtio"], "virtio_net"],
  ["ne2k-isa", "the I/O APIC (the default)", ["--nic", "ne2k-isa"], "ne"],
  ["ne2k-isa", "the 8259s", ["--no-apic", "--nic", "ne2k-isa"], "ne"],
])(
  "gets 10.0.2.15 by DHCP, pings 10.0.2.2 and resolves host with --net user and %s, interrupts through %s",
  async (_card, _irq, extra, driver) => {
    expect(guestIsCurrent(GUEST), `${GUEST} must be built by recipe ${GUEST_RECIPE}: run pnpm images`).toBe(true);
    const args = parseBootArgs([
      ...["--kernel", path.join(GUEST, "bzImage"), "--initrd", path.join(GUEST, "initrd.gz")],
      ...["--append", "console=ttyS0", "--mem", "64", "--net", "user"],
      ...extra,
    ]);
    const pc = buildPc(args);
    const session = new Session(pc);
    const net = (await connectNetwork(session, pc))!;
    expect(net).not.toBeNull();
    const opts = { timeoutS: 500, serialInput: true, nowMs: () => performance.now() };
    try {
      await session.run(
        [
          { kind: "until", text: "NET-OK" },
          { kind: "until", text: "# " },
          { kind: "type", keys: "ping -c 1 10.0.2.2\n" },
          { kind: "until", text: "packet loss" },
          { kind: "until", text: "# " },
          { kind: "type", keys: "nslookup host 10.0.2.3; nslookup nosuchname 10.0.2.3\n" },
          { kind: "until", text: "nosuchname" },
          { kind: "until", text: "# " },
          { kind: "type", keys: "echo DRIVER=$(basename $(readlink /sys/class/net/eth0/device/driver))\n" },
          { kind: "until", text: "DRIVER=" },
          { kind: "until", text: "# " },
        ],
        opts,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- serial ---\n${session.serial.slice(-3000)}`, { cause: e });
    }
    const serial = session.serial.replace(/\r/g, "");
    expect(serial).toContain(`DRIVER=${driver}\n`);
    expect(serial).toMatch(/NET-OK eth0 10\.0\.2\.15 router 10\.0\.2\.2/);
    expect(serial).toMatch(/1 packets transmitted, 1 packets received, 0% packet loss/);
    expect(serial).toMatch(/Name:\s+host\nAddress:\s+10\.0\.2\.2\b/);
    expect(serial).toMatch(/NXDOMAIN/);
    expect(net.leased).toBe(true);

    // A snapshot at the prompt restores with the card where the driver left it: the restored
    // machine pings again through its own user network.
    const files: Record<string, string> = {
      kernel: path.join(GUEST, "bzImage"),
      initrd: path.join(GUEST, "initrd.gz"),
    };
    const back = await restoreSnapshot(await saveSnapshot(pc), {
      images: (_sha, _size, _hint, slot) =>
        files[slot] ? new MemoryDisk(new Uint8Array(fs.readFileSync(files[slot])), true) : null,
    });
    const again = new Session(back);
    expect(await connectNetwork(again, back)).not.toBeNull();
    try {
      await again.run(
        [
          { kind: "type", keys: "ping -c 2 10.0.2.2\n" },
          { kind: "until", text: "packet loss" },
        ],
        opts,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- serial ---\n${again.serial.slice(-3000)}`, { cause: e });
    }
    expect(again.serial.replace(/\r/g, "")).toMatch(/2 packets transmitted, 2 packets received, 0% packet loss/);
  },
  600_000,
);
