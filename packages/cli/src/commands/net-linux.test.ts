// The Linux guest on the user-mode network, as `vm boot --kernel ... --net user` builds it: the
// guest loads ne2k-pci from its initramfs, finds the RTL8029, gets 10.0.2.15 from the DHCP
// server (udhcpc; its script prints NET-OK), and `ping -c 1 10.0.2.2` is answered. Everything
// is checked on the serial console. Needs the guest of the current recipe (pnpm images;
// pnpm test builds it first).
import path from "node:path";
import { expect, it } from "vitest";
import { Session } from "../session/session.ts";
import { buildPc, parseBootArgs } from "./boot.ts";
import { GUEST_RECIPE, defaultGuestsDir, guestIsCurrent } from "./images.ts";
import { connectUserNetwork } from "./network.ts";

const GUEST = path.join(defaultGuestsDir(), "linux-686");

it("gets 10.0.2.15 by DHCP and pings 10.0.2.2 with --net user", async () => {
  expect(guestIsCurrent(GUEST), `${GUEST} must be built by recipe ${GUEST_RECIPE}: run pnpm images`).toBe(true);
  const args = parseBootArgs([
    ...["--kernel", path.join(GUEST, "bzImage"), "--initrd", path.join(GUEST, "initrd.gz")],
    ...["--append", "console=ttyS0", "--mem", "64", "--net", "user"],
  ]);
  const pc = buildPc(args);
  const session = new Session(pc);
  const net = connectUserNetwork(session, pc)!;
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
      ],
      opts,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- serial ---\n${session.serial.slice(-3000)}`, { cause: e });
  }
  const serial = session.serial.replace(/\r/g, "");
  expect(serial).toMatch(/ne2k-pci/);
  expect(serial).toMatch(/NET-OK eth0 10\.0\.2\.15 router 10\.0\.2\.2/);
  expect(serial).toMatch(/1 packets transmitted, 1 packets received, 0% packet loss/);
  expect(net.leased).toBe(true);
}, 600_000);
