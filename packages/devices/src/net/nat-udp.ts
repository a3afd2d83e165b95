// The user-mode network's UDP NAT: each guest socket (address, port) gets one HostSockets
// binding, opened by its first datagram; the guest's datagrams go out through it to the
// address and port they were sent to, and what comes back is handed to the guest as a
// datagram from that remote address and port. A binding idle for UDP_IDLE_NS of guest time
// (poll) is closed. Datagrams for the guest are dropped when the link has no room (UDP may
// lose them); a refused destination is the host's business (the guest hears nothing).

import type { HostSockets, HostUdpSocket } from "./host-sockets.ts";
import type { NatOutput } from "./nat-tcp.ts";
import { IP_PROTO_UDP, buildUdp, ip4, ip4Text, type Ip4, type Ip4Packet, type UdpDatagram } from "./packets.ts";

/** How long a binding lives without traffic, in guest time. */
export const UDP_IDLE_NS = 120e9;

interface Binding {
  socket: HostUdpSocket;
  lastNs: number;
}

export class UdpNat {
  private readonly bindings = new Map<string, Binding>();
  private nowNs = 0;
  /** Datagrams for the guest dropped (no room in the link, or not from an IPv4 address). */
  dropped = 0;

  constructor(
    private readonly sockets: HostSockets,
    private readonly out: NatOutput,
  ) {}

  /** Bindings open. */
  get size(): number {
    return this.bindings.size;
  }

  /** A datagram the guest sent to a remote address. */
  receive(ip: Ip4Packet, u: UdpDatagram): void {
    const key = `${ip.src}:${u.srcPort}`;
    let b = this.bindings.get(key);
    if (!b) {
      const guest = ip.src;
      const guestPort = u.srcPort;
      const socket = this.sockets.openUdp({
        onMessage: (data, host, port) => {
          let from: Ip4;
          try {
            from = ip4(host);
          } catch {
            return void this.dropped++;
          }
          if (this.out.room() <= 0) return void this.dropped++;
          this.out.sendIp(from, guest, IP_PROTO_UDP, buildUdp(from, guest, port, guestPort, data));
          const live = this.bindings.get(key);
          if (live) live.lastNs = this.nowNs;
        },
        onError: () => {},
      });
      b = { socket, lastNs: this.nowNs };
      this.bindings.set(key, b);
    }
    b.lastNs = this.nowNs;
    b.socket.send(u.data.slice(), ip4Text(ip.dst), u.dstPort);
  }

  /** Guest time moved on: closes idle bindings. */
  poll(nowNs: number): void {
    this.nowNs = nowNs;
    for (const [key, b] of this.bindings) {
      if (nowNs - b.lastNs >= UDP_IDLE_NS) {
        b.socket.close();
        this.bindings.delete(key);
      }
    }
  }
}
