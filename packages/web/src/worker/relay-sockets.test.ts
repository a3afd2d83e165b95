// The page's HostSockets against the real relay of `pnpm start` (server/net-relay.ts) on the
// loopback, with the WebSocket client of server/websocket.ts standing in for the browser's.
import dgram from "node:dgram";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { HostSockets, HostTcpStream } from "@x86vm/devices";
import { NetRelay, parseAllowList } from "../../server/net-relay.ts";
import { NodeWebSocket } from "../../server/websocket.ts";
import { RELAY_CONFIG_PATH, relayUrl } from "../shared/net-relay-protocol.ts";
import { LateSockets, RelaySockets } from "./relay-sockets.ts";

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function portOf(s: net.Server | http.Server | dgram.Socket): number {
  return (s.address() as AddressInfo).port;
}

async function listen<T extends net.Server>(s: T): Promise<T> {
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  closers.push(() => new Promise<void>((r) => s.close(() => r())));
  return s;
}

/** An HTTP server on the loopback (the test's "host" web server). */
async function webServer(body: (path: string) => string | Buffer): Promise<http.Server> {
  const s = http.createServer((req, res) => {
    const b = body(req.url ?? "/");
    res.setHeader("Content-Length", b.length);
    res.end(b);
  });
  s.on("connection", (c) => closers.push(() => void c.destroy()));
  return listen(s);
}

interface Relay {
  relay: NetRelay;
  port: number;
  /** A new HostSockets for one VM. */
  sockets(origin?: string): RelaySockets;
}

/** `pnpm start`'s relay on its own HTTP server; `allow` may name the server's port as {self}. */
async function startRelay(
  allow: string,
  opts: { rate?: number; maxStreams?: number; lanRate?: number; lanMaxStreams?: number; enabled?: boolean } = {},
) {
  const server = http.createServer();
  const sockets = new Set<net.Socket>();
  server.on("connection", (c) => sockets.add(c));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = portOf(server);
  const relay = new NetRelay(
    opts.enabled === false
      ? null
      : {
          allow: parseAllowList(allow.replaceAll("{self}", String(port))),
          rateBytesPerSecond: opts.rate ?? 50_000_000,
          maxStreams: opts.maxStreams ?? 64,
          ...(opts.lanRate ? { lanRateBytesPerSecond: opts.lanRate } : {}),
          ...(opts.lanMaxStreams ? { lanMaxStreams: opts.lanMaxStreams } : {}),
        },
  );
  const info = relay.middleware();
  server.on("request", (req, res) =>
    info(req, res, () => {
      res.statusCode = 404;
      res.end();
    }),
  );
  relay.attach(server);
  const made: RelaySockets[] = [];
  closers.push(async () => {
    for (const m of made) m.close();
    for (const c of sockets) c.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const r: Relay = {
    relay,
    port,
    sockets: (origin = `http://127.0.0.1:${port}`) => {
      const s = new RelaySockets(relayUrl(`http://127.0.0.1:${port}/app/`), {
        createSocket: (url) => new NodeWebSocket(url, { origin }),
      });
      made.push(s);
      return s;
    },
  };
  return r;
}

interface Fetched {
  opened: boolean;
  text: string;
  bytes: number;
  ended: boolean;
  error: string | null;
  stream: HostTcpStream;
}

/** Connects, writes `request` (then half-closes when `end`), and collects until end or error. */
function exchange(s: HostSockets, host: string, port: number, request: string, end = false): Promise<Fetched> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const f: Fetched = { opened: false, text: "", bytes: 0, ended: false, error: null, stream: null! };
    const done = () => {
      f.text = Buffer.concat(chunks).toString("latin1");
      resolve(f);
    };
    f.stream = s.connectTcp(host, port, {
      onOpen: () => (f.opened = true),
      onData: (d) => {
        chunks.push(Buffer.from(d));
        f.bytes += d.length;
      },
      onEnd: () => {
        f.ended = true;
        done();
      },
      onError: (reason) => {
        f.error = reason;
        done();
      },
    });
    f.stream.write(new TextEncoder().encode(request));
    if (end) f.stream.end();
  });
}

const GET = "GET / HTTP/1.0\r\nHost: x\r\n\r\n";

describe("the page's HostSockets over the server's relay", () => {
  it("fetches a page from an HTTP server on 127.0.0.1 as the guest's 10.0.2.2", async () => {
    const web = await webServer((p) => `hello from the host, you asked for ${p}\n`);
    const r = await startRelay(`127.0.0.1:${portOf(web)}`);
    const s = r.sockets();
    const f = await exchange(s, "10.0.2.2", portOf(web), GET);
    expect(f.error).toBeNull();
    expect(f.opened).toBe(true);
    expect(f.ended).toBe(true);
    expect(f.text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(f.text).toContain("hello from the host, you asked for /");
    expect(s.limits).toEqual({
      rateBytesPerSecond: 50_000_000,
      maxStreams: 64,
      lanRateBytesPerSecond: 200_000_000,
      lanMaxStreams: 256,
    });
    expect(s.bytesIn).toBe(f.bytes);
  });

  it("refuses hosts and ports outside the allow-list, and the server's own port even when listed", async () => {
    const web = await webServer(() => "x");
    const other = await webServer(() => "should not be reached");
    const r = await startRelay(`127.0.0.1:${portOf(web)},127.0.0.1:{self}`);
    const s = r.sockets();
    const a = await exchange(s, "10.0.2.2", portOf(other), GET);
    expect(a.opened).toBe(false);
    expect(a.error).toBe(`10.0.2.2:${portOf(other)} is not on this server's allow-list`);
    const b = await exchange(s, "192.0.2.1", 80, GET);
    expect(b.error).toBe("192.0.2.1:80 is not on this server's allow-list");
    const c = await exchange(s, "10.0.2.2", r.port, GET);
    expect(c.error).toBe(`10.0.2.2:${r.port} is this server itself, which guests may not reach`);
    // The WebSocket stays usable after refusals.
    expect((await exchange(s, "10.0.2.2", portOf(web), GET)).text).toMatch(/200 OK/);
  });

  it("reports a refused connection (nothing listening) as an error", async () => {
    const closed = await listen(net.createServer());
    const port = portOf(closed);
    await new Promise<void>((r) => closed.close(() => r()));
    closers.pop();
    const r = await startRelay(`127.0.0.1:${port}`);
    const f = await exchange(r.sockets(), "10.0.2.2", port, "x");
    expect(f.error).toBe("connection refused (ECONNREFUSED)");
  });

  it("carries a half-close both ways", async () => {
    // An echo server that answers once its client has finished sending.
    const echo = net.createServer({ allowHalfOpen: true }, (c) => {
      const got: Buffer[] = [];
      c.on("data", (d) => got.push(d));
      c.on("end", () => c.end(Buffer.concat(got).toString().toUpperCase()));
    });
    await listen(echo);
    const r = await startRelay(`127.0.0.1:${portOf(echo)}`);
    const f = await exchange(r.sockets(), "10.0.2.2", portOf(echo), "half and half", true);
    expect(f.error).toBeNull();
    expect(f.text).toBe("HALF AND HALF");
    expect(f.ended).toBe(true);
  });

  it("holds data while a stream is paused and delivers it, in order, on resume", async () => {
    const big = Buffer.alloc(300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const src = net.createServer((c) => c.end(big));
    await listen(src);
    const r = await startRelay(`127.0.0.1:${portOf(src)}`);
    const s = r.sockets();
    const got: Buffer[] = [];
    let whilePaused = 0;
    let paused = false;
    const ended = new Promise<void>((resolve, reject) => {
      const stream = s.connectTcp("10.0.2.2", portOf(src), {
        onOpen: () => {
          stream.pause();
          paused = true;
          setTimeout(() => {
            paused = false;
            stream.resume();
          }, 300);
        },
        onData: (d) => {
          if (paused) whilePaused++;
          got.push(Buffer.from(d));
        },
        onEnd: resolve,
        onError: reject,
      });
    });
    await ended;
    expect(whilePaused).toBe(0);
    expect(Buffer.concat(got).equals(big)).toBe(true);
  });

  it("counts bytes not yet sent on to a slow remote side, and says when they are (onDrain)", async () => {
    // A remote side that reads nothing until told to.
    let reader: net.Socket | null = null;
    let received = 0;
    const sink = net.createServer((c) => {
      reader = c;
      c.pause();
      c.on("data", (d) => (received += d.length));
    });
    await listen(sink);
    const r = await startRelay(`127.0.0.1:${portOf(sink)}`);
    const s = r.sockets();
    const N = 16 * 1024 * 1024;
    let drained = 0;
    let error: string | null = null;
    const stream = s.connectTcp("10.0.2.2", portOf(sink), {
      onOpen: () => {},
      onData: () => {},
      onEnd: () => {},
      onError: (reason) => (error = reason),
      onDrain: () => drained++,
    });
    stream.write(new Uint8Array(N));
    expect(stream.bufferedAmount).toBe(N);
    await new Promise((res) => setTimeout(res, 700));
    // The kernel's buffers hold a few MiB; the rest waits in the relay.
    expect(stream.bufferedAmount).toBeGreaterThan(4 * 1024 * 1024);
    expect(drained).toBe(0);
    reader!.resume();
    const t0 = performance.now();
    while (drained === 0 && performance.now() - t0 < 20_000) await new Promise((res) => setTimeout(res, 20));
    expect(drained).toBe(1);
    expect(stream.bufferedAmount).toBe(0);
    while (received < N && performance.now() - t0 < 20_000) await new Promise((res) => setTimeout(res, 20));
    expect(received).toBe(N);
    expect(error).toBeNull();
    stream.close();
  });

  it("limits each VM's rate both ways", async () => {
    const N = 250_000;
    const src = net.createServer((c) => c.end(Buffer.alloc(N, 1)));
    let upMs = 0;
    const sink = net.createServer({ allowHalfOpen: true }, (c) => {
      let n = 0,
        t0 = 0;
      c.on("data", (d) => {
        if (n === 0) t0 = performance.now();
        n += d.length;
      });
      c.on("end", () => {
        upMs = performance.now() - t0;
        c.end(String(n));
      });
    });
    await listen(src);
    await listen(sink);
    const r = await startRelay(`127.0.0.1:${portOf(src)},127.0.0.1:${portOf(sink)}`, { rate: 100_000 });
    const s = r.sockets();
    const t0 = performance.now();
    const down = await exchange(s, "10.0.2.2", portOf(src), "");
    const downMs = performance.now() - t0;
    expect(down.bytes).toBe(N);
    // 250 kB at 100 kB/s: a 16 KiB burst goes at once, and the last read (64 KiB at most) before
    // its debt is paid: at least 1.68 s.
    expect(downMs).toBeGreaterThan(1600);
    expect(downMs).toBeLessThan(20_000);
    const up = await exchange(s, "10.0.2.2", portOf(sink), "u".repeat(N), true);
    expect(up.text).toBe(String(N));
    expect(upMs).toBeGreaterThan(1600);
  });

  it("caps the open streams per VM", async () => {
    const hold = net.createServer((c) => closers.push(() => void c.destroy()));
    await listen(hold);
    const r = await startRelay(`127.0.0.1:${portOf(hold)}`, { maxStreams: 2 });
    const s = r.sockets();
    const opened: string[] = [];
    const third = await new Promise<string>((resolve) => {
      const events = (name: string) => ({
        onOpen: () => {
          opened.push(name);
          if (opened.length === 2)
            s.connectTcp("10.0.2.2", portOf(hold), { ...events("c"), onError: (reason: string) => resolve(reason) });
        },
        onData: () => {},
        onEnd: () => {},
        onError: (reason: string) => resolve(`${name}: ${reason}`),
      });
      s.connectTcp("10.0.2.2", portOf(hold), events("a"));
      s.connectTcp("10.0.2.2", portOf(hold), events("b"));
    });
    expect(opened.sort()).toEqual(["a", "b"]);
    expect(third).toBe("too many open connections (this server allows 2 per VM)");
  });

  it("gives each VM of a connection its own rate: one VM filling its share leaves another its own", async () => {
    // Two VMs on one WebSocket (one page's LAN), 200 kB/s each, the connection 800 kB/s. vm1
    // fetches 600 kB (3 s at its rate); while it does, vm2 fetches 200 kB, which takes about 1 s
    // at its own rate (the 25 kB burst, then the rest at 200 kB/s) and about 2 s if the two
    // shared one rate.
    const BIG = 600_000;
    const SMALL = 200_000;
    const big = net.createServer((c) => c.end(Buffer.alloc(BIG, 1)));
    const small = net.createServer((c) => c.end(Buffer.alloc(SMALL, 2)));
    await listen(big);
    await listen(small);
    const r = await startRelay(`127.0.0.1:${portOf(big)},127.0.0.1:${portOf(small)}`, { rate: 200_000 });
    const s = r.sockets();
    const t0 = performance.now();
    let bigSeen = 0;
    let firstBig: () => void;
    const bigStarted = new Promise<void>((resolve) => (firstBig = resolve));
    const bigDone = new Promise<{ bytes: number; ms: number }>((resolve) => {
      s.forVm("vm1").connectTcp("10.0.2.2", portOf(big), {
        onOpen: () => {},
        onData: (d) => {
          bigSeen += d.length;
          firstBig();
        },
        onEnd: () => resolve({ bytes: bigSeen, ms: performance.now() - t0 }),
        onError: (e) => resolve({ bytes: -1, ms: 0, error: e } as never),
      });
    });
    await bigStarted;
    await new Promise((w) => setTimeout(w, 300)); // vm1's bucket is in debt by now
    const t1 = performance.now();
    const bigAtStart = bigSeen;
    const f = await exchange(s.forVm("vm2"), "10.0.2.2", portOf(small), "");
    const smallMs = performance.now() - t1;
    const bigDuring = bigSeen - bigAtStart;
    expect(f.bytes).toBe(SMALL);
    expect(smallMs).toBeGreaterThan(600); // vm2's own limit holds
    expect(smallMs).toBeLessThan(1500); // and vm1 does not take from it
    // vm1 went on at its own rate meanwhile: no more than its rate allows (plus a 64 KiB read).
    expect(bigDuring).toBeLessThan((200_000 * smallMs) / 1000 + 65_536);
    const b = await bigDone;
    expect(b.bytes).toBe(BIG);
    expect(b.ms).toBeGreaterThan(2600);
  }, 20_000);

  it("gives each VM its own rate from the page too: one VM's queued upload does not hold another's", async () => {
    // Uploads: vm1 writes 600 kB at once (it waits in the server for vm1's bucket), then vm2
    // writes 200 kB, which the remote side has in about 1 s.
    const times = new Map<string, number>();
    const sink = net.createServer({ allowHalfOpen: true }, (c) => {
      let n = 0;
      c.on("data", (d) => (n += d.length));
      c.on("end", () => {
        times.set(String(n), performance.now());
        c.end(String(n));
      });
    });
    await listen(sink);
    const r = await startRelay(`127.0.0.1:${portOf(sink)}`, { rate: 200_000 });
    const s = r.sockets();
    const t0 = performance.now();
    const bigDone = exchange(s.forVm("vm1"), "10.0.2.2", portOf(sink), "b".repeat(600_000), true);
    await new Promise((w) => setTimeout(w, 300));
    const t1 = performance.now();
    const small = await exchange(s.forVm("vm2"), "10.0.2.2", portOf(sink), "s".repeat(200_000), true);
    expect(small.text).toBe("200000");
    const smallMs = times.get("200000")! - t1;
    expect(smallMs).toBeGreaterThan(600);
    expect(smallMs).toBeLessThan(1500);
    expect((await bigDone).text).toBe("600000");
    expect(times.get("600000")! - t0).toBeGreaterThan(2600);
  }, 20_000);

  it("caps the open streams per VM and per connection", async () => {
    const hold = net.createServer((c) => closers.push(() => void c.destroy()));
    await listen(hold);
    const r = await startRelay(`127.0.0.1:${portOf(hold)}`, { maxStreams: 2, lanMaxStreams: 3 });
    const s = r.sockets();
    const open = (vm: string) =>
      new Promise<string>((resolve) =>
        s.forVm(vm).connectTcp("10.0.2.2", portOf(hold), {
          onOpen: () => resolve("open"),
          onData: () => {},
          onEnd: () => {},
          onError: resolve,
        }),
      );
    expect(await open("vm1")).toBe("open");
    expect(await open("vm1")).toBe("open");
    expect(await open("vm1")).toBe("too many open connections (this server allows 2 per VM)");
    // Another VM still has its own two, within the connection's three.
    expect(await open("vm2")).toBe("open");
    expect(await open("vm2")).toBe("too many open connections (this server allows 3 per page)");
    // A UDP binding counts as a stream.
    const udpErr = await new Promise<string>((resolve) =>
      s.openUdp({ onMessage: () => {}, onError: resolve }, "vm3").send(new Uint8Array([1]), "10.0.2.2", 9),
    );
    expect(udpErr).toBe("too many open connections (this server allows 3 per page)");
  });

  it("relays UDP datagrams to listed destinations and answers only from them", async () => {
    const echo = dgram.createSocket("udp4");
    echo.on("message", (m, rinfo) => echo.send(Buffer.concat([Buffer.from("echo:"), m]), rinfo.port, rinfo.address));
    await new Promise<void>((r) => echo.bind(0, "127.0.0.1", r));
    closers.push(() => new Promise<void>((r) => echo.close(() => r())));
    const r = await startRelay(`127.0.0.1:${portOf(echo)}`);
    const s = r.sockets();
    const got = await new Promise<{ text: string; host: string; port: number }>((resolve, reject) => {
      const u = s.openUdp({
        onMessage: (d, host, port) => resolve({ text: Buffer.from(d).toString(), host, port }),
        onError: reject,
      });
      u.send(new TextEncoder().encode("ping"), "10.0.2.2", portOf(echo));
    });
    expect(got).toEqual({ text: "echo:ping", host: "10.0.2.2", port: portOf(echo) });
    const refused = await new Promise<string>((resolve) => {
      const u = s.openUdp({ onMessage: () => resolve("answered"), onError: resolve });
      u.send(new Uint8Array([1]), "10.0.2.2", 9);
    });
    expect(refused).toBe("10.0.2.2:9 is not on this server's allow-list");
  });

  it("is refused to another site's page and when the relay is off", async () => {
    const web = await webServer(() => "x");
    const r = await startRelay(`127.0.0.1:${portOf(web)}`);
    const f = await exchange(r.sockets("http://evil.example"), "10.0.2.2", portOf(web), GET);
    expect(f.error).toMatch(/^cannot reach the network relay/);
    const off = await startRelay("", { enabled: false });
    const g = await exchange(off.sockets(), "10.0.2.2", portOf(web), GET);
    expect(g.error).toMatch(/^cannot reach the network relay/);
    const res = await fetch(`http://127.0.0.1:${off.port}${RELAY_CONFIG_PATH}`);
    const body = (await res.json()) as { enabled: boolean; reason: string };
    expect(body.enabled).toBe(false);
    expect(body.reason).toMatch(/off/);
    // The WebSocket's path without the upgrade.
    expect((await fetch(`http://127.0.0.1:${r.port}/net`)).status).toBe(426);
  });

  it("refuses everything until the relay is set, then goes through it (LateSockets)", async () => {
    const web = await webServer(() => "late but there\n");
    const r = await startRelay(`127.0.0.1:${portOf(web)}`);
    const late = new LateSockets("this LAN has no internet");
    expect((await exchange(late, "10.0.2.2", portOf(web), GET)).error).toBe("this LAN has no internet");
    const udpErr = await new Promise<string>((resolve) =>
      late.openUdp({ onMessage: () => {}, onError: resolve }).send(new Uint8Array([1]), "10.0.2.2", 53),
    );
    expect(udpErr).toBe("this LAN has no internet");
    late.set(r.sockets());
    expect(late.connected).toBe(true);
    expect((await exchange(late, "10.0.2.2", portOf(web), GET)).text).toContain("late but there");
  });

  it("derives the WebSocket URL from the page's address", () => {
    expect(relayUrl("http://127.0.0.1:4173/assets/vm-worker.js")).toBe("ws://127.0.0.1:4173/net");
    expect(relayUrl("https://vm.example/x/")).toBe("wss://vm.example/net");
  });
});
