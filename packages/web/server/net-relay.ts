// The network relay of `pnpm start`: the real-world end of the page's user-mode network. The
// NAT of a page's LAN (in its LAN worker) opens one WebSocket to /net and asks, in the relay
// protocol (src/shared/net-relay-protocol.ts, docs/networking.md), for TCP streams and UDP
// datagrams to host:port, each for one VM of the LAN; this server opens the real sockets after
// checking its allow-list.
//
//   GET /net/config     { enabled, reason?, allow, rateBytesPerSecond, maxStreams,
//                         lanRateBytesPerSecond, lanMaxStreams } (RelayConfigInfo)
//   GET /net (upgrade)  the relay's WebSocket, one per page's LAN (426 without the upgrade)
//
//   X86VM_NET_ALLOW            destinations a guest may reach: host:port or host:low-high, comma
//                              separated ("127.0.0.1:8080,example.org:80"). Without it the relay
//                              is off (the default).
//   X86VM_NET_RATE             bytes per second each way per VM (default 1M; k, M, Ki, Mi suffixes)
//   X86VM_NET_MAX_STREAMS      open TCP streams and UDP bindings per VM (default 64)
//   X86VM_NET_LAN_RATE         bytes per second each way for one WebSocket, all its VMs together
//                              (default 4 times the rate per VM)
//   X86VM_NET_LAN_MAX_STREAMS  open streams and bindings for one WebSocket (default 4 times the
//                              streams per VM)
//   X86VM_NET_CONFIG           a JSON file { "allow": [...], "rate": ..., "maxStreams": ...,
//                              "lanRate": ..., "lanMaxStreams": ... }; the variables above
//                              override its fields
//
// Key design choices:
//  - The allow-list decides everything; the page decides nothing. A guest's 10.0.2.2 is this
//    machine's loopback (127.0.0.1), reachable only on the ports listed for 127.0.0.1,
//    localhost, 10.0.2.2 or "host". A name on the list is resolved when used, and the address
//    connected to is the one resolved (no second lookup a name's owner could change). An
//    address is allowed when it is listed, or when a listed name with that port resolves to it.
//  - This server's own port on any local address is refused always, even when listed: a guest
//    never reaches the server's endpoints (the relay itself, the snapshot store).
//  - Per VM (the VM each stream names when it opens): a token bucket each way (bytes/s) and a cap
//    on open streams. A VM's remote sockets are paused while its bucket towards the page is in
//    debt; its data from the page waits here (and is not reported sent, so the page's TCP window
//    closes) while its bucket from the page is in debt; its UDP beyond the rate is dropped. So one
//    VM filling its share does not slow another down.
//  - Per WebSocket (a page's LAN, all its VMs): the same limits again, as the ceiling of the
//    whole connection: over them every remote socket is paused, or the WebSocket is not read. So
//    are they while the WebSocket's send buffer is full, a remote side does not take what was
//    written to it, or the data waiting for VMs' buckets passes 1 MiB.
//  - Which VM a stream is for is what the page says; a page that says otherwise only moves its
//    traffic between its own VMs' shares, within its connection's.
//  - A WebSocket from another site's page is refused (its Origin must be this server).

import dgram from "node:dgram";
import dns from "node:dns";
import fs from "node:fs";
import type http from "node:http";
import net from "node:net";
import os from "node:os";
import type { Duplex } from "node:stream";
import { acceptWebSocket, type WebSocketConnection } from "./websocket.ts";
import { setIsolationHeaders } from "./guests.ts";
import { messageOf } from "../src/shared/message.ts";
import {
  RELAY_CONFIG_PATH,
  RELAY_PATH,
  RelayProtocolError,
  TO_PAGE,
  TO_SERVER,
  decodeToServer,
  encodeData,
  encodeError,
  encodeHello,
  encodeId,
  encodeSent,
  encodeUdpRecv,
  type RelayConfigInfo,
} from "../src/shared/net-relay-protocol.ts";

export const DEFAULT_RATE = 1_000_000;
export const DEFAULT_MAX_STREAMS = 64;
/** The connection's limits, by default, are this many VMs' worth. */
export const DEFAULT_LAN_FACTOR = 4;
/** The guest's name for this machine (QEMU's slirp convention). */
export const GUEST_HOST_ADDRESS = "10.0.2.2";
const LOOPBACK = "127.0.0.1";
/** Names on the list that mean this machine's loopback for a guest's 10.0.2.2. */
const HOST_NAMES = new Set([GUEST_HOST_ADDRESS, "host", LOOPBACK, "localhost"]);
const MAX_MESSAGE = 1024 * 1024;
/** The WebSocket's send buffer above which remote sockets are paused. */
const WS_HIGH_WATER = 1024 * 1024;
/** A remote socket's write buffer above which the WebSocket is not read. */
const SOCKET_HIGH_WATER = 1024 * 1024;
/** Data from the page waiting for its VM's bucket above which the WebSocket is not read. */
const UP_QUEUE_HIGH_WATER = 1024 * 1024;
const MAX_SESSIONS = 64;
/** Distinct VM names one WebSocket may use. */
const MAX_VMS_PER_SESSION = 256;
const MAX_LAN_STREAMS = 16384;
const CONNECT_TIMEOUT_MS = 10_000;

export interface AllowEntry {
  /** Lower case: a dotted IPv4 address or a name. */
  host: string;
  low: number;
  high: number;
}

export interface RelayConfig {
  allow: AllowEntry[];
  /** Each way, per VM. */
  rateBytesPerSecond: number;
  /** Per VM. */
  maxStreams: number;
  /** Each way, per WebSocket (default DEFAULT_LAN_FACTOR times the rate per VM). */
  lanRateBytesPerSecond?: number;
  /** Per WebSocket (default DEFAULT_LAN_FACTOR times maxStreams). */
  lanMaxStreams?: number;
  connectTimeoutMs?: number;
}

/** A configuration error: the server refuses to start with it. */
export class RelayConfigError extends Error {}

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const NAME_RE = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/;

function isIpv4(s: string): boolean {
  return IPV4_RE.test(s);
}

function parsePort(s: string, what: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1 || n > 65535) throw new RelayConfigError(`${what}: port ${s} is not 1-65535`);
  return n;
}

/** "host:port" and "host:low-high" entries, comma separated (or a list of them). */
export function parseAllowList(spec: string | readonly string[]): AllowEntry[] {
  const items = (typeof spec === "string" ? spec.split(",") : spec).map((s) => s.trim()).filter((s) => s !== "");
  return items.map((item) => {
    const colon = item.lastIndexOf(":");
    if (colon <= 0) throw new RelayConfigError(`allow-list entry ${JSON.stringify(item)} is not host:port`);
    const host = item.slice(0, colon).toLowerCase();
    const ports = item.slice(colon + 1);
    if (!isIpv4(host) && !NAME_RE.test(host))
      throw new RelayConfigError(
        `allow-list entry ${JSON.stringify(item)}: ${host} is not an IPv4 address or host name`,
      );
    const dash = ports.indexOf("-");
    const low = parsePort(dash < 0 ? ports : ports.slice(0, dash), item);
    const high = dash < 0 ? low : parsePort(ports.slice(dash + 1), item);
    if (high < low) throw new RelayConfigError(`allow-list entry ${JSON.stringify(item)}: empty port range`);
    return { host: host.replace(/\.$/, ""), low, high };
  });
}

export function formatAllowEntry(e: AllowEntry): string {
  return `${e.host}:${e.low === e.high ? e.low : `${e.low}-${e.high}`}`;
}

const UNITS: Record<string, number> = { "": 1, k: 1e3, m: 1e6, g: 1e9, ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3 };

/** Bytes per second: "1000000", "500k", "1M", "2Mi" (an optional trailing "B" or "B/s"). */
export function parseRate(s: string | number): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(k|m|g|ki|mi|gi)?(?:b(?:\/s)?)?\s*$/i.exec(String(s));
  const v = m ? Math.round(Number(m[1]) * UNITS[(m[2] ?? "").toLowerCase()]!) : NaN;
  if (!Number.isSafeInteger(v) || v < 1024)
    throw new RelayConfigError(`rate ${JSON.stringify(s)} is not a number of bytes per second (1024 or more)`);
  return v;
}

/** The relay's configuration from the environment (and X86VM_NET_CONFIG's file); null: off. */
export function relayConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  readFile: (p: string) => string = (p) => fs.readFileSync(p, "utf8"),
): RelayConfig | null {
  let file: { allow?: unknown; rate?: unknown; maxStreams?: unknown; lanRate?: unknown; lanMaxStreams?: unknown } = {};
  if (env.X86VM_NET_CONFIG) {
    let text: string;
    try {
      text = readFile(env.X86VM_NET_CONFIG);
    } catch (e) {
      throw new RelayConfigError(`cannot read X86VM_NET_CONFIG (${env.X86VM_NET_CONFIG}): ${messageOf(e)}`);
    }
    try {
      file = JSON.parse(text) as typeof file;
    } catch (e) {
      throw new RelayConfigError(`X86VM_NET_CONFIG (${env.X86VM_NET_CONFIG}) is not JSON: ${messageOf(e)}`);
    }
    if (typeof file !== "object" || file === null || Array.isArray(file))
      throw new RelayConfigError(`X86VM_NET_CONFIG (${env.X86VM_NET_CONFIG}) must hold a JSON object`);
  }
  const allowSpec = env.X86VM_NET_ALLOW ?? file.allow;
  if (allowSpec !== undefined && typeof allowSpec !== "string" && !Array.isArray(allowSpec))
    throw new RelayConfigError(`"allow" must be a list of "host:port" strings`);
  if (Array.isArray(allowSpec) && allowSpec.some((x) => typeof x !== "string"))
    throw new RelayConfigError(`"allow" must be a list of "host:port" strings`);
  const allow = allowSpec === undefined ? [] : parseAllowList(allowSpec as string | string[]);
  if (allow.length === 0) return null;
  const rateSpec = env.X86VM_NET_RATE ?? file.rate;
  const rate = rateSpec === undefined ? DEFAULT_RATE : parseRate(rateSpec as string | number);
  const streams = (spec: unknown, name: string, max: number): number | undefined => {
    if (spec === undefined) return undefined;
    const n = Number(spec);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new RelayConfigError(`${name} ${JSON.stringify(spec)} is not a whole number 1-${max}`);
    return n;
  };
  const maxStreams = streams(env.X86VM_NET_MAX_STREAMS ?? file.maxStreams, "maxStreams", 4096) ?? DEFAULT_MAX_STREAMS;
  const lanRateSpec = env.X86VM_NET_LAN_RATE ?? file.lanRate;
  const lanMaxStreams = streams(env.X86VM_NET_LAN_MAX_STREAMS ?? file.lanMaxStreams, "lanMaxStreams", MAX_LAN_STREAMS);
  return {
    allow,
    rateBytesPerSecond: rate,
    maxStreams,
    ...(lanRateSpec === undefined ? {} : { lanRateBytesPerSecond: parseRate(lanRateSpec as string | number) }),
    ...(lanMaxStreams === undefined ? {} : { lanMaxStreams }),
  };
}

/** The limits of one WebSocket: as configured, or DEFAULT_LAN_FACTOR VMs' worth. */
export function lanLimits(config: RelayConfig): { rate: number; maxStreams: number } {
  return {
    rate: config.lanRateBytesPerSecond ?? DEFAULT_LAN_FACTOR * config.rateBytesPerSecond,
    maxStreams: config.lanMaxStreams ?? Math.min(MAX_LAN_STREAMS, DEFAULT_LAN_FACTOR * config.maxStreams),
  };
}

/** A destination the list does not allow, or that cannot be reached. */
export class RelayRefused extends Error {}

/** Bytes per second with a burst: take() says how long the sender should wait. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  readonly burst: number;

  constructor(
    readonly rate: number,
    now: number,
  ) {
    this.burst = Math.max(16384, rate / 8);
    this.tokens = this.burst;
    this.last = now;
  }

  /** Spends n bytes; returns the ms until the bucket is out of debt (0: not in debt). */
  take(n: number, now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rate);
  }
}

/** IPv4 addresses of a name (all of them). */
export type Resolver = (name: string) => Promise<string[]>;

const systemResolver: Resolver = async (name) =>
  (await dns.promises.lookup(name, { family: 4, all: true })).map((a) => a.address);

export interface NetRelayOptions {
  resolve?: Resolver;
  log?: (line: string) => void;
  /** Milliseconds, for the token buckets (tests). */
  now?: () => number;
}

/** One VM's share of a WebSocket: its buckets, its streams, what waits for its bucket. */
interface VmShare {
  name: string;
  up: TokenBucket;
  down: TokenBucket;
  /** Its open TCP streams and UDP bindings. */
  streams: number;
  /** Its remote sockets are paused (bucket towards the page in debt) until this fires. */
  downHeld: ReturnType<typeof setTimeout> | null;
  /** Its data from the page waits (bucket from the page in debt) until this fires. */
  upHeld: ReturnType<typeof setTimeout> | null;
  /** Data from the page (null: the stream's half-close) waiting, in order. */
  upQueue: { s: TcpStream; data: Uint8Array | null }[];
}

interface TcpStream {
  kind: "tcp";
  id: number;
  vm: VmShare;
  socket: net.Socket | null;
  /** Written by the page before the connection was allowed. */
  early: Uint8Array[];
  earlyEnd: boolean;
  pagePaused: boolean;
  /** Pausing the WebSocket because this socket's write buffer is full. */
  blocking: boolean;
  /** Bytes written out to the remote side not yet reported to the page (TCP_SENT). */
  sent: number;
}

interface UdpBinding {
  kind: "udp";
  id: number;
  vm: VmShare;
  socket: dgram.Socket | null;
  /** Remote "address:port" -> the host the guest sent to (10.0.2.2 for the loopback). */
  peers: Map<string, string>;
  /** Sends in order while a destination is checked. */
  queue: Promise<void>;
}

export class NetRelay {
  readonly info: RelayConfigInfo;
  private readonly resolve: Resolver;
  private readonly log: (line: string) => void;
  readonly now: () => number;
  private server: http.Server | null = null;
  readonly sessions = new Set<RelaySession>();

  constructor(
    readonly config: RelayConfig | null,
    opts: NetRelayOptions = {},
  ) {
    this.resolve = opts.resolve ?? systemResolver;
    this.log = opts.log ?? (() => {});
    this.now = opts.now ?? (() => performance.now());
    this.info = config
      ? {
          enabled: true,
          allow: config.allow.map(formatAllowEntry),
          rateBytesPerSecond: config.rateBytesPerSecond,
          maxStreams: config.maxStreams,
          lanRateBytesPerSecond: lanLimits(config).rate,
          lanMaxStreams: lanLimits(config).maxStreams,
        }
      : {
          enabled: false,
          reason: "the network relay is off on this server (start it with X86VM_NET_ALLOW=host:port,... to turn it on)",
          allow: [],
          rateBytesPerSecond: 0,
          maxStreams: 0,
        };
  }

  get connectTimeoutMs(): number {
    return this.config?.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  }

  /** Serves the relay's WebSocket on `server` (its own port is then refused to guests). */
  attach(server: http.Server): void {
    this.server = server;
    server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!this.upgrade(req, socket, head)) socket.destroy();
    });
  }

  /** GET /net/config. */
  middleware(): (req: http.IncomingMessage, res: http.ServerResponse, next: (err?: unknown) => void) => void {
    return (req, res, next) => {
      const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
      if (pathname === RELAY_PATH) {
        // A plain request for the WebSocket's path (no upgrade).
        setIsolationHeaders(res);
        res.statusCode = 426;
        res.setHeader("Upgrade", "websocket");
        res.end("the network relay speaks WebSocket here\n");
        return;
      }
      if (pathname !== RELAY_CONFIG_PATH) return next();
      setIsolationHeaders(res);
      res.setHeader("Content-Type", "application/json; charset=utf-8");
      res.setHeader("Cache-Control", "no-cache");
      res.end(JSON.stringify(this.info));
    };
  }

  /** Takes an upgrade request for /net; false for another path (not ours). */
  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    if (pathname !== RELAY_PATH) return false;
    const refuse = (status: number, text: string) => {
      socket.end(
        `HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
          `Content-Length: ${Buffer.byteLength(text) + 1}\r\n\r\n${text}\n`,
      );
      return true;
    };
    if (!this.config) return refuse(403, this.info.reason!);
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let host: string | null = null;
      try {
        host = new URL(origin).host;
      } catch {
        // refused below
      }
      if (host !== req.headers.host)
        return refuse(403, `a page from ${origin} may not use this server's network relay`);
    }
    if (this.sessions.size >= MAX_SESSIONS) return refuse(503, `the relay serves ${MAX_SESSIONS} VMs at most`);
    const session = new RelaySession(this, this.config);
    const ws = acceptWebSocket(req, socket, head, session, MAX_MESSAGE);
    if (!ws) return true;
    session.open(ws);
    this.sessions.add(session);
    this.log(`net relay: a VM connected from ${req.socket.remoteAddress} (${this.sessions.size} open)`);
    return true;
  }

  /** Ends every session (the server is stopping). */
  close(): void {
    for (const s of this.sessions) s.shutdown();
  }

  /** The server's own port (refused to guests), once it listens. */
  private ownPort(): number | null {
    const a = this.server?.address();
    return a && typeof a === "object" ? a.port : null;
  }

  private async namesResolve(entries: readonly AllowEntry[], address: string): Promise<boolean> {
    for (const e of entries) {
      if (isIpv4(e.host)) continue;
      try {
        if ((await this.resolve(e.host)).includes(address)) return true;
      } catch {
        // a listed name that does not resolve allows nothing
      }
    }
    return false;
  }

  /**
   * Where the guest's host:port goes, or RelayRefused saying why not. `host` is what the guest
   * asked for: an IPv4 address (10.0.2.2: this machine) or a name on the list.
   */
  async check(host: string, port: number): Promise<string> {
    const h = host.toLowerCase().replace(/\.$/, "");
    const shown = `${host}:${port}`;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RelayRefused(`${shown}: bad port`);
    const config = this.config;
    if (!config) throw new RelayRefused("the relay is off");
    const entries = config.allow.filter((e) => port >= e.low && port <= e.high);
    const notListed = () => new RelayRefused(`${shown} is not on this server's allow-list`);
    let address: string;
    if (h === GUEST_HOST_ADDRESS) {
      address = LOOPBACK;
      if (!entries.some((e) => HOST_NAMES.has(e.host)) && !(await this.namesResolve(entries, address)))
        throw notListed();
    } else if (isIpv4(h)) {
      address = h;
      if (!entries.some((e) => e.host === h) && !(await this.namesResolve(entries, address))) throw notListed();
    } else {
      if (!NAME_RE.test(h) || !entries.some((e) => e.host === h)) throw notListed();
      let all: string[];
      try {
        all = await this.resolve(h);
      } catch (e) {
        throw new RelayRefused(`${host} does not resolve: ${messageOf(e)}`);
      }
      if (all.length === 0) throw new RelayRefused(`${host} has no IPv4 address`);
      address = all[0]!;
    }
    if (port === this.ownPort() && isLocalAddress(address))
      throw new RelayRefused(`${shown} is this server itself, which guests may not reach`);
    return address;
  }
}

/** This machine: 0.0.0.0/8, 127.0.0.0/8 and the addresses of its interfaces. */
export function isLocalAddress(address: string): boolean {
  if (address.startsWith("127.") || address.startsWith("0.")) return true;
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.address === address) return true;
  return false;
}

function errorReason(e: unknown): string {
  const code = (e as { code?: string }).code;
  const known: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ECONNRESET: "connection reset",
    ETIMEDOUT: "timed out",
    EHOSTUNREACH: "host unreachable",
    ENETUNREACH: "network unreachable",
    EPIPE: "connection reset",
  };
  return code && known[code] ? `${known[code]} (${code})` : messageOf(e);
}

/** One WebSocket (a page's LAN) and its streams, each for one of its VMs. */
class RelaySession {
  private ws: WebSocketConnection | null = null;
  private readonly streams = new Map<number, TcpStream | UdpBinding>();
  private readonly vms = new Map<string, VmShare>();
  private readonly lan: { rate: number; maxStreams: number };
  /** The whole connection's buckets. */
  private readonly up: TokenBucket;
  private readonly down: TokenBucket;
  /** Every remote socket is paused for the connection's rate limit until this timer fires. */
  private downHeld: ReturnType<typeof setTimeout> | null = null;
  private upHeld: ReturnType<typeof setTimeout> | null = null;
  /** Remote sockets whose write buffers are full (the WebSocket is not read meanwhile). */
  private blockers = 0;
  /** Bytes in the VMs' upQueues. */
  private queued = 0;
  private wsFull = false;
  private done = false;

  constructor(
    private readonly relay: NetRelay,
    private readonly config: RelayConfig,
  ) {
    this.lan = lanLimits(config);
    this.up = new TokenBucket(this.lan.rate, relay.now());
    this.down = new TokenBucket(this.lan.rate, relay.now());
  }

  open(ws: WebSocketConnection): void {
    this.ws = ws;
    ws.socket.on("drain", () => {
      if (this.wsFull && ws.bufferedAmount < WS_HIGH_WATER) {
        this.wsFull = false;
        this.flowAll();
      }
    });
    ws.send(encodeHello(this.config.rateBytesPerSecond, this.config.maxStreams, this.lan.rate, this.lan.maxStreams));
  }

  shutdown(): void {
    this.ws?.close(1001, "the server is stopping");
  }

  // WebSocketHandlers
  onMessage(data: Buffer, binary: boolean): void {
    if (!binary) return this.ws?.close(1003, "the relay speaks binary messages only");
    let m;
    try {
      m = decodeToServer(data);
    } catch (e) {
      if (!(e instanceof RelayProtocolError)) throw e;
      return this.ws?.close(1002, e.message);
    }
    if (m.op === TO_SERVER.TCP_DATA || m.op === TO_SERVER.UDP_SEND) this.chargeUp(m.data.length);
    switch (m.op) {
      case TO_SERVER.TCP_OPEN:
        return this.tcpOpen(m.id, m.host, m.port, m.vm);
      case TO_SERVER.TCP_DATA: {
        const s = this.tcp(m.id);
        if (s) this.fromPage(s, m.data);
        return;
      }
      case TO_SERVER.TCP_END: {
        const s = this.tcp(m.id);
        if (s) this.fromPage(s, null);
        return;
      }
      case TO_SERVER.TCP_CLOSE: {
        const s = this.tcp(m.id);
        if (s) this.drop(s, true);
        return;
      }
      case TO_SERVER.TCP_PAUSE:
      case TO_SERVER.TCP_RESUME: {
        const s = this.tcp(m.id);
        if (!s) return;
        s.pagePaused = m.op === TO_SERVER.TCP_PAUSE;
        this.flow(s);
        return;
      }
      case TO_SERVER.UDP_OPEN: {
        const vm = this.room(m.id, m.vm);
        if (!vm) return;
        this.add({ kind: "udp", id: m.id, vm, socket: null, peers: new Map(), queue: Promise.resolve() });
        return;
      }
      case TO_SERVER.UDP_SEND: {
        const b = this.streams.get(m.id);
        if (b?.kind !== "udp") return this.error(m.id, "no such UDP binding");
        // Over its VM's rate a datagram is dropped, as UDP may be.
        if (b.vm.upHeld) return;
        this.chargeVmUp(b.vm, m.data.length);
        const data = Buffer.from(m.data);
        b.queue = b.queue.then(() => this.udpSend(b, m.host, m.port, data));
        return;
      }
      case TO_SERVER.UDP_CLOSE: {
        const b = this.streams.get(m.id);
        if (b?.kind === "udp") {
          b.socket?.close();
          this.remove(b);
        }
        return;
      }
    }
  }

  onClose(): void {
    this.done = true;
    for (const s of this.streams.values()) {
      if (s.kind === "tcp") s.socket?.destroy();
      else s.socket?.close();
    }
    this.streams.clear();
    for (const vm of this.vms.values()) {
      if (vm.downHeld) clearTimeout(vm.downHeld);
      if (vm.upHeld) clearTimeout(vm.upHeld);
      vm.upQueue = [];
    }
    if (this.downHeld) clearTimeout(this.downHeld);
    if (this.upHeld) clearTimeout(this.upHeld);
    this.relay.sessions.delete(this);
  }

  private send(msg: Uint8Array): void {
    const ws = this.ws;
    if (!ws || this.done) return;
    ws.send(msg);
    if (!this.wsFull && ws.bufferedAmount >= WS_HIGH_WATER) {
      this.wsFull = true;
      this.flowAll();
    }
  }

  private error(id: number, reason: string): void {
    this.send(encodeError(id, reason));
  }

  private tcp(id: number): TcpStream | null {
    const s = this.streams.get(id);
    return s?.kind === "tcp" ? s : null;
  }

  private add(s: TcpStream | UdpBinding): void {
    this.streams.set(s.id, s);
    s.vm.streams++;
  }

  private remove(s: TcpStream | UdpBinding): void {
    if (this.streams.get(s.id) !== s) return;
    this.streams.delete(s.id);
    s.vm.streams--;
  }

  /** The share of the VM called `name`, made on first use; null when there are too many. */
  private vm(name: string): VmShare | null {
    let vm = this.vms.get(name);
    if (vm) return vm;
    if (this.vms.size >= MAX_VMS_PER_SESSION) return null;
    const now = this.relay.now();
    vm = {
      name,
      up: new TokenBucket(this.config.rateBytesPerSecond, now),
      down: new TokenBucket(this.config.rateBytesPerSecond, now),
      streams: 0,
      downHeld: null,
      upHeld: null,
      upQueue: [],
    };
    this.vms.set(name, vm);
    return vm;
  }

  /** The VM a new stream `id` may open for (else the page is told why not, and null). */
  private room(id: number, vmName: string): VmShare | null {
    const refuse = (reason: string) => {
      this.error(id, reason);
      return null;
    };
    if (this.streams.has(id)) return refuse(`stream id ${id} is in use`);
    const vm = this.vm(vmName);
    if (!vm) return refuse(`too many VMs on one connection (this server allows ${MAX_VMS_PER_SESSION})`);
    if (vm.streams >= this.config.maxStreams)
      return refuse(`too many open connections (this server allows ${this.config.maxStreams} per VM)`);
    if (this.streams.size >= this.lan.maxStreams)
      return refuse(`too many open connections (this server allows ${this.lan.maxStreams} per page)`);
    return vm;
  }

  private tcpOpen(id: number, host: string, port: number, vmName: string): void {
    const vm = this.room(id, vmName);
    if (!vm) return;
    const s: TcpStream = {
      kind: "tcp",
      id,
      vm,
      socket: null,
      early: [],
      earlyEnd: false,
      pagePaused: false,
      blocking: false,
      sent: 0,
    };
    this.add(s);
    this.relay.check(host, port).then(
      (address) => {
        if (this.streams.get(id) !== s) return; // closed meanwhile
        this.connect(s, address, port);
      },
      (e: unknown) => {
        if (this.streams.get(id) !== s) return;
        this.remove(s);
        this.error(id, messageOf(e));
      },
    );
  }

  private connect(s: TcpStream, address: string, port: number): void {
    const socket = net.connect({ host: address, port, allowHalfOpen: true });
    s.socket = socket;
    socket.setNoDelay(true);
    socket.setTimeout(this.relay.connectTimeoutMs, () =>
      socket.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })),
    );
    socket.on("connect", () => {
      socket.setTimeout(0);
      if (this.tcp(s.id) === s) this.send(encodeId(TO_PAGE.TCP_OPENED, s.id));
    });
    socket.on("data", (chunk: Buffer) => {
      if (this.tcp(s.id) !== s) return;
      this.send(encodeData(TO_PAGE.TCP_DATA, s.id, chunk));
      this.chargeDown(s.vm, chunk.length);
    });
    socket.on("end", () => {
      if (this.tcp(s.id) === s) this.send(encodeId(TO_PAGE.TCP_END, s.id));
    });
    socket.on("error", (e) => {
      if (this.tcp(s.id) !== s) return;
      this.error(s.id, errorReason(e));
      this.drop(s, false);
    });
    socket.on("close", () => {
      if (this.tcp(s.id) === s) this.drop(s, false);
    });
    for (const b of s.early) this.write(s, b);
    s.early = [];
    if (s.earlyEnd) socket.end();
    this.flow(s);
  }

  /** Data (null: the half-close) from the page for `s`: now, or after its VM's bucket. */
  private fromPage(s: TcpStream, data: Uint8Array | null): void {
    const vm = s.vm;
    if (vm.upHeld || vm.upQueue.length) {
      vm.upQueue.push({ s, data });
      if (data) {
        this.queued += data.length;
        this.readFlow();
      }
      return;
    }
    this.toRemote(s, data);
  }

  /** Passes page data on to the remote side (or keeps it until connected), charging its VM. */
  private toRemote(s: TcpStream, data: Uint8Array | null): void {
    if (data === null) {
      if (s.socket) s.socket.end();
      else s.earlyEnd = true;
      return;
    }
    this.chargeVmUp(s.vm, data.length);
    if (s.socket) this.write(s, data);
    else if (!s.earlyEnd) s.early.push(data);
  }

  /** Spends a VM's bucket from the page; in debt, its next data waits until it is paid. */
  private chargeVmUp(vm: VmShare, n: number): void {
    const wait = vm.up.take(n, this.relay.now());
    if (wait <= 0 || vm.upHeld) return;
    vm.upHeld = setTimeout(() => {
      vm.upHeld = null;
      this.releaseUp(vm);
    }, wait);
  }

  /** Passes on what waited for a VM's bucket, until the bucket is in debt again. */
  private releaseUp(vm: VmShare): void {
    while (!vm.upHeld && vm.upQueue.length) {
      const { s, data } = vm.upQueue.shift()!;
      if (data) this.queued -= data.length;
      if (this.tcp(s.id) === s) this.toRemote(s, data);
    }
    this.readFlow();
  }

  private write(s: TcpStream, data: Uint8Array): void {
    const socket = s.socket!;
    if (socket.writableEnded) return;
    const n = data.length;
    socket.write(data, (err) => {
      if (!err) this.wrote(s, n);
    });
    if (!s.blocking && socket.writableLength >= SOCKET_HIGH_WATER) {
      s.blocking = true;
      this.blockers++;
      this.readFlow();
      socket.once("drain", () => this.unblock(s));
    }
  }

  /** n bytes went out to the remote side: the page hears of it once per turn of the event loop. */
  private wrote(s: TcpStream, n: number): void {
    if (this.tcp(s.id) !== s) return;
    if (s.sent === 0)
      setImmediate(() => {
        if (this.tcp(s.id) === s && s.sent > 0) this.send(encodeSent(s.id, s.sent));
        s.sent = 0;
      });
    s.sent += n;
  }

  private unblock(s: TcpStream): void {
    if (!s.blocking) return;
    s.blocking = false;
    this.blockers--;
    this.readFlow();
  }

  /** Reads the WebSocket unless something says not to (the connection's own limits). */
  private readFlow(): void {
    if (this.blockers > 0 || this.upHeld || this.queued >= UP_QUEUE_HIGH_WATER) this.ws?.pause();
    else this.ws?.resume();
  }

  /** Forgets a stream; `reset`: the page asked to close it (the remote side gets a reset). */
  private drop(s: TcpStream, reset: boolean): void {
    this.remove(s);
    this.unblock(s);
    if (s.socket && !s.socket.destroyed) {
      if (reset) s.socket.resetAndDestroy();
      else s.socket.destroy();
    }
  }

  private flow(s: TcpStream): void {
    const socket = s.socket;
    if (!socket) return;
    if (s.pagePaused || s.vm.downHeld || this.downHeld || this.wsFull) socket.pause();
    else socket.resume();
  }

  private flowAll(vm?: VmShare): void {
    for (const s of this.streams.values()) if (s.kind === "tcp" && (!vm || s.vm === vm)) this.flow(s);
  }

  /** Bytes towards the page: over its VM's rate its sockets wait, over the connection's all do. */
  private chargeDown(vm: VmShare, n: number): void {
    const now = this.relay.now();
    const vmWait = vm.down.take(n, now);
    const wait = this.down.take(n, now);
    if (vmWait > 0 && !vm.downHeld) {
      vm.downHeld = setTimeout(() => {
        vm.downHeld = null;
        this.flowAll(vm);
      }, vmWait);
      this.flowAll(vm);
    }
    if (wait > 0 && !this.downHeld) {
      this.downHeld = setTimeout(() => {
        this.downHeld = null;
        this.flowAll();
      }, wait);
      this.flowAll();
    }
  }

  /** Bytes from the page: over the connection's rate, the WebSocket is not read for a while. */
  private chargeUp(n: number): void {
    const wait = this.up.take(n, this.relay.now());
    if (wait <= 0 || this.upHeld) return;
    this.upHeld = setTimeout(() => {
      this.upHeld = null;
      this.readFlow();
    }, wait);
    this.readFlow();
  }

  private async udpSend(b: UdpBinding, host: string, port: number, data: Buffer): Promise<void> {
    let address: string;
    try {
      address = await this.relay.check(host, port);
    } catch (e) {
      if (this.streams.get(b.id) === b) this.error(b.id, messageOf(e));
      return;
    }
    if (this.streams.get(b.id) !== b) return;
    if (!b.socket) {
      const socket = dgram.createSocket("udp4");
      b.socket = socket;
      socket.on("message", (msg, rinfo) => {
        const guestHost = b.peers.get(`${rinfo.address}:${rinfo.port}`);
        // Only answers from where the guest sent to: nothing unasked reaches the guest.
        if (guestHost === undefined || this.streams.get(b.id) !== b) return;
        // Over the rate (its VM's or the connection's): dropped, as UDP may be.
        if (b.vm.downHeld || this.downHeld) return;
        this.send(encodeUdpRecv(b.id, guestHost, rinfo.port, msg));
        this.chargeDown(b.vm, msg.length);
      });
      socket.on("error", (e) => {
        if (this.streams.get(b.id) === b) this.error(b.id, errorReason(e));
      });
    }
    b.peers.set(`${address}:${port}`, host);
    b.socket.send(data, port, address);
  }
}
