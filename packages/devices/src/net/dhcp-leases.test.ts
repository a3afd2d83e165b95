// Several guests on one user-mode network (the page's LAN): DHCP leases by hardware address
// (10.0.2.15, .16, ...), each reply to the MAC that asked, a full pool left unanswered, and names
// the DNS server resolves through a callback.
import { describe, expect, it } from "vitest";
import { buildDnsQuery } from "./dns.ts";
import {
  buildEth,
  buildIp4,
  buildUdp,
  ip4,
  ip4Text,
  parseEth,
  parseIp4,
  parseUdp,
  readU16,
  readU32,
} from "./packets.ts";
import { DHCPACK, DHCPNAK, DHCPOFFER, DhcpLeases, dhcpType, macText, parseDhcp } from "./dhcp.ts";
import { USER_NET_HOST_MAC, UserNetwork } from "./user-net.ts";

const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const mac = (n: number) => [0x52, 0x54, 0x00, 0x00, 0x00, n];

function dhcpFrame(from: number[], type: number, opts: number[] = []): Uint8Array {
  const b = new Uint8Array(300);
  b.set([1, 1, 6, 0], 0);
  b.set([0x12, 0x34, 0x56, from[5]], 4);
  b[10] = 0x80; // broadcast flag
  b.set(from, 28);
  b.set([0x63, 0x82, 0x53, 0x63], 236);
  b.set([53, 1, type, ...opts, 255], 240);
  const udp = buildUdp(0, 0xffffffff, 68, 67, b);
  return buildEth(BCAST, from, 0x0800, buildIp4({ protocol: 17, src: 0, dst: 0xffffffff }, udp));
}

function reply(frame: Uint8Array) {
  const ip = parseIp4(parseEth(frame)!.payload)!;
  return parseDhcp(parseUdp(ip.payload, ip.src, ip.dst)!.data)!;
}

describe("DhcpLeases", () => {
  it("gives each hardware address its own address, the same one when it asks again", () => {
    const l = new DhcpLeases(ip4("10.0.2.15"), 3);
    expect(ip4Text(l.addressFor(mac(1))!)).toBe("10.0.2.15");
    expect(ip4Text(l.addressFor(mac(2))!)).toBe("10.0.2.16");
    expect(ip4Text(l.addressFor(mac(1))!)).toBe("10.0.2.15");
    expect(ip4Text(l.addressFor(mac(3))!)).toBe("10.0.2.17");
    expect(l.addressFor(mac(4))).toBeNull(); // the pool is used up
    expect(l.holderOf(ip4("10.0.2.16"))).toBe("52:54:00:00:00:02");
    expect(l.held(mac(4))).toBeNull();
    l.release(mac(2));
    expect(ip4Text(l.addressFor(mac(4))!)).toBe("10.0.2.16"); // the lowest free one
  });

  it("with one address, hands it to whoever asks (one guest whose card changed)", () => {
    const l = new DhcpLeases(ip4("10.0.2.15"), 1);
    expect(ip4Text(l.addressFor(mac(1))!)).toBe("10.0.2.15");
    expect(ip4Text(l.addressFor(mac(2))!)).toBe("10.0.2.15");
    expect(l.held(mac(1))).toBeNull();
    expect(macText(mac(2))).toBe("52:54:00:00:00:02");
    expect(() => new DhcpLeases(0, 0)).toThrow(RangeError);
    expect(() => new DhcpLeases(0, 2, { leaseSeconds: 0 })).toThrow(RangeError);
  });

  it("with a clock, lets a lease not renewed end, and gives its address to a new client only then", () => {
    let now = 0;
    const l = new DhcpLeases(ip4("10.0.2.15"), 3, { leaseSeconds: 60, now: () => now });
    expect(ip4Text(l.addressFor(mac(1))!)).toBe("10.0.2.15");
    expect(ip4Text(l.addressFor(mac(2))!)).toBe("10.0.2.16");
    const v = l.version;
    now = 59_999;
    expect(l.expired(mac(1))).toBe(false);
    expect(ip4Text(l.addressFor(mac(3))!)).toBe("10.0.2.17"); // .15 is still leased
    expect(l.addressFor(mac(4))).toBeNull();
    l.keep(mac(2)); // mac 2 is seen on the network: its lease runs from now
    now = 60_000;
    expect(l.expired(mac(1))).toBe(true);
    expect(l.expired(mac(2))).toBe(false);
    // mac 1 stopped: its address goes to the next new client, which it no longer holds.
    expect(ip4Text(l.addressFor(mac(4))!)).toBe("10.0.2.15");
    expect(l.held(mac(1))).toBeNull();
    expect(l.holderOf(ip4("10.0.2.15"))).toBe("52:54:00:00:00:04");
    expect(l.version).toBeGreaterThan(v);
    // mac 1 back: the pool is full of unexpired leases (mac 3's ends at 119,999).
    expect(l.addressFor(mac(1))).toBeNull();
    now = 120_000;
    // mac 3 expired but asks again before anyone takes its address: it keeps it.
    expect(l.expired(mac(3))).toBe(true);
    expect(ip4Text(l.addressFor(mac(3))!)).toBe("10.0.2.17");
    expect(l.expired(mac(3))).toBe(false);
    // Without a clock a lease never ends, whatever its time.
    const forever = new DhcpLeases(ip4("10.0.2.15"), 1 + 1, { leaseSeconds: 1 });
    forever.addressFor(mac(1));
    forever.addressFor(mac(2));
    expect(forever.addressFor(mac(3))).toBeNull();
  });
});

describe("the user-mode network with several guests", () => {
  it("leases .15 and .16 to two clients, each reply going to the client that asked", () => {
    const out: Uint8Array[] = [];
    const net = new UserNetwork({ send: (f) => out.push(f), leases: new DhcpLeases(ip4("10.0.2.15"), 8) });
    net.receive(dhcpFrame(mac(1), 1));
    net.receive(dhcpFrame(mac(2), 1));
    const [o1, o2] = out.map(reply);
    expect(dhcpType(o1)).toBe(DHCPOFFER);
    expect([ip4Text(o1.yiaddr), [...o1.chaddr]]).toEqual(["10.0.2.15", mac(1)]);
    expect([ip4Text(o2.yiaddr), [...o2.chaddr]]).toEqual(["10.0.2.16", mac(2)]);
    // The second asks for the first one's address: NAK; then for its own: ACK.
    net.receive(dhcpFrame(mac(2), 3, [50, 4, 10, 0, 2, 15, 54, 4, 10, 0, 2, 2]));
    expect(dhcpType(reply(out[2]))).toBe(DHCPNAK);
    net.receive(dhcpFrame(mac(2), 3, [50, 4, 10, 0, 2, 16, 54, 4, 10, 0, 2, 2]));
    const ack = reply(out[3]);
    expect(dhcpType(ack)).toBe(DHCPACK);
    expect(ip4Text(ack.yiaddr)).toBe("10.0.2.16");
    net.receive(dhcpFrame(mac(1), 3, [50, 4, 10, 0, 2, 15, 54, 4, 10, 0, 2, 2]));
    expect(ip4Text(reply(out[4]).yiaddr)).toBe("10.0.2.15");
    expect(dhcpType(reply(out[4]))).toBe(DHCPACK);
  });

  it("grants the pool's lease time (option 51)", () => {
    const out: Uint8Array[] = [];
    const leases = new DhcpLeases(ip4("10.0.2.15"), 8, { leaseSeconds: 3600, now: () => 0 });
    const net = new UserNetwork({ send: (f) => out.push(f), leases });
    net.receive(dhcpFrame(mac(1), 1));
    const o = reply(out[0]);
    expect(o.options.get(51)).toEqual(Uint8Array.of(0, 0, 0x0e, 0x10));
    // The default: a day.
    const one: Uint8Array[] = [];
    new UserNetwork({ send: (f) => one.push(f) }).receive(dhcpFrame(mac(1), 1));
    expect(reply(one[0]).options.get(51)).toEqual(Uint8Array.of(0, 1, 0x51, 0x80));
  });

  it("offers nothing when the pool is used up, and counts the request", () => {
    const out: Uint8Array[] = [];
    const net = new UserNetwork({ send: (f) => out.push(f), leases: new DhcpLeases(ip4("10.0.2.15"), 1 + 1) });
    for (const n of [1, 2, 3]) net.receive(dhcpFrame(mac(n), 1));
    expect(out).toHaveLength(2);
    expect(net.dropped).toBe(1);
  });

  it("answers DNS names from the resolve callback after its own", () => {
    const out: Uint8Array[] = [];
    const net = new UserNetwork({
      send: (f) => out.push(f),
      resolve: (n) => (n === "alpha" ? ip4("10.0.2.16") : null),
    });
    const ask = (id: number, name: string) =>
      net.receive(
        buildEth(
          USER_NET_HOST_MAC,
          mac(1),
          0x0800,
          buildIp4(
            { protocol: 17, src: ip4("10.0.2.15"), dst: ip4("10.0.2.3") },
            buildUdp(ip4("10.0.2.15"), ip4("10.0.2.3"), 4000, 53, buildDnsQuery(id, name)),
          ),
        ),
      );
    ask(1, "alpha");
    ask(2, "beta");
    ask(3, "host");
    const answers = out.map((f) => {
      const ip = parseIp4(parseEth(f)!.payload)!;
      return parseUdp(ip.payload, ip.src, ip.dst)!.data;
    });
    expect(readU16(answers[0], 2) & 15).toBe(0);
    expect(ip4Text(readU32(answers[0], answers[0].length - 4))).toBe("10.0.2.16");
    expect(readU16(answers[1], 2) & 15).toBe(3); // NXDOMAIN
    expect(ip4Text(readU32(answers[2], answers[2].length - 4))).toBe("10.0.2.2");
  });
});
