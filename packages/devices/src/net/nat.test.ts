// The user network's NAT against hand-built frames from a guest and a fake HostSockets: the
// TCP handshake (and a refused connect), data both ways within the guest's MSS and window, the
// host paused and resumed by the send buffer, room in the link, FIN both ways and half-close,
// repeated and out-of-order segments, fast retransmit of one segment after duplicate ACKs and
// partial ACKs, retransmission on the timer with slow start,
// RSTs, our advertised window, and a UDP round trip.
import { describe, expect, it } from "vitest";
import type { HostTcpEvents, HostTcpStream, HostUdpEvents, HostSockets } from "./host-sockets.ts";
import {
  NAT_MSS,
  PAUSE_BYTES,
  RESUME_BYTES,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  buildTcp,
  parseTcp,
  type TcpSegment,
} from "./nat-tcp.ts";
import {
  ETHERTYPE_IPV4,
  IP_PROTO_TCP,
  IP_PROTO_UDP,
  buildEth,
  buildIp4,
  buildUdp,
  ip4,
  parseEth,
  parseIp4,
  parseUdp,
} from "./packets.ts";
import { USER_NET_HOST_MAC, USER_NET_GUEST, UserNetwork } from "./user-net.ts";

const GUEST_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const REMOTE = ip4("93.184.216.34");
const GPORT = 40000;
const GISS = 0x10000000;

class FakeStream implements HostTcpStream {
  writes: Uint8Array[] = [];
  ended = false;
  closed = false;
  paused = false;
  bufferedAmount = 0;
  constructor(
    readonly host: string,
    readonly port: number,
    readonly events: HostTcpEvents,
  ) {}
  write(d: Uint8Array): void {
    this.writes.push(d);
  }
  end(): void {
    this.ended = true;
  }
  close(): void {
    this.closed = true;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  get written(): string {
    return this.writes.map((w) => String.fromCharCode(...w)).join("");
  }
}

function rig() {
  const out: Uint8Array[] = [];
  const streams: FakeStream[] = [];
  const udp: { events: HostUdpEvents; sent: [string, string, number][]; closed: boolean }[] = [];
  const link = { room: Infinity };
  const sockets: HostSockets = {
    connectTcp(host, port, events) {
      const s = new FakeStream(host, port, events);
      streams.push(s);
      return s;
    },
    openUdp(events) {
      const b = { events, sent: [] as [string, string, number][], closed: false };
      udp.push(b);
      return {
        send: (d, host, port) => b.sent.push([String.fromCharCode(...d), host, port]),
        close: () => void (b.closed = true),
      };
    },
  };
  const net = new UserNetwork({ send: (f) => out.push(f), sockets, room: () => link.room - out.length });
  /** Sends a segment from the guest to REMOTE:port. */
  const tcp = (
    s: { seq: number; ack?: number; flags: number; window?: number; mss?: number },
    data = "",
    port = 80,
    dst = REMOTE,
  ) => {
    const seg = buildTcp(
      USER_NET_GUEST,
      dst,
      { srcPort: GPORT, dstPort: port, ack: 0, window: 65535, ...s },
      Uint8Array.from(data, (c) => c.charCodeAt(0)),
    );
    net.receive(
      buildEth(
        USER_NET_HOST_MAC,
        GUEST_MAC,
        ETHERTYPE_IPV4,
        buildIp4({ protocol: IP_PROTO_TCP, src: USER_NET_GUEST, dst }, seg),
      ),
    );
  };
  /** The TCP segments sent to the guest since the last call (checksums checked by parseTcp). */
  const segs = (): (TcpSegment & { text: string })[] => {
    const r = out.splice(0).map((f) => {
      const e = parseEth(f)!;
      expect([...e.dst]).toEqual(GUEST_MAC);
      const ip = parseIp4(e.payload)!;
      expect(ip.protocol).toBe(IP_PROTO_TCP);
      expect(ip.dst).toBe(USER_NET_GUEST);
      const s = parseTcp(ip.payload, ip.src, ip.dst);
      expect(s, "a valid TCP checksum").not.toBeNull();
      expect(s!.dstPort).toBe(GPORT);
      return { ...s!, text: String.fromCharCode(...s!.data) };
    });
    return r;
  };
  return { net, out, streams, udp, link, tcp, segs };
}

/** A rig with a connection open: the guest's SYN (MSS 1000), the host's open, the SYN-ACK, the guest's ACK. */
function open(window = 65535) {
  const r = rig();
  r.tcp({ seq: GISS, flags: TCP_SYN, mss: 1000 });
  r.tcp({ seq: GISS, flags: TCP_SYN, mss: 1000 }); // a retransmission while the host connects
  expect(r.streams).toHaveLength(1);
  r.streams[0].events.onOpen();
  const [synAck] = r.segs();
  const iss = synAck.seq;
  r.tcp({ seq: GISS + 1, ack: iss + 1, flags: TCP_ACK, window });
  expect(r.segs()).toEqual([]);
  return { ...r, s: r.streams[0], iss, gseq: GISS + 1 };
}

const bytes = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

describe("TCP NAT", () => {
  it("answers the SYN with a SYN-ACK only once the host stream is open", () => {
    const r = rig();
    r.tcp({ seq: GISS, flags: TCP_SYN, mss: 1200 });
    expect(r.streams).toHaveLength(1);
    expect(r.streams[0].host).toBe("93.184.216.34");
    expect(r.streams[0].port).toBe(80);
    expect(r.segs()).toEqual([]); // nothing until the host connects
    r.tcp({ seq: GISS, flags: TCP_SYN, mss: 1200 });
    expect(r.streams).toHaveLength(1);
    r.streams[0].events.onOpen();
    const [sa, ...rest] = r.segs();
    expect(rest).toEqual([]);
    expect(sa.flags).toBe(TCP_SYN | TCP_ACK);
    expect(sa.ack).toBe(GISS + 1);
    expect(sa.mss).toBe(NAT_MSS);
    expect(sa.srcPort).toBe(80);
    // The SYN-ACK was lost: the guest's SYN again gets it again.
    r.tcp({ seq: GISS, flags: TCP_SYN, mss: 1200 });
    const [again] = r.segs();
    expect(again.flags).toBe(TCP_SYN | TCP_ACK);
    expect(again.seq).toBe(sa.seq);
    expect(r.net.nat!.tcp.size).toBe(1);
  });

  it("sends a RST+ACK for a refused connection and forgets it", () => {
    const r = rig();
    r.tcp({ seq: GISS, flags: TCP_SYN }, "", 81);
    r.streams[0].events.onError("not allowed");
    const [rst] = r.segs();
    expect(rst.flags).toBe(TCP_RST | TCP_ACK);
    expect(rst.ack).toBe(GISS + 1);
    expect(rst.srcPort).toBe(81);
    expect(r.net.nat!.tcp.size).toBe(0);
  });

  it("resets TCP to the DNS server's address without asking the host", () => {
    const r = rig();
    r.tcp({ seq: GISS, flags: TCP_SYN }, "", 53, ip4("10.0.2.3"));
    expect(r.streams).toHaveLength(0);
    const out = r.out.splice(0);
    expect(out).toHaveLength(1);
    const ip = parseIp4(parseEth(out[0])!.payload)!;
    expect(parseTcp(ip.payload, ip.src, ip.dst)!.flags).toBe(TCP_RST | TCP_ACK);
  });

  it("connects to 10.0.2.2 through the host (the host maps it to its loopback)", () => {
    const r = rig();
    r.tcp({ seq: GISS, flags: TCP_SYN }, "", 8080, ip4("10.0.2.2"));
    expect(r.streams.map((s) => `${s.host}:${s.port}`)).toEqual(["10.0.2.2:8080"]);
  });

  it("answers a segment of no connection with a RST", () => {
    const r = rig();
    r.tcp({ seq: 5, ack: 1234, flags: TCP_ACK }, "x");
    const [rst] = r.segs();
    expect(rst.flags).toBe(TCP_RST);
    expect(rst.seq).toBe(1234);
    r.tcp({ seq: 5, ack: 1234, flags: TCP_RST });
    expect(r.segs()).toEqual([]);
  });

  it("carries data both ways in segments of the guest's MSS, each guest segment acknowledged", () => {
    const r = open();
    r.tcp({ seq: r.gseq, ack: r.iss + 1, flags: TCP_ACK | TCP_PSH }, "GET / HTTP/1.0\r\n\r\n");
    expect(r.s.written).toBe("GET / HTTP/1.0\r\n\r\n");
    const [ack] = r.segs();
    expect(ack.flags).toBe(TCP_ACK);
    expect(ack.ack).toBe(r.gseq + 18);
    expect(ack.data.length).toBe(0);
    r.s.events.onData(bytes(2500));
    const data = r.segs();
    expect(data.map((s) => s.data.length)).toEqual([1000, 1000, 500]);
    expect(data.map((s) => s.seq - r.iss - 1)).toEqual([0, 1000, 2000]);
    expect(data[2].flags).toBe(TCP_ACK | TCP_PSH);
    expect(data[0].flags).toBe(TCP_ACK);
    expect(data.every((s) => s.ack === r.gseq + 18)).toBe(true);
    expect(Array.from(data[1].data.subarray(0, 3))).toEqual([1000 & 0xff, 1001 & 0xff, 1002 & 0xff]);
  });

  it("keeps within the guest's window and goes on when it opens", () => {
    const r = open(2500);
    r.s.events.onData(bytes(6000));
    let s = r.segs();
    expect(s.map((x) => x.data.length)).toEqual([1000, 1000, 500]);
    // The guest has read nothing yet: it acks all with a window of 0.
    r.tcp({ seq: r.gseq, ack: r.iss + 1 + 2500, flags: TCP_ACK, window: 0 });
    expect(r.segs()).toEqual([]);
    // Its application reads: a window update.
    r.tcp({ seq: r.gseq, ack: r.iss + 1 + 2500, flags: TCP_ACK, window: 1500 });
    s = r.segs();
    expect(s.map((x) => [x.seq - r.iss - 1, x.data.length])).toEqual([
      [2500, 1000],
      [3500, 500],
    ]);
  });

  it("probes a zero window on the timer", () => {
    const r = open(1000);
    r.s.events.onData(bytes(3000));
    expect(r.segs()).toHaveLength(1);
    r.tcp({ seq: r.gseq, ack: r.iss + 1001, flags: TCP_ACK, window: 0 });
    r.net.poll(0.5e9);
    expect(r.segs()).toEqual([]);
    r.net.poll(1.1e9);
    const [probe] = r.segs();
    expect(probe.data.length).toBe(0);
    expect(probe.seq).toBe(r.iss + 1000); // an old sequence number: the guest answers with its window
  });

  it("pauses the host stream while the send buffer is full and resumes it as the guest acknowledges", () => {
    const r = open(65535);
    r.s.events.onData(bytes(PAUSE_BYTES));
    expect(r.s.paused).toBe(true);
    const first = r.segs();
    const sent = first.reduce((n, x) => n + x.data.length, 0);
    expect(sent).toBeLessThanOrEqual(65535);
    expect(sent).toBeGreaterThan(60000);
    // Acknowledging what was sent leaves more than RESUME_BYTES buffered: still paused.
    r.tcp({ seq: r.gseq, ack: r.iss + 1 + sent, flags: TCP_ACK, window: 65535 });
    expect(r.s.paused).toBe(PAUSE_BYTES - sent >= RESUME_BYTES);
    const second = r.segs();
    const sent2 = second.reduce((n, x) => n + x.data.length, 0);
    r.tcp({ seq: r.gseq, ack: r.iss + 1 + sent + sent2, flags: TCP_ACK, window: 65535 });
    expect(r.s.paused).toBe(false);
  });

  it("holds data back while the link towards the card has no room, and sends it on poll", () => {
    const r = open();
    r.link.room = 16;
    r.s.events.onData(bytes(3000));
    expect(r.segs()).toEqual([]);
    r.link.room = 18;
    r.net.poll(1);
    expect(r.segs().map((s) => s.data.length)).toEqual([1000, 1000]);
    r.link.room = 100;
    r.net.poll(2);
    expect(r.segs().map((s) => s.data.length)).toEqual([1000]);
  });

  it("takes in-order data only: drops a segment ahead, trims a repeated one", () => {
    const r = open();
    const a = r.gseq;
    r.tcp({ seq: a + 5, ack: r.iss + 1, flags: TCP_ACK }, "fghij");
    expect(r.s.written).toBe("");
    let [dup] = r.segs();
    expect(dup.ack).toBe(a); // what is missing
    r.tcp({ seq: a, ack: r.iss + 1, flags: TCP_ACK }, "abcde");
    expect(r.s.written).toBe("abcde");
    r.tcp({ seq: a + 3, ack: r.iss + 1, flags: TCP_ACK }, "defghij"); // overlaps
    expect(r.s.written).toBe("abcdefghij");
    r.tcp({ seq: a, ack: r.iss + 1, flags: TCP_ACK }, "abcde"); // all old
    expect(r.s.written).toBe("abcdefghij");
    const acks = r.segs();
    expect(acks.map((s) => s.ack - a)).toEqual([5, 10, 10]);
    [dup] = acks.slice(-1);
    expect(dup.flags).toBe(TCP_ACK);
  });

  it("sends the missing segment again after three duplicate ACKs, the next one on a partial ACK", () => {
    const r = open();
    r.s.events.onData(bytes(5000));
    expect(r.segs()).toHaveLength(5);
    // The first and third segments were lost: the guest acks nothing new for each of the others.
    for (let i = 0; i < 3; i++) r.tcp({ seq: r.gseq, ack: r.iss + 1, flags: TCP_ACK });
    const again = r.segs();
    expect(again.map((s) => [s.seq - r.iss - 1, s.data.length])).toEqual([[0, 1000]]);
    expect(Array.from(again[0].data.subarray(0, 2))).toEqual([0, 1]);
    // More duplicates (for segments sent before the retransmission) send nothing more.
    for (let i = 0; i < 20; i++) r.tcp({ seq: r.gseq, ack: r.iss + 1, flags: TCP_ACK });
    expect(r.segs()).toEqual([]);
    // The retransmission filled the first hole: a partial ACK, and the second hole goes at once.
    r.tcp({ seq: r.gseq, ack: r.iss + 1 + 2000, flags: TCP_ACK });
    expect(r.segs().map((s) => s.seq - r.iss - 1)).toEqual([2000]);
    // Everything acknowledged: out of recovery, new data flows as before.
    r.tcp({ seq: r.gseq, ack: r.iss + 1 + 5000, flags: TCP_ACK });
    expect(r.segs()).toEqual([]);
    r.s.events.onData(bytes(3000));
    expect(r.segs()).toHaveLength(3);
  });

  it("sends again from SND.UNA on the retransmission timer: one segment, then more per ACK", () => {
    const r = open();
    r.s.events.onData(bytes(6000));
    expect(r.segs()).toHaveLength(6);
    r.net.poll(0.9e9);
    expect(r.segs()).toEqual([]);
    r.net.poll(1.0e9);
    const [re] = r.segs();
    expect(re.seq - r.iss - 1).toBe(0);
    expect(re.data.length).toBe(1000);
    expect(r.segs()).toEqual([]);
    // Each ACK of new data lets one segment more be in flight (slow start).
    r.tcp({ seq: r.gseq, ack: r.iss + 1 + 1000, flags: TCP_ACK });
    expect(r.segs().map((s) => s.seq - r.iss - 1)).toEqual([1000, 2000]);
    r.tcp({ seq: r.gseq, ack: r.iss + 1 + 3000, flags: TCP_ACK });
    expect(r.segs().map((s) => s.seq - r.iss - 1)).toEqual([3000, 4000, 5000]);
    r.tcp({ seq: r.gseq, ack: r.iss + 1 + 6000, flags: TCP_ACK });
    // The limit grows until the guest's window is the only one again.
    for (let i = 0; i < 70; i++) {
      r.s.events.onData(bytes(1000));
      const sent = r.segs();
      r.tcp({ seq: r.gseq, ack: sent[sent.length - 1].seq + 1000, flags: TCP_ACK });
    }
    r.s.events.onData(bytes(60000));
    expect(r.segs()).toHaveLength(60);
  });

  it("half-closes: the guest's FIN ends the host stream's writing; host data still flows, then our FIN", () => {
    const r = open();
    r.tcp({ seq: r.gseq, ack: r.iss + 1, flags: TCP_ACK | TCP_FIN }, "bye");
    expect(r.s.written).toBe("bye");
    expect(r.s.ended).toBe(true);
    let [ack] = r.segs();
    expect(ack.ack).toBe(r.gseq + 4); // the data and the FIN
    r.s.events.onData(bytes(100));
    r.s.events.onEnd();
    const [d, fin] = r.segs();
    expect(d.data.length).toBe(100);
    expect(fin.flags & TCP_FIN).toBe(TCP_FIN);
    expect(fin.seq).toBe(r.iss + 101);
    r.tcp({ seq: r.gseq + 4, ack: r.iss + 102, flags: TCP_ACK });
    expect(r.segs()).toEqual([]);
    // TIME-WAIT: a repeated FIN is acknowledged again; the connection goes after 2 s.
    r.tcp({ seq: r.gseq + 3, ack: r.iss + 102, flags: TCP_ACK | TCP_FIN });
    [ack] = r.segs();
    expect(ack.ack).toBe(r.gseq + 4);
    expect(r.net.nat!.tcp.size).toBe(1);
    r.net.poll(3e9);
    expect(r.net.nat!.tcp.size).toBe(0);
    expect(r.s.closed).toBe(false);
  });

  it("closes from the host side first: our FIN, then the guest's data and FIN", () => {
    const r = open();
    r.s.events.onData(bytes(10));
    r.s.events.onEnd();
    const [, fin] = r.segs();
    expect(fin.flags).toBe(TCP_ACK | TCP_FIN);
    r.tcp({ seq: r.gseq, ack: r.iss + 12, flags: TCP_ACK }, "more");
    expect(r.s.written).toBe("more");
    expect(r.s.ended).toBe(false);
    r.tcp({ seq: r.gseq + 4, ack: r.iss + 12, flags: TCP_ACK | TCP_FIN });
    expect(r.s.ended).toBe(true);
    const [ack] = r.segs().slice(-1);
    expect(ack.ack).toBe(r.gseq + 5);
    expect(ack.seq).toBe(r.iss + 12);
  });

  it("closes the host stream on the guest's RST, and resets the guest when the host stream fails", () => {
    const a = open();
    a.tcp({ seq: a.gseq, ack: a.iss + 1, flags: TCP_RST });
    expect(a.s.closed).toBe(true);
    expect(a.net.nat!.tcp.size).toBe(0);
    const b = open();
    b.s.events.onData(bytes(10));
    b.segs();
    b.s.events.onError("ECONNRESET");
    const [rst] = b.segs();
    expect(rst.flags).toBe(TCP_RST);
    expect(rst.seq).toBe(b.iss + 11);
    expect(b.net.nat!.tcp.size).toBe(0);
  });

  it("advertises the window the host stream still takes, and opens it on drain", () => {
    const r = open();
    r.s.bufferedAmount = 60000;
    r.tcp({ seq: r.gseq, ack: r.iss + 1, flags: TCP_ACK }, "x");
    let [ack] = r.segs();
    expect(ack.window).toBe(65535 - 60000);
    r.s.bufferedAmount = 0;
    r.s.events.onDrain!();
    [ack] = r.segs();
    expect(ack.window).toBe(65535);
    expect(ack.ack).toBe(r.gseq + 1);
  });
});

describe("NAT on a network of several guests", () => {
  it("answers each guest at the hardware address it sent from", () => {
    const r = rig();
    const other = ip4("10.0.2.16");
    const otherMac = [0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc];
    r.tcp({ seq: GISS, flags: TCP_SYN }); // the first guest, GUEST_MAC
    const seg = buildTcp(other, REMOTE, { srcPort: 777, dstPort: 80, seq: 5, ack: 0, flags: TCP_SYN, window: 1000 });
    r.net.receive(
      buildEth(
        USER_NET_HOST_MAC,
        otherMac,
        ETHERTYPE_IPV4,
        buildIp4({ protocol: IP_PROTO_TCP, src: other, dst: REMOTE }, seg),
      ),
    );
    r.streams[1].events.onOpen();
    r.streams[0].events.onOpen();
    const [toOther, toFirst] = r.out.splice(0).map((f) => parseEth(f)!);
    expect([...toOther.dst]).toEqual(otherMac);
    expect(parseIp4(toOther.payload)!.dst).toBe(other);
    expect([...toFirst.dst]).toEqual(GUEST_MAC);
  });
});

describe("UDP NAT", () => {
  it("relays a datagram through one binding per guest port and returns the reply from the remote address", () => {
    const r = rig();
    const dst = ip4("192.0.2.7");
    const send = (sport: number, text: string) => {
      const data = Uint8Array.from(text, (c) => c.charCodeAt(0));
      const udp = buildUdp(USER_NET_GUEST, dst, sport, 9999, data);
      r.net.receive(
        buildEth(
          USER_NET_HOST_MAC,
          GUEST_MAC,
          ETHERTYPE_IPV4,
          buildIp4({ protocol: IP_PROTO_UDP, src: USER_NET_GUEST, dst }, udp),
        ),
      );
    };
    send(5000, "ping");
    send(5000, "ping2");
    send(5001, "other");
    expect(r.udp).toHaveLength(2);
    expect(r.udp[0].sent).toEqual([
      ["ping", "192.0.2.7", 9999],
      ["ping2", "192.0.2.7", 9999],
    ]);
    r.udp[0].events.onMessage(Uint8Array.of(0x70, 0x6f, 0x6e, 0x67), "192.0.2.7", 9999);
    const [f] = r.out.splice(0);
    const ip = parseIp4(parseEth(f)!.payload)!;
    expect(ip.src).toBe(dst);
    expect(ip.dst).toBe(USER_NET_GUEST);
    const u = parseUdp(ip.payload, ip.src, ip.dst)!;
    expect([u.srcPort, u.dstPort, String.fromCharCode(...u.data)]).toEqual([9999, 5000, "pong"]);
    // Idle bindings close after two minutes of guest time.
    r.net.poll(121e9);
    expect(r.udp.every((b) => b.closed)).toBe(true);
    expect(r.net.nat!.udp.size).toBe(0);
  });

  it("leaves DHCP and DNS to the user network's servers", () => {
    const r = rig();
    const udp = buildUdp(USER_NET_GUEST, ip4("10.0.2.3"), 5000, 53, Uint8Array.of(1, 2, 3));
    r.net.receive(
      buildEth(
        USER_NET_HOST_MAC,
        GUEST_MAC,
        ETHERTYPE_IPV4,
        buildIp4({ protocol: IP_PROTO_UDP, src: USER_NET_GUEST, dst: ip4("10.0.2.3") }, udp),
      ),
    );
    expect(r.udp).toHaveLength(0);
    expect(r.net.dropped).toBe(1);
  });
});
