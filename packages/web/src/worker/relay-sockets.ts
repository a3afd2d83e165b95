// The page's HostSockets (devices' net/host-sockets.ts) over the server's network relay: the
// user-mode network's NAT, running in a worker, reaches real hosts through one WebSocket to
// `pnpm start`'s /net, in the relay protocol (shared/net-relay-protocol.ts). The server opens
// the sockets and decides what is allowed; refusals come back as onError with its reason.
//
// Key design choices:
//  - One WebSocket for all the streams and datagrams of a page's LAN, opened on first use and
//    again on the next use after it closed (streams open at that moment fail; UDP bindings are
//    opened again). Each stream and binding names the VM it is for (connectTcp's and openUdp's
//    `vm`, or forVm()): the server's limits hold per VM.
//    A WebSocket that could not open makes new streams fail at once for a second, so a guest
//    that retries does not hammer the server.
//  - Callbacks are never called inside the call that caused them (HostSockets' rule): they run
//    from the WebSocket's events or a queued microtask.
//  - pause() is passed to the server, and data already on its way is held here until resume().
//  - A stream's bufferedAmount is what was written and not yet reported sent on by the server
//    (TCP_SENT), so the NAT can shrink the window it offers the guest while the remote side (or
//    the WebSocket) is slow; onDrain says it fell back to 0.

import type { HostSockets, HostTcpEvents, HostTcpStream, HostUdpEvents, HostUdpSocket } from "@x86vm/devices";
import {
  RELAY_PROTOCOL_VERSION,
  RelayProtocolError,
  TO_PAGE,
  TO_SERVER,
  decodeToPage,
  encodeData,
  encodeId,
  encodeTcpOpen,
  encodeUdpOpen,
  encodeUdpSend,
} from "../shared/net-relay-protocol.ts";

/** The parts of the browser's WebSocket used here (Node tests pass their own). */
export interface RelaySocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
}

/** Largest TCP_DATA message sent (the server takes up to 1 MiB). */
const CHUNK = 60 * 1024;
/** After a WebSocket failed to open, new streams fail at once for this long. */
const RETRY_AFTER_MS = 1000;

/** The optional flow-control members of HostSockets' streams, which this implementation has. */
type TcpEvents = HostTcpEvents & { onDrain?(): void };
type TcpStream = HostTcpStream & { readonly bufferedAmount: number };

interface TcpEntry {
  events: TcpEvents;
  /** Bytes written and not yet reported sent by the server. */
  unsent: number;
  paused: boolean;
  /** Data (and the end, as null) that arrived while paused. */
  held: (Uint8Array | null)[];
  localEnded: boolean;
  remoteEnded: boolean;
}

interface UdpEntry {
  events: HostUdpEvents;
  vm: string;
}

export interface RelaySocketsOptions {
  /** Makes the WebSocket (default: the browser's). */
  createSocket?: (url: string) => RelaySocketLike;
  /** Milliseconds (default performance.now). */
  now?: () => number;
}

export class RelaySockets implements VmSockets {
  private ws: RelaySocketLike | null = null;
  private open = false;
  private readonly queue: Uint8Array[] = [];
  private nextId = 1;
  private readonly tcp = new Map<number, TcpEntry>();
  private readonly udp = new Map<number, UdpEntry>();
  private failedAt = -Infinity;
  private failure = "";
  private readonly createSocket: (url: string) => RelaySocketLike;
  private readonly now: () => number;
  /** The server's limits, once it said hello. */
  limits: {
    rateBytesPerSecond: number;
    maxStreams: number;
    lanRateBytesPerSecond: number;
    lanMaxStreams: number;
  } | null = null;
  /** Bytes through the relay each way (for the page's counters). */
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    readonly url: string,
    opts: RelaySocketsOptions = {},
  ) {
    this.createSocket =
      opts.createSocket ??
      ((u) => {
        const WS = (globalThis as { WebSocket?: new (url: string) => RelaySocketLike }).WebSocket;
        if (!WS) throw new Error("this environment has no WebSocket");
        return new WS(u);
      });
    this.now = opts.now ?? (() => performance.now());
  }

  /** HostSockets whose streams and bindings are all for the VM called `vm`. */
  forVm(vm: string): HostSockets {
    return {
      connectTcp: (host, port, events) => this.connectTcp(host, port, events, vm),
      openUdp: (events) => this.openUdp(events, vm),
    };
  }

  /** `vm`: the VM the stream is for (its name on the page's LAN; "" when not said). */
  connectTcp(host: string, port: number, events: TcpEvents, vm = ""): TcpStream {
    const id = this.nextId++;
    const entry: TcpEntry = { events, unsent: 0, paused: false, held: [], localEnded: false, remoteEnded: false };
    const live = () => this.tcp.get(id) === entry;
    const stream: TcpStream = {
      get bufferedAmount() {
        return entry.unsent;
      },
      write: (data) => {
        if (!live() || entry.localEnded) return;
        this.bytesOut += data.length;
        entry.unsent += data.length;
        for (let at = 0; at < data.length; at += CHUNK)
          this.send(encodeData(TO_SERVER.TCP_DATA, id, data.subarray(at, at + CHUNK)));
      },
      end: () => {
        if (!live() || entry.localEnded) return;
        entry.localEnded = true;
        this.send(encodeId(TO_SERVER.TCP_END, id));
        if (entry.remoteEnded && entry.held.length === 0) this.tcp.delete(id);
      },
      close: () => {
        if (!live()) return;
        this.tcp.delete(id);
        this.send(encodeId(TO_SERVER.TCP_CLOSE, id));
      },
      pause: () => {
        if (!live() || entry.paused) return;
        entry.paused = true;
        this.send(encodeId(TO_SERVER.TCP_PAUSE, id));
      },
      resume: () => {
        if (!live() || !entry.paused) return;
        entry.paused = false;
        this.send(encodeId(TO_SERVER.TCP_RESUME, id));
        if (entry.held.length) queueMicrotask(() => this.release(id, entry));
      },
    };
    const refused = this.connectionProblem();
    if (refused !== null) {
      queueMicrotask(() => events.onError(refused));
      return stream;
    }
    this.tcp.set(id, entry);
    try {
      this.send(encodeTcpOpen(id, host, port, vm));
    } catch (e) {
      this.tcp.delete(id);
      const reason = e instanceof Error ? e.message : String(e);
      queueMicrotask(() => events.onError(reason));
    }
    return stream;
  }

  openUdp(events: HostUdpEvents, vm = ""): HostUdpSocket {
    const id = this.nextId++;
    const entry: UdpEntry = { events, vm };
    this.udp.set(id, entry);
    if (this.open) this.send(encodeUdpOpen(id, vm));
    // (else opened when the WebSocket is: see onOpen)
    return {
      send: (data, host, port) => {
        if (this.udp.get(id) !== entry) return;
        const refused = this.connectionProblem();
        if (refused !== null) {
          queueMicrotask(() => events.onError(refused));
          return;
        }
        let msg: Uint8Array;
        try {
          msg = encodeUdpSend(id, host, port, data);
        } catch (e) {
          const reason = e instanceof Error ? e.message : String(e);
          queueMicrotask(() => events.onError(reason));
          return;
        }
        this.bytesOut += data.length;
        this.send(msg);
      },
      close: () => {
        if (this.udp.get(id) !== entry) return;
        this.udp.delete(id);
        if (this.open) this.send(encodeId(TO_SERVER.UDP_CLOSE, id));
      },
    };
  }

  /** Closes the WebSocket; open streams fail. */
  close(): void {
    this.ws?.close(1000, "the VM stopped");
    this.closed("the VM's network stopped");
  }

  /** Opens the WebSocket if need be; why a new stream cannot be tried now, or null. */
  private connectionProblem(): string | null {
    if (this.ws) return null;
    if (this.now() - this.failedAt < RETRY_AFTER_MS) return this.failure;
    this.connect();
    return this.ws ? null : this.failure;
  }

  private connect(): void {
    let ws: RelaySocketLike;
    try {
      ws = this.createSocket(this.url);
    } catch (e) {
      this.failedAt = this.now();
      this.failure = `cannot reach the network relay: ${e instanceof Error ? e.message : String(e)}`;
      return;
    }
    this.ws = ws;
    this.open = false;
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.open = true;
      for (const [id, e] of this.udp) ws.send(encodeUdpOpen(id, e.vm));
      for (const m of this.queue.splice(0)) ws.send(m);
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      if (!(ev.data instanceof ArrayBuffer)) return this.protocolError("a text message");
      try {
        this.message(new Uint8Array(ev.data));
      } catch (e) {
        if (!(e instanceof RelayProtocolError)) throw e;
        this.protocolError(e.message);
      }
    };
    ws.onerror = () => {};
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      const why = ev.reason || `code ${ev.code}`;
      if (!this.open) {
        this.failedAt = this.now();
        this.failure = `cannot reach the network relay (${why})`;
        this.closed(this.failure);
      } else this.closed(`the network relay closed (${why})`);
    };
  }

  private protocolError(what: string): void {
    this.ws?.close(1002, "protocol error");
    this.closed(`the network relay sent ${what}`);
  }

  /** The WebSocket is gone: every stream fails (UDP bindings stay, for the next WebSocket). */
  private closed(reason: string): void {
    this.ws = null;
    this.open = false;
    this.queue.length = 0;
    const streams = [...this.tcp.values()];
    this.tcp.clear();
    if (streams.length) queueMicrotask(() => streams.forEach((e) => e.events.onError(reason)));
  }

  private send(msg: Uint8Array): void {
    if (!this.ws) return; // gone: its streams were told
    if (this.open) this.ws!.send(msg);
    else this.queue.push(msg);
  }

  private message(msg: Uint8Array): void {
    const m = decodeToPage(msg);
    switch (m.op) {
      case TO_PAGE.HELLO:
        if (m.version !== RELAY_PROTOCOL_VERSION)
          return this.protocolError(`protocol version ${m.version} (this page speaks ${RELAY_PROTOCOL_VERSION})`);
        this.limits = {
          rateBytesPerSecond: m.rate,
          maxStreams: m.maxStreams,
          lanRateBytesPerSecond: m.lanRate,
          lanMaxStreams: m.lanMaxStreams,
        };
        return;
      case TO_PAGE.TCP_OPENED:
        this.tcp.get(m.id)?.events.onOpen();
        return;
      case TO_PAGE.TCP_DATA: {
        const e = this.tcp.get(m.id);
        if (!e) return;
        this.bytesIn += m.data.length;
        if (e.paused || e.held.length) e.held.push(m.data);
        else e.events.onData(m.data);
        return;
      }
      case TO_PAGE.TCP_END: {
        const e = this.tcp.get(m.id);
        if (!e || e.remoteEnded) return;
        e.remoteEnded = true;
        if (e.paused || e.held.length) e.held.push(null);
        else this.ended(m.id, e);
        return;
      }
      case TO_PAGE.ERROR: {
        const t = this.tcp.get(m.id);
        if (t) {
          this.tcp.delete(m.id);
          t.events.onError(m.reason);
        } else this.udp.get(m.id)?.events.onError(m.reason);
        return;
      }
      case TO_PAGE.TCP_SENT: {
        const e = this.tcp.get(m.id);
        if (!e || e.unsent === 0) return;
        e.unsent = Math.max(0, e.unsent - m.bytes);
        if (e.unsent === 0) e.events.onDrain?.();
        return;
      }
      case TO_PAGE.UDP_RECV:
        this.bytesIn += m.data.length;
        this.udp.get(m.id)?.events.onMessage(m.data, m.host, m.port);
        return;
    }
  }

  private ended(id: number, e: TcpEntry): void {
    if (e.localEnded) this.tcp.delete(id);
    e.events.onEnd();
  }

  /** Delivers what arrived while the stream was paused, until it is paused again. */
  private release(id: number, e: TcpEntry): void {
    while (this.tcp.get(id) === e && !e.paused && e.held.length) {
      const d = e.held.shift()!;
      if (d === null) this.ended(id, e);
      else e.events.onData(d);
    }
  }
}

/** HostSockets that can say which VM a stream or binding is for (RelaySockets). */
export interface VmSockets extends HostSockets {
  connectTcp(host: string, port: number, events: HostTcpEvents, vm?: string): HostTcpStream;
  openUdp(events: HostUdpEvents, vm?: string): HostUdpSocket;
}

/**
 * HostSockets that refuse every destination until given the ones to use (set()): a gateway's
 * NAT can exist from the start and reach the outside only once the page turns the relay on.
 */
export class LateSockets implements VmSockets {
  private target: VmSockets | null = null;

  constructor(private readonly refusal: string) {}

  get connected(): boolean {
    return this.target !== null;
  }

  set(target: VmSockets): void {
    this.target = target;
  }

  connectTcp(host: string, port: number, events: TcpEvents, vm = ""): HostTcpStream {
    if (this.target) return this.target.connectTcp(host, port, events, vm);
    queueMicrotask(() => events.onError(this.refusal));
    return { write() {}, end() {}, close() {}, pause() {}, resume() {} };
  }

  openUdp(events: HostUdpEvents, vm = ""): HostUdpSocket {
    // A binding asks the target at each datagram, so it follows set().
    let inner: HostUdpSocket | null = null;
    return {
      send: (data, host, port) => {
        if (!inner && this.target) inner = this.target.openUdp(events, vm);
        if (inner) inner.send(data, host, port);
        else queueMicrotask(() => events.onError(this.refusal));
      },
      close: () => inner?.close(),
    };
  }
}
