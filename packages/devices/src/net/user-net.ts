// The user-mode network of one VM: the other end of its network card's wire, presenting the
// network QEMU's "user" (slirp) networking does: 10.0.2.0/24, the host as gateway 10.0.2.2, a
// DNS server at 10.0.2.3, the guest at 10.0.2.15. It answers ARP for the gateway and the DNS
// server, runs a DHCP server (RFC 2131) that leases the guest 10.0.2.15, replies to ICMP echo
// sent to either address, and answers DNS queries on 10.0.2.3 ("host" and "gateway" are
// 10.0.2.2; every other name is NXDOMAIN for now).
//
// Key design choices:
//  - Pure protocol logic, no host networking: frames from the guest go to receive(), replies go
//    to the `send` callback (the host queues them towards the card, NicLink). Traffic for any
//    other address or port goes to the NAT (nat.ts) when the host gives `sockets`, else it is
//    dropped and counted.
//  - One guest by default: the lease is always 10.0.2.15, whatever the client's hardware
//    address, as slirp's first address; a REQUEST for another address is NAKed. A network of
//    several guests (the page's LAN, lan/ in packages/web) passes a lease pool (DhcpLeases):
//    10.0.2.15, .16, ... by hardware address; every reply goes to the MAC that asked.

import {
  ARP_REPLY,
  ARP_REQUEST,
  BROADCAST_MAC,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  IP_PROTO_ICMP,
  IP_PROTO_UDP,
  buildArp,
  buildEth,
  buildIcmp,
  buildIp4,
  buildUdp,
  ip4,
  parseArp,
  parseEth,
  parseIcmp,
  parseIp4,
  parseUdp,
  type Ip4,
} from "./packets.ts";
import {
  BOOTREQUEST,
  DHCPACK,
  DHCPDISCOVER,
  DEFAULT_LEASE_SECONDS,
  DHCPINFORM,
  DHCPNAK,
  DHCPOFFER,
  DHCPREQUEST,
  DHCP_CLIENT_PORT,
  DHCP_FLAG_BROADCAST,
  DHCP_SERVER_PORT,
  OPT_DNS,
  OPT_LEASE_TIME,
  OPT_MESSAGE_TYPE,
  OPT_REQUESTED_IP,
  OPT_ROUTER,
  OPT_SERVER_ID,
  OPT_SUBNET_MASK,
  DhcpLeases,
  buildDhcpReply,
  dhcpAddressOption,
  dhcpType,
  parseDhcp,
  u32Bytes,
  type DhcpMessage,
} from "./dhcp.ts";
import { DNS_PORT, answerDnsQuery } from "./dns.ts";
import type { HostSockets } from "./host-sockets.ts";
import { Nat } from "./nat.ts";

export const USER_NET_GATEWAY = ip4("10.0.2.2");
export const USER_NET_DNS = ip4("10.0.2.3");
export const USER_NET_GUEST = ip4("10.0.2.15");
export const USER_NET_MASK = ip4("255.255.255.0");
const LIMITED_BROADCAST = 0xffffffff;
/** The hardware address the gateway and DNS server answer with (locally administered). */
export const USER_NET_HOST_MAC: readonly number[] = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];
/** Lease time in seconds (one day). */
export const USER_NET_LEASE_SECONDS = DEFAULT_LEASE_SECONDS;

export interface UserNetworkOptions {
  /** Gets each frame for the guest. */
  send: (frame: Uint8Array) => void;
  /** Extra names the DNS server answers (lower case), beside "host" and "gateway". */
  names?: ReadonlyMap<string, Ip4>;
  /** Asked for a name the others do not have (names that change: the page's VMs); null: none. */
  resolve?: (name: string) => Ip4 | null;
  /** The addresses DHCP hands out (default: 10.0.2.15 to whoever asks, one guest). */
  leases?: DhcpLeases;
  /** With these, TCP and UDP for other addresses go through a NAT to real hosts (nat.ts). */
  sockets?: HostSockets;
  /** Frames the link towards the card still takes (NAT traffic waits for room); default no limit. */
  room?: () => number;
}

export class UserNetwork {
  private readonly send: (frame: Uint8Array) => void;
  private readonly names: Map<string, Ip4>;
  private readonly resolve: (name: string) => Ip4 | null;
  readonly leases: DhcpLeases;
  /** The guest's hardware address, once it has sent something. */
  guestMac: Uint8Array | null = null;
  /** Whether the guest holds the lease (an ACK was sent). */
  leased = false;
  /** Frames from the guest that nothing here answers (other addresses, ports, protocols). */
  dropped = 0;
  private ipId = 0;
  /** The NAT to real hosts, with `sockets`. */
  readonly nat: Nat | null;
  /** Each guest's hardware address by IPv4 address, learnt from what it sends the NAT. */
  private readonly natMacs = new Map<Ip4, Uint8Array>();

  constructor(opts: UserNetworkOptions) {
    this.send = opts.send;
    const room = opts.room ?? (() => Infinity);
    const out = {
      sendIp: (src: Ip4, dst: Ip4, protocol: number, payload: Uint8Array) =>
        this.sendIp(this.natMacs.get(dst) ?? this.guestMac ?? BROADCAST_MAC, src, dst, protocol, payload),
      room,
    };
    const broadcast = (USER_NET_GUEST & USER_NET_MASK) | (~USER_NET_MASK >>> 0);
    this.nat = opts.sockets
      ? new Nat(opts.sockets, out, (a) => this.isOurs(a) && a !== USER_NET_GATEWAY, broadcast >>> 0)
      : null;
    this.names = new Map([["host", USER_NET_GATEWAY], ["gateway", USER_NET_GATEWAY], ...(opts.names ?? [])]);
    this.resolve = opts.resolve ?? (() => null);
    this.leases = opts.leases ?? new DhcpLeases(USER_NET_GUEST, 1);
  }

  /**
   * A frame the guest's card transmitted. As a card's address filter does, only frames for our
   * own station address or a group address (broadcast, multicast) are taken: on a switch that
   * floods a unicast frame whose destination it has not learnt (the page's LAN, while a VM's
   * port is being replaced), the frame is for another guest, and answering it (the NAT's RST
   * for "no such connection") would break that guest's connection.
   */
  receive(frame: Uint8Array): void {
    const eth = parseEth(frame);
    if (!eth) return void this.dropped++;
    if ((eth.dst[0] & 1) === 0 && eth.dst.some((b, i) => b !== USER_NET_HOST_MAC[i])) return void this.dropped++;
    this.guestMac = eth.src.slice();
    if (eth.type === ETHERTYPE_ARP) this.arp(eth.payload);
    else if (eth.type === ETHERTYPE_IPV4) this.ipv4(eth.payload, eth.src);
    else this.dropped++;
  }

  private isOurs(a: Ip4): boolean {
    return a === USER_NET_GATEWAY || a === USER_NET_DNS;
  }

  private arp(p: Uint8Array): void {
    const a = parseArp(p);
    if (!a || a.op !== ARP_REQUEST || !this.isOurs(a.targetIp)) return void this.dropped++;
    const reply = buildArp({
      op: ARP_REPLY,
      senderMac: USER_NET_HOST_MAC,
      senderIp: a.targetIp,
      targetMac: a.senderMac,
      targetIp: a.senderIp,
    });
    this.send(buildEth(a.senderMac, USER_NET_HOST_MAC, ETHERTYPE_ARP, reply));
  }

  private ipv4(p: Uint8Array, srcMac: Uint8Array): void {
    const ip = parseIp4(p);
    if (!ip) return void this.dropped++;
    if (ip.protocol === IP_PROTO_ICMP && this.isOurs(ip.dst)) {
      const m = parseIcmp(ip.payload);
      if (!m || m.type !== ICMP_ECHO_REQUEST) return void this.dropped++;
      const reply = buildIcmp(ICMP_ECHO_REPLY, 0, m.rest);
      this.sendIp(srcMac, ip.dst, ip.src, IP_PROTO_ICMP, reply);
      return;
    }
    if (ip.protocol === IP_PROTO_UDP) {
      const u = parseUdp(ip.payload, ip.src, ip.dst);
      if (!u) return void this.dropped++;
      if (u.dstPort === DHCP_SERVER_PORT && (ip.dst === LIMITED_BROADCAST || ip.dst === USER_NET_GATEWAY)) {
        const m = parseDhcp(u.data);
        if (m && m.op === BOOTREQUEST) return this.dhcp(m);
      } else if (u.dstPort === DNS_PORT && ip.dst === USER_NET_DNS) {
        const answer = answerDnsQuery(u.data, (name) => this.names.get(name) ?? this.resolve(name));
        if (answer) {
          this.sendIp(
            srcMac,
            USER_NET_DNS,
            ip.src,
            IP_PROTO_UDP,
            buildUdp(USER_NET_DNS, ip.src, DNS_PORT, u.srcPort, answer),
          );
          return;
        }
      }
    }
    if (this.nat) {
      const known = this.natMacs.get(ip.src);
      if (!known || known.some((b, i) => b !== srcMac[i])) this.natMacs.set(ip.src, srcMac.slice());
      if (this.nat.receive(ip)) return;
    }
    this.dropped++;
  }

  /** Guest time moved on (ns): the NAT's timers, and what it holds back for room in the link. */
  poll(nowNs: number): void {
    this.nat?.poll(nowNs);
  }

  private dhcp(m: DhcpMessage): void {
    const type = dhcpType(m);
    let reply: number;
    if (type !== DHCPDISCOVER && type !== DHCPREQUEST && type !== DHCPINFORM) return; // DECLINE, RELEASE
    const offered = type === DHCPINFORM ? 0 : this.leases.addressFor(m.chaddr);
    if (offered === null) return void this.dropped++; // the pool is used up: no offer
    if (type === DHCPDISCOVER) reply = DHCPOFFER;
    else if (type === DHCPREQUEST) {
      // SELECTING/INIT-REBOOT name the address in option 50, RENEWING/REBINDING in ciaddr.
      const asked = dhcpAddressOption(m, OPT_REQUESTED_IP) ?? m.ciaddr;
      const server = dhcpAddressOption(m, OPT_SERVER_ID);
      if (server !== null && server !== USER_NET_GATEWAY) return; // another server's offer taken
      reply = asked === offered ? DHCPACK : DHCPNAK;
    } else reply = DHCPACK; // INFORM
    const options: [number, Uint8Array][] = [
      [OPT_MESSAGE_TYPE, Uint8Array.of(reply)],
      [OPT_SERVER_ID, u32Bytes(USER_NET_GATEWAY)],
    ];
    if (reply !== DHCPNAK) {
      if (type !== DHCPINFORM) options.push([OPT_LEASE_TIME, u32Bytes(this.leases.leaseSeconds)]);
      options.push([OPT_SUBNET_MASK, u32Bytes(USER_NET_MASK)]);
      options.push([OPT_ROUTER, u32Bytes(USER_NET_GATEWAY)]);
      options.push([OPT_DNS, u32Bytes(USER_NET_DNS)]);
    }
    const yiaddr = reply === DHCPNAK ? 0 : offered;
    const body = buildDhcpReply(m, { yiaddr, siaddr: USER_NET_GATEWAY, options });
    if (reply === DHCPACK && type === DHCPREQUEST) this.leased = true;
    // RFC 2131 4.1: a client with an address gets unicast; one without, broadcast if it asked
    // for it (or for a NAK), else unicast to its hardware address and the offered address.
    const broadcast = reply === DHCPNAK || (m.ciaddr === 0 && (m.flags & DHCP_FLAG_BROADCAST) !== 0);
    const dstIp = m.ciaddr !== 0 ? m.ciaddr : broadcast ? LIMITED_BROADCAST : yiaddr;
    const dstMac = broadcast ? BROADCAST_MAC : m.chaddr;
    const udp = buildUdp(USER_NET_GATEWAY, dstIp, DHCP_SERVER_PORT, DHCP_CLIENT_PORT, body);
    this.sendIp(dstMac, USER_NET_GATEWAY, dstIp, IP_PROTO_UDP, udp);
  }

  private sendIp(dstMac: ArrayLike<number>, src: Ip4, dst: Ip4, protocol: number, payload: Uint8Array): void {
    this.ipId = (this.ipId + 1) & 0xffff;
    const packet = buildIp4({ protocol, src, dst, id: this.ipId }, payload);
    this.send(buildEth(dstMac, USER_NET_HOST_MAC, ETHERTYPE_IPV4, packet));
  }
}

// NicLink, which joins a card to an endpoint like this one, is in nic-link.ts.
export { NicLink, type NicWire } from "./nic-link.ts";
