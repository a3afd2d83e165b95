// Ethernet, ARP, IPv4, ICMP and UDP framing against hand-built bytes: the IPv4 header checksum
// of a known header, checksums that verify to zero, a corrupted header or datagram refused,
// fragments refused, the UDP pseudo-header checksum and its zero rule.
import { describe, expect, it } from "vitest";
import {
  buildArp,
  buildEth,
  buildIcmp,
  buildIp4,
  buildUdp,
  internetChecksum,
  ip4,
  ip4Text,
  parseArp,
  parseEth,
  parseIcmp,
  parseIp4,
  parseUdp,
} from "./packets.ts";

const hex = (s: string) =>
  Uint8Array.from(
    s
      .replace(/\s+/g, "")
      .match(/../g)!
      .map((b) => parseInt(b, 16)),
  );

describe("packet framing", () => {
  it("computes the IPv4 header checksum of a known header (192.168.0.1 -> 192.168.0.199, UDP)", () => {
    const h = hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7");
    expect(internetChecksum(h)).toBe(0xb861);
    h[10] = 0xb8;
    h[11] = 0x61;
    expect(internetChecksum(h)).toBe(0);
  });

  it("reads and writes dotted quads, refusing bad ones", () => {
    expect(ip4("10.0.2.15")).toBe(0x0a00020f);
    expect(ip4Text(0xc0a800c7)).toBe("192.168.0.199");
    expect(() => ip4("10.0.2")).toThrow(/not an IPv4 address/);
    expect(() => ip4("10.0.2.256")).toThrow(/not an IPv4 address/);
  });

  it("builds and parses an Ethernet frame", () => {
    const f = buildEth([1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12], 0x0806, Uint8Array.of(0xaa));
    expect([...f]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x06, 0xaa]);
    const e = parseEth(f)!;
    expect(e.type).toBe(0x0806);
    expect([...e.payload]).toEqual([0xaa]);
    expect(parseEth(new Uint8Array(13))).toBeNull();
  });

  it("builds and parses ARP (RFC 826 layout)", () => {
    const req = hex("0001 0800 06 04 0001 525400123456 0a00020f 000000000000 0a000202");
    const a = parseArp(req)!;
    expect(a.op).toBe(1);
    expect(ip4Text(a.senderIp)).toBe("10.0.2.15");
    expect(ip4Text(a.targetIp)).toBe("10.0.2.2");
    expect([...buildArp(a)]).toEqual([...req]);
    req[5] = 16; // an IPv6-sized protocol address
    expect(parseArp(req)).toBeNull();
  });

  it("parses IPv4 with options, and refuses a bad checksum, a short buffer and fragments", () => {
    const p = buildIp4({ protocol: 1, src: ip4("10.0.2.15"), dst: ip4("10.0.2.2"), id: 7 }, Uint8Array.of(1, 2, 3));
    expect(p.length).toBe(23);
    expect(internetChecksum(p.subarray(0, 20))).toBe(0);
    const ok = parseIp4(p)!;
    expect([ok.protocol, ok.id, ok.src, ok.dst]).toEqual([1, 7, 0x0a00020f, 0x0a000202]);
    expect([...ok.payload]).toEqual([1, 2, 3]);
    // Ethernet padding after the datagram is not payload.
    expect(parseIp4(Uint8Array.from([...p, 0, 0, 0]))!.payload.length).toBe(3);
    const bad = p.slice();
    bad[8] ^= 1;
    expect(parseIp4(bad)).toBeNull();
    expect(parseIp4(p.subarray(0, 22))).toBeNull();
    const frag = p.slice();
    frag[6] = 0x20; // more fragments
    frag[10] = frag[11] = 0;
    frag.set([0, 0], 10);
    const sum = internetChecksum(frag.subarray(0, 20));
    frag[10] = sum >> 8;
    frag[11] = sum & 0xff;
    expect(parseIp4(frag)).toBeNull();
    // A header with one option word (IHL 6).
    const opt = hex("4600 0018 0001 0000 4001 0000 0a00020f 0a000202 01010100 ab");
    const s2 = internetChecksum(opt.subarray(0, 24));
    opt[10] = s2 >> 8;
    opt[11] = s2 & 0xff;
    expect([...parseIp4(opt)!.payload]).toEqual([]);
  });

  it("checks and builds ICMP messages (checksum over the whole message)", () => {
    const echo = hex("0800 0000 1234 0001 6162 63");
    const s = internetChecksum(echo);
    echo[2] = s >> 8;
    echo[3] = s & 0xff;
    const m = parseIcmp(echo)!;
    expect([m.type, m.code]).toEqual([8, 0]);
    const reply = buildIcmp(0, 0, m.rest);
    expect(internetChecksum(reply)).toBe(0);
    expect([...reply.subarray(4)]).toEqual([0x12, 0x34, 0, 1, 0x61, 0x62, 0x63]);
    echo[6] ^= 0xff;
    expect(parseIcmp(echo)).toBeNull();
  });

  it("builds UDP with the pseudo-header checksum, accepts no checksum, refuses a bad one", () => {
    const src = ip4("10.0.2.15"),
      dst = ip4("10.0.2.3");
    const u = buildUdp(src, dst, 1024, 53, Uint8Array.of(1, 2, 3, 4, 5));
    expect([u[4], u[5]]).toEqual([0, 13]);
    // The pseudo-header sum by hand: addresses, protocol 17, length 13.
    const pseudo = hex("0a00020f 0a000203 0011 000d");
    let sum = 0;
    for (const b of [pseudo, u]) for (let i = 0; i < b.length; i += 2) sum += (b[i] << 8) | (b[i + 1] ?? 0);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(sum).toBe(0xffff);
    const d = parseUdp(u, src, dst)!;
    expect([d.srcPort, d.dstPort, ...d.data]).toEqual([1024, 53, 1, 2, 3, 4, 5]);
    expect(parseUdp(u, src, ip4("10.0.2.4"))).toBeNull(); // the pseudo-header covers the addresses
    const none = u.slice();
    none[6] = none[7] = 0;
    none[8] ^= 0xff;
    expect(parseUdp(none, src, dst)).not.toBeNull();
    expect(parseUdp(u.subarray(0, 12), src, dst)).toBeNull();
  });
});
