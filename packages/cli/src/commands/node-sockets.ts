// HostSockets over Node's sockets (net.Socket for TCP, dgram for UDP), for `--net nat`: the
// NAT in the user network (devices/net/nat.ts) asks here for each destination the guest
// reaches, and only those on the allow-list (--net-allow) are opened.
//
//  - 10.0.2.2 (the gateway, as the guest sees this host) is this host's 127.0.0.1.
//  - A destination not on the list is refused: TCP gets onError (the guest sees a RST, its
//    connect() "connection refused"); a UDP datagram is dropped. Each refused destination is
//    logged once.
//  - Events come from the event loop, never inside the call that caused them. close() resets
//    the connection (RST) where Node can, and no event follows it.
//  - A UDP binding delivers only datagrams from an address and port it has sent to (as a
//    NAT that filters by endpoint).

import dgram from "node:dgram";
import net from "node:net";
import type { HostSockets, HostTcpEvents, HostTcpStream, HostUdpEvents, HostUdpSocket } from "@x86vm/devices";

/** A --net-allow entry as given: a name or an IPv4 address, and a port or any port. */
export interface AllowEntry {
  host: string;
  port: number | "*";
}

const GATEWAY = "10.0.2.2";
const LOOPBACK = "127.0.0.1";

/** The destinations the guest may reach: IPv4 addresses (names already resolved) and ports. */
export class AllowList {
  constructor(private readonly entries: readonly { addrs: readonly string[]; port: number | "*" }[]) {}

  /** Whether the guest may reach `host:port` (host as the guest dialled it). */
  permits(host: string, port: number): boolean {
    const want = host === GATEWAY ? LOOPBACK : host;
    return this.entries.some(
      (e) => (e.port === "*" || e.port === port) && e.addrs.some((a) => (a === GATEWAY ? LOOPBACK : a) === want),
    );
  }
}

/** Where a guest's destination goes on this host. */
function hostAddress(host: string): string {
  return host === GATEWAY ? LOOPBACK : host;
}

export class NodeHostSockets implements HostSockets {
  private readonly logged = new Set<string>();

  constructor(
    private readonly allow: AllowList,
    private readonly log: (line: string) => void,
  ) {}

  private refuse(proto: string, host: string, port: number): void {
    const key = `${proto} ${host}:${port}`;
    if (this.logged.has(key)) return;
    this.logged.add(key);
    this.log(`vm: --net nat: refused ${key} (not in --net-allow)`);
  }

  connectTcp(host: string, port: number, events: HostTcpEvents): HostTcpStream {
    let dead = false;
    if (!this.allow.permits(host, port)) {
      this.refuse("TCP", host, port);
      setImmediate(() => {
        if (!dead) events.onError("not in --net-allow");
      });
      return {
        write() {},
        end() {},
        close: () => void (dead = true),
        pause() {},
        resume() {},
      };
    }
    const socket = net.connect({ host: hostAddress(host), port, allowHalfOpen: true });
    socket.setNoDelay(true);
    socket.on("connect", () => !dead && events.onOpen());
    socket.on("data", (b: Buffer) => !dead && events.onData(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    socket.on("end", () => !dead && events.onEnd());
    socket.on("drain", () => !dead && events.onDrain?.());
    socket.on("error", (e: NodeJS.ErrnoException) => {
      if (dead) return;
      dead = true;
      events.onError(e.code ?? e.message);
    });
    return {
      write: (d) => {
        if (!dead) socket.write(d);
      },
      end: () => {
        if (!dead) socket.end();
      },
      close: () => {
        dead = true;
        if (socket.connecting || socket.destroyed) socket.destroy();
        else socket.resetAndDestroy();
      },
      pause: () => void socket.pause(),
      resume: () => void socket.resume(),
      get bufferedAmount() {
        return socket.writableLength;
      },
    };
  }

  openUdp(events: HostUdpEvents): HostUdpSocket {
    const socket = dgram.createSocket("udp4");
    /** Remote endpoints sent to, as this host sees them ("127.0.0.1:53"), and as the guest does. */
    const peers = new Map<string, string>();
    let closed = false;
    socket.on("message", (msg, rinfo) => {
      const guestHost = peers.get(`${rinfo.address}:${rinfo.port}`);
      if (closed || guestHost === undefined) return;
      events.onMessage(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), guestHost, rinfo.port);
    });
    socket.on("error", (e: NodeJS.ErrnoException) => !closed && events.onError(e.code ?? e.message));
    return {
      send: (data, host, port) => {
        if (closed) return;
        if (!this.allow.permits(host, port)) return this.refuse("UDP", host, port);
        const to = hostAddress(host);
        peers.set(`${to}:${port}`, host);
        socket.send(data, port, to);
      },
      close: () => {
        if (closed) return;
        closed = true;
        socket.close();
      },
    };
  }
}
