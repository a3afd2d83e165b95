// The LAN's switch and gateway against hand-built frames on frame rings: addresses learnt and
// unicast sent to one port only, broadcast and unknown destinations flooded, a full ring dropping
// and counting, a port removed forgetting its addresses, and the gateway leasing 10.0.2.15 and
// .16 by DHCP, answering ARP for 10.0.2.2 and each VM's name by DNS. And LanLink: a card's
// frames into the tx ring, the rx ring paced into an NE2000's ring, never held back forever.
import { describe, expect, it } from "vitest";
import { IrqPin, Ne2000, NicLink } from "@x86vm/devices";
import { FrameRing, MAX_RING_FRAME } from "../shared/frame-ring.ts";
import { LanSwitch, lanDnsName } from "./lan-switch.ts";
import { LanLink } from "./lan-link.ts";
import { LateSockets } from "./relay-sockets.ts";

const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const GW = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];
const mac = (n: number) => [0x52, 0x54, 0x00, 0, 0, n];

function eth(dst: number[], src: number[], type: number, payload: number[] | Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  f.set(payload, 14);
  return f;
}

function rig(n: number, ringBytes = 16384, now?: () => number) {
  const sw = new LanSwitch(now ? { now, leaseSeconds: 60 } : {});
  const woken = new Array<number>(n).fill(0);
  const ports = Array.from({ length: n }, (_, i) => {
    const tx = FrameRing.create(ringBytes),
      rx = FrameRing.create(ringBytes);
    sw.addPort({ id: `vm${i}`, name: `VM ${i}`, tx: tx.buffer, rx: rx.buffer }, () => woken[i]++);
    return { tx, rx };
  });
  const buf = new Uint8Array(MAX_RING_FRAME);
  const drain = (i: number) => {
    const out: Uint8Array[] = [];
    for (let len; (len = ports[i].rx.pop(buf)) > 0;) out.push(buf.slice(0, len));
    return out;
  };
  return { sw, ports, woken, drain };
}

/** An ARP request from `from` (10.0.2.x) for 10.0.2.`target`. */
function arpWho(from: number, target: number): Uint8Array {
  return eth(BCAST, mac(from), 0x0806, [
    0,
    1,
    8,
    0,
    6,
    4,
    0,
    1,
    ...mac(from),
    10,
    0,
    2,
    14 + from,
    0,
    0,
    0,
    0,
    0,
    0,
    10,
    0,
    2,
    target,
  ]);
}

/** The Internet checksum of b (RFC 1071). */
function checksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i] << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An IPv4/UDP frame (UDP checksum 0: none). */
function udpFrame(
  dst: number[],
  src: number[],
  ipSrc: number[],
  ipDst: number[],
  ports: [number, number],
  data: Uint8Array,
) {
  const ip = new Uint8Array(28 + data.length);
  ip.set([0x45, 0, (ip.length >> 8) & 0xff, ip.length & 0xff, 0, 0, 0, 0, 64, 17, 0, 0, ...ipSrc, ...ipDst]);
  const c = checksum(ip.subarray(0, 20));
  ip[10] = c >> 8;
  ip[11] = c & 0xff;
  const ul = 8 + data.length;
  ip.set([ports[0] >> 8, ports[0] & 0xff, ports[1] >> 8, ports[1] & 0xff, ul >> 8, ul & 0xff, 0, 0], 20);
  ip.set(data, 28);
  return eth(dst, src, 0x0800, ip);
}

/** An IPv4/TCP segment with flags ACK (and a valid checksum), no data. */
function tcpAck(dst: number[], src: number[], ipSrc: number[], ipDst: number[], ports: [number, number]) {
  const ip = new Uint8Array(40);
  ip.set([0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, ...ipSrc, ...ipDst]);
  const c = checksum(ip.subarray(0, 20));
  ip[10] = c >> 8;
  ip[11] = c & 0xff;
  const t = ip.subarray(20);
  t.set([
    ports[0] >> 8,
    ports[0] & 0xff,
    ports[1] >> 8,
    ports[1] & 0xff,
    0,
    0,
    1,
    0,
    0,
    0,
    2,
    0,
    0x50,
    0x10,
    0xff,
    0xff,
  ]);
  const pseudo = new Uint8Array(12 + 20);
  pseudo.set([...ipSrc, ...ipDst, 0, 6, 0, 20]);
  pseudo.set(t, 12);
  const tc = checksum(pseudo);
  t[16] = tc >> 8;
  t[17] = tc & 0xff;
  return eth(dst, src, 0x0800, ip);
}

/** A DHCPDISCOVER from mac(n), without the broadcast flag (the offer goes unicast). */
function dhcpDiscover(n: number): Uint8Array {
  const b = new Uint8Array(300);
  b.set([1, 1, 6, 0, 0, 0, 0, n], 0);
  b.set(mac(n), 28);
  b.set([0x63, 0x82, 0x53, 0x63, 53, 1, 1, 255], 236);
  return udpFrame(BCAST, mac(n), [0, 0, 0, 0], [255, 255, 255, 255], [68, 67], b);
}

/** A DNS query for an A record of `name`, from 10.0.2.(14 + n). */
function dnsQuery(n: number, name: string): Uint8Array {
  const labels = name.split(".").flatMap((l) => [l.length, ...[...l].map((ch) => ch.charCodeAt(0))]);
  const q = Uint8Array.from([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
  return udpFrame(GW, mac(n), [10, 0, 2, 14 + n], [10, 0, 2, 3], [4000, 53], q);
}

describe("the LAN switch", () => {
  it("floods broadcast and unknown unicast, then sends a learnt address to its port only", () => {
    const { sw, ports, woken, drain } = rig(3);
    ports[0].tx.push(eth(BCAST, mac(1), 0x88b5, [1, 2, 3]));
    expect(sw.poll()).toBe(1);
    expect(drain(0)).toHaveLength(0); // never back to where it came from
    expect(drain(1)).toHaveLength(1);
    expect(drain(2)).toHaveLength(1);
    expect(woken).toEqual([0, 1, 1]);
    // vm1 answers vm0's address (learnt): vm0 only. vm1's own is learnt now too.
    ports[1].tx.push(eth(mac(1), mac(2), 0x88b5, [4]));
    sw.poll();
    expect(drain(0).map((f) => f[14])).toEqual([4]);
    expect(drain(2)).toHaveLength(0);
    // Unknown unicast (mac 9) floods; a frame for a port's own address stays off the others.
    ports[0].tx.push(eth(mac(9), mac(1), 0x88b5, [5]));
    ports[0].tx.push(eth(mac(2), mac(1), 0x88b5, [6]));
    sw.poll();
    expect(drain(1).map((f) => f[14])).toEqual([5, 6]);
    expect(drain(2).map((f) => f[14])).toEqual([5]);
    expect(sw.flooded).toBe(2);
  });

  it("drops what does not fit a port's rx ring and counts it there", () => {
    const { sw, ports, drain } = rig(2, 4096);
    const big = new Uint8Array(1500);
    for (let i = 0; i < 4; i++) {
      expect(ports[0].tx.push(eth(mac(2), mac(1), 0x88b5, big))).toBe(true);
      sw.poll();
    }
    const c = ports[1].rx.counts();
    expect(c.frames).toBe(2); // 2 x (1514 + 2) of 4096
    expect(c.dropped).toBe(2);
    expect(drain(1)).toHaveLength(2);
  });

  it("forgets the addresses of a port taken off", () => {
    const { sw, ports, drain } = rig(3);
    ports[1].tx.push(eth(BCAST, mac(2), 0x88b5, [0]));
    sw.poll();
    drain(0);
    drain(2);
    sw.removePort("vm1");
    ports[0].tx.push(eth(mac(2), mac(1), 0x88b5, [7]));
    sw.poll();
    expect(drain(2).map((f) => f[14])).toEqual([7]); // unknown again: flooded
    expect(sw.portCount).toBe(2);
    expect(() =>
      sw.addPort({ id: "vm0", name: "x", tx: ports[0].tx.buffer, rx: ports[0].rx.buffer }, () => {}),
    ).toThrow(/already/);
  });

  it("has the gateway answer ARP for 10.0.2.2 to the asker only", () => {
    const { sw, ports, drain } = rig(2);
    ports[0].tx.push(arpWho(1, 2));
    sw.poll();
    const a = drain(0);
    expect(a).toHaveLength(1);
    expect([...a[0].subarray(0, 6)]).toEqual(mac(1));
    expect([...a[0].subarray(6, 12)]).toEqual(GW);
    expect(drain(1)).toHaveLength(1); // the request itself, flooded
    expect(sw.fromGateway).toBe(1);
    // A request for another guest's address reaches it; the gateway does not answer.
    ports[0].tx.push(arpWho(1, 16));
    sw.poll();
    expect(drain(0)).toHaveLength(0);
    expect(drain(1)).toHaveLength(1);
  });

  it("keeps the gateway (and its NAT) off unicast frames for another station, flooded or not", () => {
    // A VM's port replaced (a snapshot resumed in its place): until the new port is learnt, the
    // peer's TCP segments for it are flooded. The gateway must not answer them: its NAT would
    // reset the peer's connection as a segment for no connection of its own.
    const sw = new LanSwitch({ sockets: new LateSockets("no way out") });
    const a = { tx: FrameRing.create(16384), rx: FrameRing.create(16384) };
    const b = { tx: FrameRing.create(16384), rx: FrameRing.create(16384) };
    sw.addPort({ id: "a", name: "a", tx: a.tx.buffer, rx: a.rx.buffer }, () => {});
    sw.addPort({ id: "b", name: "b", tx: b.tx.buffer, rx: b.rx.buffer }, () => {});
    const buf = new Uint8Array(MAX_RING_FRAME);
    const count = (r: FrameRing) => {
      let n = 0;
      while (r.pop(buf) > 0) n++;
      return n;
    };
    a.tx.push(tcpAck(mac(2), mac(1), [10, 0, 2, 15], [10, 0, 2, 16], [40000, 5001]));
    sw.poll();
    expect(sw.flooded).toBe(1);
    expect(count(b.rx)).toBe(1); // the peer's new port gets it
    expect(count(a.rx)).toBe(0); // and nobody answers for the peer
    expect(sw.fromGateway).toBe(0);
    // The same segment sent to the gateway's own address is the NAT's: a reset for no connection.
    a.tx.push(tcpAck(GW, mac(1), [10, 0, 2, 15], [10, 0, 2, 16], [40000, 5001]));
    sw.poll();
    expect(count(a.rx)).toBe(1);
    expect(sw.fromGateway).toBe(1);
  });

  it("leases 10.0.2.15 and .16 to two VMs, each offer to its own port, and resolves their names", () => {
    const { sw, ports, drain } = rig(2);
    ports[0].tx.push(dhcpDiscover(1));
    ports[1].tx.push(dhcpDiscover(2));
    sw.poll();
    const offer = (f: Uint8Array) => f[12] === 8 && f[23] === 17 && f[35] === 67; // IPv4, UDP, from port 67
    const o0 = drain(0).filter(offer);
    const o1 = drain(1).filter(offer);
    expect(o0).toHaveLength(1);
    expect(o1).toHaveLength(1);
    const yiaddr = (f: Uint8Array) => [...f.subarray(42 + 16, 42 + 20)].join(".");
    expect(yiaddr(o0[0])).toBe("10.0.2.15");
    expect(yiaddr(o1[0])).toBe("10.0.2.16");
    expect(sw.leaseList()).toEqual([
      { mac: "52:54:00:00:00:01", ip: "10.0.2.15", port: "vm0" },
      { mac: "52:54:00:00:00:02", ip: "10.0.2.16", port: "vm1" },
    ]);
    expect(sw.leaseVersion).toBe(2);
    // "VM 1" is vm-1 in DNS: 10.0.2.16.
    ports[0].tx.push(dnsQuery(1, "vm-1"));
    sw.poll();
    const [answer] = drain(0);
    expect([...answer.subarray(answer.length - 4)]).toEqual([10, 0, 2, 16]);
  });

  it("says which port a frame the gateway takes came from, so the NAT's streams are counted to that VM", () => {
    const seen: (string | null)[] = [];
    const sw: LanSwitch = new LanSwitch({
      sockets: {
        connectTcp: () => {
          throw new Error("no TCP here");
        },
        openUdp: () => {
          seen.push(sw.sender);
          return { send: () => {}, close: () => {} };
        },
      },
    });
    const tx = [FrameRing.create(16384), FrameRing.create(16384)];
    tx.forEach((t, i) =>
      sw.addPort({ id: `vm${i + 1}`, name: `VM ${i + 1}`, tx: t.buffer, rx: FrameRing.create(16384).buffer }, () => {}),
    );
    /** A UDP datagram (no checksum) from 10.0.2.`from` port 5000 to 10.0.2.2 port 7, through the gateway. */
    const udp = (from: number) => {
      const ip = [0x45, 0, 0, 31, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 2, from, 10, 0, 2, 2];
      let sum = 0;
      for (let i = 0; i < 20; i += 2) sum += (ip[i] << 8) | ip[i + 1];
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
      ip[10] = (~sum >> 8) & 0xff;
      ip[11] = ~sum & 0xff;
      return eth(GW, mac(from), 0x0800, [...ip, 0x13, 0x88, 0, 7, 0, 11, 0, 0, 1, 2, 3]);
    };
    tx[1].push(udp(16));
    tx[0].push(udp(15));
    sw.poll();
    expect(seen).toEqual(["vm1", "vm2"]);
    expect(sw.sender).toBeNull();
  });

  it("keeps the lease of a VM on the switch, and gives a stopped VM's address to another after its lease", () => {
    let now = 0;
    const { sw, ports, drain } = rig(3, 16384, () => now);
    const yiaddr = (f: Uint8Array) => [...f.subarray(42 + 16, 42 + 20)].join(".");
    const offerTo = (i: number) => {
      ports[i].tx.push(dhcpDiscover(i + 1));
      sw.poll();
      const o = drain(i).filter((f) => f[12] === 8 && f[23] === 17 && f[35] === 67);
      return o.length === 1 ? yiaddr(o[0]) : null;
    };
    expect(offerTo(0)).toBe("10.0.2.15");
    expect(offerTo(1)).toBe("10.0.2.16");
    // Past the lease time, both still on the switch (their addresses learnt): both keep theirs.
    for (now = 1000; now <= 90_000; now += 1000) sw.poll();
    expect(sw.leases.expired(mac(1))).toBe(false);
    expect(sw.leases.expired(mac(2))).toBe(false);
    const v = sw.leaseVersion;
    // vm1 stops (last kept at 90 s). Its lease runs out a lease time later; then the next new
    // VM gets .16.
    sw.removePort("vm1");
    now = 149_000;
    sw.poll();
    expect(offerTo(2)).toBe("10.0.2.17");
    ports[2].tx.push(eth(BCAST, mac(4), 0x88b5, [0])); // and a VM that has not asked yet
    sw.poll();
    now = 150_000;
    sw.poll();
    expect(sw.leases.expired(mac(2))).toBe(true);
    ports[2].tx.push(dhcpDiscover(4));
    sw.poll();
    const o = drain(2).filter((f) => f[12] === 8 && f[23] === 17 && f[35] === 67);
    expect(o.map(yiaddr)).toEqual(["10.0.2.16"]);
    expect(sw.leaseList().map((l) => [l.mac, l.ip])).toEqual([
      ["52:54:00:00:00:01", "10.0.2.15"],
      ["52:54:00:00:00:03", "10.0.2.17"],
      ["52:54:00:00:00:04", "10.0.2.16"],
    ]);
    expect(sw.leaseVersion).toBeGreaterThan(v);
  });

  it("names VMs for DNS", () => {
    expect(lanDnsName("My VM (2)")).toBe("my-vm-2");
    expect(lanDnsName("linux")).toBe("linux");
  });
});

describe("LanLink", () => {
  it("puts a card's frames on tx, rings the bell, and paces rx into the card's ring", () => {
    const tx = FrameRing.create(16384),
      rx = FrameRing.create(16384);
    const bell = new SharedArrayBuffer(4);
    const link = new LanLink({ mac: mac(1), tx: tx.buffer, rx: rx.buffer, bell });
    const got: number[] = [];
    let room = 2;
    const nic = {
      onTransmit: (_f: Uint8Array) => {},
      receive: (f: Uint8Array) => {
        got.push(f[14]);
        room--;
        return true;
      },
      canReceive: () => room > 0,
    };
    link.attach(nic);
    nic.onTransmit(eth(BCAST, mac(1), 0x88b5, [1]));
    expect(tx.counts().frames).toBe(1);
    expect(new Int32Array(bell)[0]).toBe(1);
    for (let i = 0; i < 3; i++) rx.push(eth(mac(1), mac(2), 0x88b5, [10 + i]));
    expect(link.pump()).toBe(2); // the card's ring is full after two
    expect(got).toEqual([10, 11]);
    room = 5;
    expect(link.pump()).toBe(1);
    expect(got).toEqual([10, 11, 12]);
    link.detach();
    rx.push(eth(mac(1), mac(2), 0x88b5, [13]));
    expect(link.pump()).toBe(0);
  });

  it("gives the card the frames a resumed snapshot's link part kept before the ring's", () => {
    const tx = FrameRing.create(16384),
      rx = FrameRing.create(16384);
    const link = new LanLink({ mac: mac(1), tx: tx.buffer, rx: rx.buffer, bell: new SharedArrayBuffer(4) });
    const got: number[] = [];
    const nic = {
      onTransmit: (_f: Uint8Array) => {},
      receive: (f: Uint8Array) => (got.push(f[14]), true),
      canReceive: () => true,
    };
    const kept = new NicLink(nic);
    kept.toNic(eth(mac(1), mac(2), 0x88b5, [1]));
    rx.push(eth(mac(1), mac(2), 0x88b5, [2]));
    link.attach(nic, kept);
    expect(link.ready).toBe(true);
    expect(link.pump()).toBe(2);
    expect(got).toEqual([1, 2]);
    expect(link.ready).toBe(false);
  });

  it("does not leave an NE2000's full ring waiting forever when its driver acknowledged PRX (the stall)", () => {
    // What stalled transfers on the page's LAN: the pump between the parts of a time slice fell
    // between Linux's last look at CURR and its acknowledgement of PRX, filling the card's ring.
    // With nothing pending the guest never read the ring again, and the link held every frame.
    const tx = FrameRing.create(16384),
      rx = FrameRing.create(1 << 17);
    const link = new LanLink({ mac: mac(1), tx: tx.buffer, rx: rx.buffer, bell: new SharedArrayBuffer(4) });
    const irq = new IrqPin();
    const nic = new Ne2000({ mac: Uint8Array.from(mac(1)), irq });
    const [regs] = nic.ioSurface(0x300).ports;
    const out = (r: number, v: number) => regs.write8!(r, v);
    const inp = (r: number) => regs.read8!(r);
    // lib8390's set-up of an RTL8029: receive ring 4Ch-80h, BNRY 7Fh, CURR 4Ch, started.
    for (const [r, v] of [
      [0, 0x21],
      [0x0e, 0x49],
      [0x0c, 0x04],
      [0x01, 0x4c],
      [0x02, 0x80],
      [0x03, 0x7f],
      [0x07, 0xff],
      [0x0f, 0x3f],
    ])
      out(r, v);
    out(0x00, 0x61);
    for (let i = 0; i < 6; i++) out(1 + i, mac(1)[i]);
    out(0x07, 0x4c);
    out(0x00, 0x22);
    link.attach(nic);
    const big = (n: number) => eth(mac(1), mac(2), 0x88b5, new Uint8Array(1500).fill(n));
    for (let i = 0; i < 40; i++) expect(rx.push(big(i))).toBe(true);
    /** The driver takes every packet up to CURR (BNRY one page behind it). */
    const takeAll = () => {
      out(0x00, 0x62);
      const curr = inp(0x07);
      out(0x00, 0x22);
      out(0x03, curr === 0x4c ? 0x7f : curr - 1);
    };
    expect(link.pump()).toBe(8); // 52 pages, six a frame
    takeAll();
    expect(link.pump()).toBe(8); // the race: frames arrive before the driver's acknowledgement
    out(0x07, 0x05);
    expect(irq.level).toBe(false);
    // Held back, the frame would wait forever (the guest idles, nothing raises PRX): it is
    // handed over, overflows the ring, and the guest is told.
    expect(link.ready).toBe(true);
    expect(link.pump()).toBe(1);
    expect(nic.framesLost).toBe(1);
    expect(irq.level).toBe(true);
    expect(inp(0x07) & 0x10).toBe(0x10);
    expect(link.pump()).toBe(0); // the overflow pending: the rest waits for the driver
    // The driver's overflow recovery empties the ring; the rest of the frames follow.
    let taken = 17;
    for (let round = 0; round < 10 && taken < 40; round++) {
      takeAll();
      out(0x07, 0x15);
      taken += link.pump();
    }
    expect(taken).toBe(40);
    expect(rx.empty).toBe(true);
  });
});
