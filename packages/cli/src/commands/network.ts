// `--net none|user|nat` and `--net-allow HOST:PORT` for vm boot and vm resume: the guest's
// network card joined to the user-mode network (devices/net/user-net.ts: DHCP, ARP, ICMP echo
// and DNS for 10.0.2.0/24, as QEMU's user networking presents it), with or without the NAT to
// real hosts, or no card at all; `--nic` picks the card (board.ts's NIC_MODELS: the RTL8029,
// an NE2000 on PCI, by default; an NE2000 on ISA; virtio-net).
//
//  - user: the private network alone; nothing beyond 10.0.2.2 and 10.0.2.3 answers.
//  - nat: the same, and the guest's TCP and UDP to other addresses go out through this
//    process's sockets (node-sockets.ts), to the destinations --net-allow lists only.
//    Names given to --net-allow are resolved once, before the machine starts, and the user
//    network's DNS server answers them with that address.

import dns from "node:dns/promises";
import net from "node:net";
import { NIC_MODELS, UserNetwork, ip4, type Ip4, type NicModel, type PcMachine } from "@x86vm/devices";
import { UsageError } from "../args.ts";
import type { Session } from "../session/session.ts";
import { AllowList, NodeHostSockets, type AllowEntry } from "./node-sockets.ts";

export type NetMode = "none" | "user" | "nat";

export const NET_OPTION = {
  flag: "--net",
  value: "NET",
  help: "none (default), user (a card on 10.0.2.0/24) or nat (user + --net-allow)",
};

export const NET_ALLOW_OPTION = {
  flag: "--net-allow",
  value: "HOST:PORT",
  help: "where --net nat may go (repeatable; PORT may be *; 10.0.2.2 is this host)",
};

export function parseNetMode(v: string): NetMode {
  if (v !== "none" && v !== "user" && v !== "nat")
    throw new UsageError(`--net takes none, user or nat, not ${JSON.stringify(v)}`);
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

/** One --net-allow value: HOST:PORT, HOST a name or an IPv4 address, PORT 1-65535 or *. */
export function parseNetAllow(v: string): AllowEntry {
  const at = v.lastIndexOf(":");
  const host = at < 0 ? "" : v.slice(0, at).trim().toLowerCase();
  const portText = at < 0 ? "" : v.slice(at + 1).trim();
  const bad = (why: string) => new UsageError(`--net-allow takes HOST:PORT (${why}), not ${JSON.stringify(v)}`);
  if (!host || !portText) throw bad("a host and a port");
  if (host.includes("*")) throw bad("no wildcard host: name each one");
  if (host.includes(":") || host.startsWith("[")) throw bad("IPv4 addresses and names only");
  if (portText === "*") return { host, port: "*" };
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw bad("PORT is 1 to 65535 or *");
  return { host, port };
}

/** Where the machine's card goes: the user network, with the NAT's allow-list for nat. */
export interface NetSetup {
  mode: NetMode;
  allow: readonly AllowEntry[];
  /** How names are resolved (default: the system's resolver, IPv4); tests give their own. */
  lookup?: (name: string) => Promise<string[]>;
}

/**
 * Resolves the names of --net-allow (IPv4 only) into an allow-list and the names the guest's
 * DNS server answers. 10.0.2.2 and addresses of this host's loopback stand for each other.
 */
export async function resolveAllowList(
  entries: readonly AllowEntry[],
  lookup: (name: string) => Promise<string[]> = async (name) =>
    (await dns.lookup(name, { family: 4, all: true })).map((a) => a.address),
): Promise<{ allow: AllowList; names: Map<string, Ip4> }> {
  const names = new Map<string, Ip4>();
  const resolved: { addrs: string[]; port: number | "*" }[] = [];
  for (const e of entries) {
    let addrs: string[];
    if (net.isIPv4(e.host)) addrs = [e.host];
    else {
      try {
        addrs = await lookup(e.host);
      } catch (err) {
        throw new UsageError(
          `--net-allow ${e.host}: cannot resolve the name (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        );
      }
      if (addrs.length === 0) throw new UsageError(`--net-allow ${e.host}: the name has no IPv4 address`);
      const first = addrs[0];
      names.set(e.host, first.startsWith("127.") ? ip4("10.0.2.2") : ip4(first));
    }
    resolved.push({ addrs, port: e.port });
  }
  return { allow: new AllowList(resolved), names };
}

/**
 * Joins the machine's card, if it has one, to a user-mode network that the session pumps (and,
 * for nat, gives the guest time to the NAT and lets the event loop deliver socket events). The
 * link (pc.nicLink) is the machine's: frames it holds for the card are in snapshots.
 */
export async function connectNetwork(
  session: Session,
  pc: PcMachine,
  setup: NetSetup = { mode: "user", allow: [] },
  log: (line: string) => void = (line) => console.error(line),
): Promise<UserNetwork | null> {
  const link = pc.nicLink;
  if (!link || setup.mode === "none") return null;
  let net: UserNetwork;
  if (setup.mode === "nat") {
    const { allow, names } = await resolveAllowList(setup.allow, setup.lookup);
    const sockets = new NodeHostSockets(allow, log);
    net = new UserNetwork({ send: link.toNic, names, sockets, room: () => link.limit - link.pending });
    const nat = net.nat!;
    session.hostIo = () => nat.tcp.size + nat.udp.size > 0;
  } else net = new UserNetwork({ send: link.toNic });
  link.attach((frame) => net.receive(frame));
  session.pumps.push(() => {
    link.pump();
    net.poll(pc.machine.clock.now());
  });
  return net;
}
