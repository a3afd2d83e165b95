// `--net user|none` for vm boot and vm resume: the guest's network card joined to the user-mode
// network (devices/net/user-net.ts: DHCP, ARP, ICMP echo and DNS for 10.0.2.0/24, as QEMU's
// user networking presents it), or no card at all; `--nic` picks the card (board.ts's
// NIC_MODELS: the RTL8029, an NE2000 on PCI, by default; an NE2000 on ISA; virtio-net).

import { NIC_MODELS, UserNetwork, type NicModel, type PcMachine } from "@x86vm/devices";
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

export const NIC_OPTION = {
  flag: "--nic",
  value: "CARD",
  help: "ne2k-pci (default: RTL8029), ne2k-isa (NE2000 at 300h, IRQ 10) or virtio",
};

export function parseNicModel(v: string): NicModel {
  if (!(NIC_MODELS as readonly string[]).includes(v))
    throw new UsageError(`--nic takes ${NIC_MODELS.join(", ")}, not ${JSON.stringify(v)}`);
  return v as NicModel;
}

/**
 * Joins the machine's card, if it has one, to a user-mode network that the session pumps. The
 * link (pc.nicLink) is the machine's: frames it holds for the card are in snapshots.
 */
export function connectUserNetwork(session: Session, pc: PcMachine): UserNetwork | null {
  const link = pc.nicLink;
  if (!link) return null;
  const net = new UserNetwork({ send: link.toNic });
  link.attach((frame) => net.receive(frame));
  session.pumps.push(() => link.pump());
  return net;
}
