// `--net user|none` for vm boot and vm resume: the guest's network card (the RTL8029, an
// NE2000 on PCI) joined to the user-mode network (devices/net/user-net.ts: DHCP, ARP, ICMP echo
// and DNS for 10.0.2.0/24, as QEMU's user networking presents it), or no card at all.

import { NicLink, UserNetwork, type PcMachine } from "@x86vm/devices";
import { UsageError } from "../args.ts";
import type { Session } from "../session/session.ts";

export type NetMode = "none" | "user";

export const NET_OPTION = {
  flag: "--net",
  value: "NET",
  help: "none (default: no network card) or user (a card on 10.0.2.0/24, DHCP)",
};

export function parseNetMode(v: string): NetMode {
  if (v !== "none" && v !== "user") throw new UsageError(`--net takes user or none, not ${JSON.stringify(v)}`);
  return v;
}

/** Joins the machine's card, if it has one, to a user-mode network that the session pumps. */
export function connectUserNetwork(session: Session, pc: PcMachine): UserNetwork | null {
  if (!pc.nic) return null;
  const link = new NicLink(pc.nic);
  const net = new UserNetwork({ send: link.toNic });
  link.attach((frame) => net.receive(frame));
  session.pumps.push(() => link.pump());
  return net;
}
