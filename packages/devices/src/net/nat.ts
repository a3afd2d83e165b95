// The user-mode network's NAT to real hosts: the guest's TCP (nat-tcp.ts) and UDP (nat-udp.ts)
// traffic for addresses beyond the user network's own servers, carried on through HostSockets.
// UserNetwork hands it the IPv4 packets nothing else there answered.
//
// Key design choice: the NAT decides nothing about where the guest may go. It asks the host
// for every destination (10.0.2.2, the gateway, included: the host's implementation maps it to
// its loopback) and the host's allow-list answers; only our DNS server's address is refused
// here (a RST for TCP, silence for UDP other than DNS queries).

import type { HostSockets } from "./host-sockets.ts";
import { TcpNat, type NatOutput } from "./nat-tcp.ts";
import { UdpNat } from "./nat-udp.ts";
import { IP_PROTO_TCP, IP_PROTO_UDP, parseUdp, type Ip4, type Ip4Packet } from "./packets.ts";

export class Nat {
  readonly tcp: TcpNat;
  readonly udp: UdpNat;

  constructor(
    sockets: HostSockets,
    out: NatOutput,
    /** Addresses of the network's own servers, not relayed (the DNS server). */
    private readonly local: (addr: Ip4) => boolean,
    /** The network's directed broadcast address. */
    private readonly broadcast: Ip4,
  ) {
    this.tcp = new TcpNat(sockets, out, local);
    this.udp = new UdpNat(sockets, out);
  }

  /** Takes a packet for a remote host; false when it is not for the NAT (the caller drops it). */
  receive(ip: Ip4Packet): boolean {
    const top = ip.dst >>> 28;
    if (ip.dst === 0xffffffff || ip.dst === this.broadcast || top === 0xe || top === 0xf || ip.dst >>> 24 === 0)
      return false;
    if (ip.protocol === IP_PROTO_TCP) {
      this.tcp.receive(ip);
      return true;
    }
    if (ip.protocol === IP_PROTO_UDP && !this.local(ip.dst)) {
      const u = parseUdp(ip.payload, ip.src, ip.dst);
      if (!u) return false;
      this.udp.receive(ip, u);
      return true;
    }
    return false;
  }

  /** Guest time (ns): retransmissions and expiries; sends what waited for room in the link. */
  poll(nowNs: number): void {
    this.tcp.poll(nowNs);
    this.udp.poll(nowNs);
  }
}
