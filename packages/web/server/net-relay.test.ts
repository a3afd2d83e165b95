import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_STREAMS,
  DEFAULT_RATE,
  NetRelay,
  RelayConfigError,
  TokenBucket,
  isLocalAddress,
  lanLimits,
  parseAllowList,
  parseRate,
  relayConfigFromEnv,
  type RelayConfig,
} from "./net-relay.ts";

const names: Record<string, string[]> = {
  "printer.lan": ["192.168.1.50"],
  localhost: ["127.0.0.1"],
  "example.org": ["93.184.215.14", "93.184.215.15"],
};
const resolve = async (name: string) => {
  const a = names[name];
  if (!a) throw new Error(`getaddrinfo ENOTFOUND ${name}`);
  return a;
};

function config(allow: string): RelayConfig {
  return { allow: parseAllowList(allow), rateBytesPerSecond: DEFAULT_RATE, maxStreams: DEFAULT_MAX_STREAMS };
}

describe("relay configuration", () => {
  it("parses host:port and host:low-high entries", () => {
    expect(parseAllowList(" 127.0.0.1:8080, Example.ORG:80 ,printer.lan:6000-6010")).toEqual([
      { host: "127.0.0.1", low: 8080, high: 8080 },
      { host: "example.org", low: 80, high: 80 },
      { host: "printer.lan", low: 6000, high: 6010 },
    ]);
  });

  it("refuses bad entries with the entry named", () => {
    expect(() => parseAllowList("example.org")).toThrow(/"example.org" is not host:port/);
    expect(() => parseAllowList("example.org:0")).toThrow(/port 0 is not 1-65535/);
    expect(() => parseAllowList("example.org:99999")).toThrow(/not 1-65535/);
    expect(() => parseAllowList("bad_name!:80")).toThrow(/not an IPv4 address or host name/);
    expect(() => parseAllowList("a.b:90-80")).toThrow(/empty port range/);
    expect(() => parseAllowList("a.b:*")).toThrow(RelayConfigError);
  });

  it("parses rates with unit suffixes", () => {
    expect(parseRate("1000000")).toBe(1_000_000);
    expect(parseRate("500k")).toBe(500_000);
    expect(parseRate("2MB/s")).toBe(2_000_000);
    expect(parseRate("1Mi")).toBe(1_048_576);
    expect(parseRate(65536)).toBe(65536);
    expect(() => parseRate("fast")).toThrow(/not a number of bytes per second/);
    expect(() => parseRate("10")).toThrow(/1024 or more/);
  });

  it("is off without an allow-list, and reads the variables and the JSON file", () => {
    expect(relayConfigFromEnv({})).toBeNull();
    expect(relayConfigFromEnv({ X86VM_NET_RATE: "1M" })).toBeNull();
    expect(relayConfigFromEnv({ X86VM_NET_ALLOW: "127.0.0.1:8080", X86VM_NET_RATE: "250k" })).toEqual({
      allow: [{ host: "127.0.0.1", low: 8080, high: 8080 }],
      rateBytesPerSecond: 250_000,
      maxStreams: DEFAULT_MAX_STREAMS,
    });
    const file = JSON.stringify({ allow: ["example.org:443"], rate: "2M", maxStreams: 8 });
    const read = (p: string) => {
      if (p !== "/etc/relay.json") throw new Error("ENOENT");
      return file;
    };
    expect(relayConfigFromEnv({ X86VM_NET_CONFIG: "/etc/relay.json" }, read)).toEqual({
      allow: [{ host: "example.org", low: 443, high: 443 }],
      rateBytesPerSecond: 2_000_000,
      maxStreams: 8,
    });
    // A variable overrides the file's field.
    expect(
      relayConfigFromEnv({ X86VM_NET_CONFIG: "/etc/relay.json", X86VM_NET_MAX_STREAMS: "3" }, read)?.maxStreams,
    ).toBe(3);
    expect(() => relayConfigFromEnv({ X86VM_NET_CONFIG: "/nope.json" }, read)).toThrow(/cannot read X86VM_NET_CONFIG/);
    expect(() => relayConfigFromEnv({ X86VM_NET_CONFIG: "/x" }, () => "{")).toThrow(/is not JSON/);
    expect(() => relayConfigFromEnv({ X86VM_NET_CONFIG: "/x" }, () => '{"allow": [80]}')).toThrow(
      /list of "host:port"/,
    );
    expect(() => relayConfigFromEnv({ X86VM_NET_ALLOW: "a.b:1", X86VM_NET_MAX_STREAMS: "0" })).toThrow(/maxStreams/);
  });

  it("reads the connection's limits (a page's LAN, all its VMs), by default four VMs' worth", () => {
    const base = { X86VM_NET_ALLOW: "a.b:1", X86VM_NET_RATE: "100k", X86VM_NET_MAX_STREAMS: "10" };
    const c = relayConfigFromEnv(base)!;
    expect(c.lanRateBytesPerSecond).toBeUndefined();
    expect(lanLimits(c)).toEqual({ rate: 400_000, maxStreams: 40 });
    const set = relayConfigFromEnv({ ...base, X86VM_NET_LAN_RATE: "250k", X86VM_NET_LAN_MAX_STREAMS: "12" })!;
    expect(lanLimits(set)).toEqual({ rate: 250_000, maxStreams: 12 });
    const file = JSON.stringify({ allow: ["a.b:1"], lanRate: "2M", lanMaxStreams: 99 });
    expect(lanLimits(relayConfigFromEnv({ X86VM_NET_CONFIG: "/f" }, () => file)!)).toEqual({
      rate: 2_000_000,
      maxStreams: 99,
    });
    expect(() => relayConfigFromEnv({ ...base, X86VM_NET_LAN_MAX_STREAMS: "x" })).toThrow(/lanMaxStreams "x"/);
    expect(() => relayConfigFromEnv({ ...base, X86VM_NET_LAN_RATE: "slow" })).toThrow(/rate "slow"/);
  });

  it("says in /net/config whether it is on, and why not", async () => {
    const on = new NetRelay(config("127.0.0.1:8080,example.org:80-81"));
    expect(on.info).toEqual({
      enabled: true,
      allow: ["127.0.0.1:8080", "example.org:80-81"],
      rateBytesPerSecond: DEFAULT_RATE,
      maxStreams: DEFAULT_MAX_STREAMS,
      lanRateBytesPerSecond: 4 * DEFAULT_RATE,
      lanMaxStreams: 4 * DEFAULT_MAX_STREAMS,
    });
    const off = new NetRelay(null);
    expect(off.info.enabled).toBe(false);
    expect(off.info.reason).toMatch(/X86VM_NET_ALLOW/);
  });
});

describe("relay allow-list", () => {
  let server: http.Server | null = null;
  afterEach(async () => {
    if (server) await new Promise((r) => server!.close(r));
    server = null;
  });

  it("maps 10.0.2.2 to the loopback only on the ports listed for it", async () => {
    const relay = new NetRelay(config("127.0.0.1:8080,host:9000,localhost:7000,10.0.2.2:6000"), { resolve });
    await expect(relay.check("10.0.2.2", 8080)).resolves.toBe("127.0.0.1");
    await expect(relay.check("10.0.2.2", 9000)).resolves.toBe("127.0.0.1");
    await expect(relay.check("10.0.2.2", 7000)).resolves.toBe("127.0.0.1");
    await expect(relay.check("10.0.2.2", 6000)).resolves.toBe("127.0.0.1");
    await expect(relay.check("10.0.2.2", 8081)).rejects.toThrow("10.0.2.2:8081 is not on this server's allow-list");
    await expect(relay.check("10.0.2.2", 0)).rejects.toThrow(/bad port/);
  });

  it("allows an address listed, or one a listed name resolves to, on the listed port", async () => {
    const relay = new NetRelay(config("192.0.2.7:25,printer.lan:631,example.org:80"), { resolve });
    await expect(relay.check("192.0.2.7", 25)).resolves.toBe("192.0.2.7");
    await expect(relay.check("192.0.2.7", 26)).rejects.toThrow(/not on this server's allow-list/);
    await expect(relay.check("192.168.1.50", 631)).resolves.toBe("192.168.1.50");
    await expect(relay.check("192.168.1.51", 631)).rejects.toThrow(/not on/);
    await expect(relay.check("93.184.215.15", 80)).resolves.toBe("93.184.215.15");
    await expect(relay.check("93.184.215.15", 443)).rejects.toThrow(/not on/);
    // A listed name asked by name connects to the address it resolved to.
    await expect(relay.check("Example.org", 80)).resolves.toBe("93.184.215.14");
    await expect(relay.check("other.org", 80)).rejects.toThrow(/not on/);
    // The guest's 10.0.2.2 is not a way to the loopback unless the loopback is listed.
    await expect(relay.check("10.0.2.2", 80)).rejects.toThrow(/not on/);
  });

  it("says when a listed name does not resolve", async () => {
    const relay = new NetRelay(config("gone.example:80"), { resolve });
    await expect(relay.check("gone.example", 80)).rejects.toThrow(/gone.example does not resolve: .*ENOTFOUND/);
  });

  it("refuses the server's own port on any local address, even when listed", async () => {
    server = http.createServer();
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const relay = new NetRelay(config(`127.0.0.1:${port},localhost:${port},0.0.0.0:${port}`), { resolve });
    relay.attach(server);
    await expect(relay.check("10.0.2.2", port)).rejects.toThrow(/is this server itself/);
    await expect(relay.check("127.0.0.1", port)).rejects.toThrow(/is this server itself/);
    await expect(relay.check("0.0.0.0", port)).rejects.toThrow(/is this server itself/);
    await expect(relay.check("localhost", port)).rejects.toThrow(/is this server itself/);
  });

  it("counts 0.0.0.0/8, the loopback and the interfaces as local", () => {
    expect(isLocalAddress("127.0.0.1")).toBe(true);
    expect(isLocalAddress("127.9.9.9")).toBe(true);
    expect(isLocalAddress("0.0.0.0")).toBe(true);
    expect(isLocalAddress("192.0.2.1")).toBe(false);
  });
});

describe("token bucket", () => {
  it("lets a burst through, then owes time at the rate", () => {
    const b = new TokenBucket(100_000, 0);
    expect(b.burst).toBe(16384);
    expect(b.take(16384, 0)).toBe(0);
    expect(b.take(10_000, 0)).toBe(100); // 10 kB at 100 kB/s
    expect(b.take(0, 100)).toBe(0); // paid off
    expect(b.take(50_000, 1100)).toBe(337); // refilled to the burst only: (50000 - 16384) / 100
  });
});
