// --net-allow parsing and resolving, the allow-list, and NodeHostSockets over real loopback
// sockets: a TCP stream to an allowed echo server (10.0.2.2 reaching 127.0.0.1), half-close,
// bufferedAmount, a refused destination (onError later, logged once), a refused port that
// does not listen (ECONNREFUSED), and a UDP round trip answered as from the address the
// guest sent to.
import dgram from "node:dgram";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import type { HostTcpEvents } from "@x86vm/devices";
import { ip4 } from "@x86vm/devices";
import { UsageError } from "../args.ts";
import { parseBootArgs } from "./boot.ts";
import { parseResumeArgs } from "./resume.ts";
import { parseNetAllow, resolveAllowList } from "./network.ts";
import { AllowList, NodeHostSockets } from "./node-sockets.ts";

describe("--net-allow", () => {
  it("takes HOST:PORT with a name or IPv4 address, and * for any port", () => {
    expect(parseNetAllow("10.0.2.2:8080")).toEqual({ host: "10.0.2.2", port: 8080 });
    expect(parseNetAllow("Example.COM:443")).toEqual({ host: "example.com", port: 443 });
    expect(parseNetAllow("10.0.2.2:*")).toEqual({ host: "10.0.2.2", port: "*" });
    for (const bad of ["10.0.2.2", ":80", "host:", "host:0", "host:65536", "host:http", "*:80", "[::1]:80"])
      expect(() => parseNetAllow(bad), bad).toThrow(UsageError);
  });

  it("goes with --net nat in vm boot (alone, it means --net nat)", () => {
    expect(parseBootArgs(["--kernel", "k", "--net-allow", "1.2.3.4:80"]).net).toBe("nat");
    expect(() => parseBootArgs(["--kernel", "k", "--net", "user", "--net-allow", "1.2.3.4:80"])).toThrow(
      /--net-allow needs --net nat/,
    );
    const a = parseBootArgs(["--kernel", "k", "--net", "nat", "--net-allow", "1.2.3.4:80", "--net-allow", "h:*"]);
    expect(a.net).toBe("nat");
    expect(a.netAllow).toEqual([
      { host: "1.2.3.4", port: 80 },
      { host: "h", port: "*" },
    ]);
    // vm resume: a saved card joins the user network unless --net or --net-allow says otherwise.
    expect(parseResumeArgs(["saved.snap"]).net).toBe("user");
    expect(parseResumeArgs(["saved.snap", "--net-allow", "10.0.2.2:80"])).toMatchObject({
      net: "nat",
      netAllow: [{ host: "10.0.2.2", port: 80 }],
    });
    expect(() => parseResumeArgs(["saved.snap", "--net", "none", "--net-allow", "10.0.2.2:80"])).toThrow(
      /--net-allow needs --net nat/,
    );
  });

  it("resolves names once: the guest's DNS answers them, loopback names as 10.0.2.2", async () => {
    const { allow, names } = await resolveAllowList(
      [
        { host: "web.test", port: 80 },
        { host: "local.test", port: "*" },
        { host: "10.0.2.2", port: 8000 },
      ],
      async (n) => (n === "web.test" ? ["192.0.2.10", "192.0.2.11"] : ["127.0.0.1"]),
    );
    expect(names.get("web.test")).toBe(ip4("192.0.2.10"));
    expect(names.get("local.test")).toBe(ip4("10.0.2.2"));
    expect(allow.permits("192.0.2.11", 80)).toBe(true);
    expect(allow.permits("192.0.2.11", 81)).toBe(false);
    expect(allow.permits("10.0.2.2", 12345)).toBe(true); // local.test:* is 127.0.0.1, which 10.0.2.2 is
    expect(allow.permits("10.0.2.2", 8000)).toBe(true);
    expect(allow.permits("192.0.2.99", 80)).toBe(false);
    await expect(resolveAllowList([{ host: "nowhere.test", port: 1 }], async () => [])).rejects.toThrow(
      /no IPv4 address/,
    );
  });
});

/** Events of one stream, recorded; `next` waits for the next one. */
function recorder() {
  const seen: string[] = [];
  let wake: (() => void) | null = null;
  const push = (e: string) => {
    seen.push(e);
    wake?.();
  };
  const events: HostTcpEvents = {
    onOpen: () => push("open"),
    onData: (d) => push(`data:${Buffer.from(d).toString()}`),
    onEnd: () => push("end"),
    onError: (r) => push(`error:${r}`),
  };
  const until = async (pred: (seen: string[]) => boolean) => {
    while (!pred(seen)) await new Promise<void>((r) => (wake = r));
  };
  return { seen, events, until };
}

describe("NodeHostSockets", () => {
  it("opens allowed TCP destinations (10.0.2.2 is 127.0.0.1), carries data and half-closes", async () => {
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      let got = "";
      s.on("data", (d) => (got += d.toString()));
      s.on("end", () => s.end(`echo:${got}`));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const log: string[] = [];
    const sockets = new NodeHostSockets(new AllowList([{ addrs: ["10.0.2.2"], port }]), (l) => log.push(l));
    const r = recorder();
    const stream = sockets.connectTcp("10.0.2.2", port, r.events);
    expect(r.seen).toEqual([]); // events come later
    await r.until((s) => s.includes("open"));
    stream.write(Buffer.from("abc"));
    expect(stream.bufferedAmount).toBeGreaterThanOrEqual(0);
    stream.end();
    await r.until((s) => s.includes("end"));
    expect(r.seen.join("|")).toMatch(/^open\|data:echo:abc\|end$/);
    expect(log).toEqual([]);
    server.close();
  });

  it("refuses destinations not on the list (logged once), and reports a port that does not listen", async () => {
    const log: string[] = [];
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const sockets = new NodeHostSockets(new AllowList([{ addrs: ["127.0.0.1"], port: closedPort }]), (l) =>
      log.push(l),
    );
    const a = recorder();
    sockets.connectTcp("192.0.2.1", 80, a.events);
    expect(a.seen).toEqual([]);
    await a.until((s) => s.length > 0);
    expect(a.seen).toEqual(["error:not in --net-allow"]);
    const b = recorder();
    sockets.connectTcp("192.0.2.1", 80, b.events);
    await b.until((s) => s.length > 0);
    expect(log).toEqual(["vm: --net nat: refused TCP 192.0.2.1:80 (not in --net-allow)"]);
    const c = recorder();
    sockets.connectTcp("10.0.2.2", closedPort, c.events);
    await c.until((s) => s.length > 0);
    expect(c.seen).toEqual(["error:ECONNREFUSED"]);
  });

  it("relays UDP to allowed destinations and answers as from the address the guest sent to", async () => {
    const echo = dgram.createSocket("udp4");
    echo.on("message", (m, rinfo) => echo.send(Buffer.concat([Buffer.from("re:"), m]), rinfo.port, rinfo.address));
    await new Promise<void>((r) => echo.bind(0, "127.0.0.1", r));
    const port = echo.address().port;
    const log: string[] = [];
    const sockets = new NodeHostSockets(new AllowList([{ addrs: ["127.0.0.1"], port }]), (l) => log.push(l));
    const got: string[] = [];
    let wake: () => void = () => {};
    const sock = sockets.openUdp({
      onMessage: (d, host, p) => {
        got.push(`${host}:${p}:${Buffer.from(d).toString()}`);
        wake();
      },
      onError: () => {},
    });
    sock.send(Buffer.from("no"), "192.0.2.1", 53);
    sock.send(Buffer.from("hi"), "10.0.2.2", port);
    await new Promise<void>((r) => (wake = r));
    expect(got).toEqual([`10.0.2.2:${port}:re:hi`]);
    expect(log).toEqual(["vm: --net nat: refused UDP 192.0.2.1:53 (not in --net-allow)"]);
    sock.close();
    echo.close();
  });
});
