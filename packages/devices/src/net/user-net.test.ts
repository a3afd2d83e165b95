// The user-mode network endpoint against hand-built frames from a guest: ARP for the gateway
// and DNS server, the DHCP exchange (DISCOVER/OFFER, REQUEST/ACK, a NAK), ICMP echo from
// 10.0.2.2, DNS answers and NXDOMAIN, traffic for other hosts dropped; and NicLink pacing
// frames into an NE2000's ring.
import { describe, expect, it } from "vitest";
import { buildDnsQuery } from "./dns.ts";
import {
  buildEth,
  buildIcmp,
  buildIp4,
  buildUdp,
  internetChecksum,
  ip4,
  ip4Text,
  parseEth,
  parseIcmp,
  parseIp4,
  parseUdp,
  readU16,
  readU32,
} from "./packets.ts";
import {
  parseDhcp,
  dhcpType,
  DHCPOFFER,
  DHCPACK,
  DHCPNAK,
  OPT_ROUTER,
  OPT_DNS,
  OPT_LEASE_TIME,
  OPT_SUBNET_MASK,
} from "./dhcp.ts";
import { NicLink, USER_NET_HOST_MAC, UserNetwork } from "./user-net.ts";
import { Ne2000 } from "./ne2000.ts";

const GUEST_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const hex = (s: string) =>
  Uint8Array.from(
    s
      .replace(/\s+/g, "")
      .match(/../g)!
      .map((b) => parseInt(b, 16)),
  );

function rig() {
  const out: Uint8Array[] = [];
  const net = new UserNetwork({ send: (f) => out.push(f) });
  return { net, out };
}

/** A DHCP client message as udhcpc sends it, byte by byte (RFC 2131 figure 1). */
function dhcpFrame(type: number, opts: number[] = [], broadcastFlag = true): Uint8Array {
  const b = new Uint8Array(300);
  b.set([1, 1, 6, 0], 0); // BOOTREQUEST, Ethernet, hlen 6, hops
  b.set([0xde, 0xad, 0xbe, 0xef], 4); // xid
  if (broadcastFlag) b[10] = 0x80;
  b.set(GUEST_MAC, 28);
  b.set([0x63, 0x82, 0x53, 0x63], 236);
  b.set([53, 1, type, ...opts, 255], 240);
  const udp = buildUdp(0, 0xffffffff, 68, 67, b);
  return buildEth(BCAST, GUEST_MAC, 0x0800, buildIp4({ protocol: 17, src: 0, dst: 0xffffffff }, udp));
}

function udpOf(frame: Uint8Array) {
  const ip = parseIp4(parseEth(frame)!.payload)!;
  return { ip, udp: parseUdp(ip.payload, ip.src, ip.dst)! };
}

describe("the user-mode network endpoint", () => {
  it("answers ARP for 10.0.2.2 and 10.0.2.3, and for nobody else", () => {
    const { net, out } = rig();
    const who = (ip: string) =>
      buildEth(BCAST, GUEST_MAC, 0x0806, hex(`0001 0800 06 04 0001 525400123456 0a00020f 000000000000 ${ip}`));
    net.receive(who("0a000202"));
    expect(out).toHaveLength(1);
    const f = out[0];
    expect([...f.subarray(0, 6)]).toEqual(GUEST_MAC);
    expect([...f.subarray(6, 12)]).toEqual(USER_NET_HOST_MAC);
    expect(readU16(f, 12)).toBe(0x0806);
    expect(readU16(f, 20)).toBe(2); // reply
    expect([...f.subarray(22, 28)]).toEqual(USER_NET_HOST_MAC);
    expect(ip4Text(readU32(f, 28))).toBe("10.0.2.2");
    expect([...f.subarray(32, 38)]).toEqual(GUEST_MAC);
    expect(ip4Text(readU32(f, 38))).toBe("10.0.2.15");
    net.receive(who("0a000203"));
    expect(ip4Text(readU32(out[1], 28))).toBe("10.0.2.3");
    net.receive(who("0a000263"));
    expect(out).toHaveLength(2);
    expect(net.dropped).toBe(1);
  });

  it("leases 10.0.2.15 by DHCP: DISCOVER gets an OFFER, REQUEST an ACK with router, DNS, mask and lease", () => {
    const { net, out } = rig();
    net.receive(dhcpFrame(1));
    expect(out).toHaveLength(1);
    const offer = udpOf(out[0]);
    expect([...out[0].subarray(0, 6)]).toEqual(BCAST); // the broadcast flag was set
    expect(ip4Text(offer.ip.src)).toBe("10.0.2.2");
    expect(offer.ip.dst).toBe(0xffffffff);
    expect([offer.udp.srcPort, offer.udp.dstPort]).toEqual([67, 68]);
    const m = parseDhcp(offer.udp.data)!;
    expect(dhcpType(m)).toBe(DHCPOFFER);
    expect(m.xid).toBe(0xdeadbeef);
    expect(ip4Text(m.yiaddr)).toBe("10.0.2.15");
    expect([...m.chaddr]).toEqual(GUEST_MAC);
    expect(ip4Text(readU32(m.options.get(OPT_ROUTER)!, 0))).toBe("10.0.2.2");
    expect(ip4Text(readU32(m.options.get(OPT_DNS)!, 0))).toBe("10.0.2.3");
    expect(ip4Text(readU32(m.options.get(OPT_SUBNET_MASK)!, 0))).toBe("255.255.255.0");
    expect(readU32(m.options.get(OPT_LEASE_TIME)!, 0)).toBe(86400);
    expect(net.leased).toBe(false);
    // REQUEST: requested address 10.0.2.15 (option 50), server 10.0.2.2 (option 54).
    net.receive(dhcpFrame(3, [50, 4, 10, 0, 2, 15, 54, 4, 10, 0, 2, 2]));
    const ack = parseDhcp(udpOf(out[1]).udp.data)!;
    expect(dhcpType(ack)).toBe(DHCPACK);
    expect(ip4Text(ack.yiaddr)).toBe("10.0.2.15");
    expect(net.leased).toBe(true);
  });

  it("sends the OFFER unicast when the client did not ask for broadcast, and NAKs another address", () => {
    const { net, out } = rig();
    net.receive(dhcpFrame(1, [], false));
    expect([...out[0].subarray(0, 6)]).toEqual(GUEST_MAC);
    expect(ip4Text(udpOf(out[0]).ip.dst)).toBe("10.0.2.15");
    net.receive(dhcpFrame(3, [50, 4, 192, 168, 1, 5]));
    const nak = parseDhcp(udpOf(out[1]).udp.data)!;
    expect(dhcpType(nak)).toBe(DHCPNAK);
    expect(nak.yiaddr).toBe(0);
    expect(net.leased).toBe(false);
    // A REQUEST that chose another server's offer gets no answer.
    net.receive(dhcpFrame(3, [50, 4, 10, 0, 2, 15, 54, 4, 10, 0, 2, 9]));
    expect(out).toHaveLength(2);
  });

  it("replies to ICMP echo sent to 10.0.2.2 with the same identifier, sequence and data", () => {
    const { net, out } = rig();
    const echo = buildIcmp(8, 0, hex("beef 0003 0102030405060708"));
    const src = ip4("10.0.2.15");
    net.receive(
      buildEth(USER_NET_HOST_MAC, GUEST_MAC, 0x0800, buildIp4({ protocol: 1, src, dst: ip4("10.0.2.2") }, echo)),
    );
    expect(out).toHaveLength(1);
    const ip = parseIp4(parseEth(out[0])!.payload)!;
    expect([ip4Text(ip.src), ip4Text(ip.dst), ip.protocol]).toEqual(["10.0.2.2", "10.0.2.15", 1]);
    const r = parseIcmp(ip.payload)!;
    expect(r.type).toBe(0);
    expect(internetChecksum(ip.payload)).toBe(0);
    expect([...r.rest]).toEqual([...hex("beef 0003 0102030405060708")]);
    // Echo to a host outside is not answered (no NAT yet).
    net.receive(
      buildEth(USER_NET_HOST_MAC, GUEST_MAC, 0x0800, buildIp4({ protocol: 1, src, dst: ip4("8.8.8.8") }, echo)),
    );
    expect(out).toHaveLength(1);
    expect(net.dropped).toBe(1);
  });

  it("answers DNS on 10.0.2.3: host and gateway are 10.0.2.2, other names NXDOMAIN", () => {
    const { net, out } = rig();
    const src = ip4("10.0.2.15"),
      dns = ip4("10.0.2.3");
    const ask = (id: number, name: string, type = 1) =>
      net.receive(
        buildEth(
          USER_NET_HOST_MAC,
          GUEST_MAC,
          0x0800,
          buildIp4({ protocol: 17, src, dst: dns }, buildUdp(src, dns, 40000, 53, buildDnsQuery(id, name, type))),
        ),
      );
    ask(0x1234, "Host");
    const { ip, udp } = udpOf(out[0]);
    expect([ip4Text(ip.src), udp.srcPort, udp.dstPort]).toEqual(["10.0.2.3", 53, 40000]);
    const a = udp.data;
    expect(readU16(a, 0)).toBe(0x1234);
    expect(readU16(a, 2) & 0x800f).toBe(0x8000); // a response, NOERROR
    expect([readU16(a, 4), readU16(a, 6)]).toEqual([1, 1]);
    // The answer after the question (12 + 6 name bytes + 4): pointer, A, IN, TTL, 4 bytes.
    const rr = a.subarray(22);
    expect([readU16(rr, 0), readU16(rr, 2), readU16(rr, 4), readU16(rr, 10)]).toEqual([0xc00c, 1, 1, 4]);
    expect(ip4Text(readU32(rr, 12))).toBe("10.0.2.2");
    ask(7, "gateway");
    expect(ip4Text(readU32(udpOf(out[1]).udp.data, 12 + 9 + 4 + 12))).toBe("10.0.2.2");
    ask(8, "example.com");
    const nx = udpOf(out[2]).udp.data;
    expect(readU16(nx, 2) & 0x000f).toBe(3);
    expect(readU16(nx, 6)).toBe(0);
    ask(9, "host", 28); // AAAA for a known name: no error, no answer
    const aaaa = udpOf(out[3]).udp.data;
    expect([readU16(aaaa, 2) & 0x000f, readU16(aaaa, 6)]).toEqual([0, 0]);
  });

  it("queues frames for the card until its ring has room (NicLink)", () => {
    const nic = new Ne2000({ mac: Uint8Array.from(GUEST_MAC), irq: { raise() {}, lower() {} } });
    const link = new NicLink(nic, 4);
    const seen: Uint8Array[] = [];
    link.attach((f) => seen.push(f));
    nic.onTransmit(Uint8Array.of(1));
    expect(seen).toHaveLength(1);
    const frame = buildEth(GUEST_MAC, USER_NET_HOST_MAC, 0x0800, new Uint8Array(100));
    for (let i = 0; i < 6; i++) link.toNic(frame);
    expect([link.pending, link.dropped]).toEqual([4, 2]);
    expect(link.pump()).toBe(0); // the chip is stopped
    nic.par.set(GUEST_MAC);
    nic.pstart = 0x46;
    nic.pstop = 0x49; // a ring of three pages, BNRY behind CURR: room for two one-page frames
    nic.bnry = 0x48;
    nic.curr = 0x46;
    nic.cr = 0x22;
    expect(link.pump()).toBe(2);
    expect(link.pending).toBe(2);
    expect(nic.framesReceived).toBe(2);
  });
});
