// The network relay's wire protocol: how a page's user-mode network (its NAT) asks `pnpm start`
// for TCP streams and UDP datagrams to real hosts, over one WebSocket per page's LAN
// (docs/networking.md has the table). The relay carries streams and datagrams, never raw
// frames: the NAT in the page terminates the guest's TCP itself.
//
// Key design choices:
//  - One binary WebSocket message is one relay message: an opcode byte, a 32-bit stream id
//    (big-endian, chosen by the page, never reused on a connection), then the fields of that
//    opcode. The WebSocket frames the messages, so no length prefix is needed.
//  - Host names and addresses are ASCII with a length byte; reasons are UTF-8 to the end.
//  - TCP and UDP share the id space: one table of streams per connection on the server.
//  - A TCP stream or UDP binding says, when it opens, which VM it is for (the VM's id on the
//    page's LAN, ASCII with a length byte, empty when the page does not say): the server's
//    limits hold per VM as well as per connection.

export const RELAY_PROTOCOL_VERSION = 2;
/** The WebSocket endpoint, and the JSON that says whether the relay is on. */
export const RELAY_PATH = "/net";
export const RELAY_CONFIG_PATH = "/net/config";

/** The relay's WebSocket URL for a page or worker at `href` (same server, ws: or wss:). */
export function relayUrl(href: string): string {
  const u = new URL(RELAY_PATH, href);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  return u.href;
}

/** Page -> server. */
export const TO_SERVER = {
  /** id, port u16, host, vm: open a TCP connection for that VM. */
  TCP_OPEN: 0x01,
  /** id, bytes: data for the remote side. */
  TCP_DATA: 0x02,
  /** id: nothing more will be written (half-close). */
  TCP_END: 0x03,
  /** id: reset, forget the stream. */
  TCP_CLOSE: 0x04,
  /** id: stop reading from the remote side until TCP_RESUME. */
  TCP_PAUSE: 0x05,
  TCP_RESUME: 0x06,
  /** id, vm: a UDP binding (one per guest address and port) for that VM. */
  UDP_OPEN: 0x10,
  /** id, port u16, host, bytes: a datagram. */
  UDP_SEND: 0x11,
  UDP_CLOSE: 0x12,
} as const;

/** Server -> page. */
export const TO_PAGE = {
  /**
   * version u8, rate u32 (bytes/s each way per VM), max streams u16 (per VM), LAN rate u32 and
   * LAN max streams u16 (the whole connection): sent once, first.
   */
  HELLO: 0x80,
  /** id: the TCP connection is up. */
  TCP_OPENED: 0x81,
  /** id, bytes: data from the remote side. */
  TCP_DATA: 0x82,
  /** id: the remote side finished sending. */
  TCP_END: 0x83,
  /** id, reason: the stream failed or was refused (it is gone); for UDP the binding stays. */
  ERROR: 0x84,
  /** id, bytes u32: that many bytes of the page's TCP_DATA went out to the remote side. */
  TCP_SENT: 0x85,
  /** id, port u16, host, bytes: a datagram for a UDP binding, from host:port. */
  UDP_RECV: 0x91,
} as const;

export type ToServerMessage =
  | { op: typeof TO_SERVER.TCP_OPEN; id: number; host: string; port: number; vm: string }
  | { op: typeof TO_SERVER.TCP_DATA; id: number; data: Uint8Array }
  | {
      op:
        | typeof TO_SERVER.TCP_END
        | typeof TO_SERVER.TCP_CLOSE
        | typeof TO_SERVER.TCP_PAUSE
        | typeof TO_SERVER.TCP_RESUME
        | typeof TO_SERVER.UDP_CLOSE;
      id: number;
    }
  | { op: typeof TO_SERVER.UDP_OPEN; id: number; vm: string }
  | { op: typeof TO_SERVER.UDP_SEND; id: number; host: string; port: number; data: Uint8Array };

export type ToPageMessage =
  | {
      op: typeof TO_PAGE.HELLO;
      version: number;
      rate: number;
      maxStreams: number;
      lanRate: number;
      lanMaxStreams: number;
    }
  | { op: typeof TO_PAGE.TCP_OPENED | typeof TO_PAGE.TCP_END; id: number }
  | { op: typeof TO_PAGE.TCP_DATA; id: number; data: Uint8Array }
  | { op: typeof TO_PAGE.ERROR; id: number; reason: string }
  | { op: typeof TO_PAGE.TCP_SENT; id: number; bytes: number }
  | { op: typeof TO_PAGE.UDP_RECV; id: number; host: string; port: number; data: Uint8Array };

/** A message that does not parse. */
export class RelayProtocolError extends Error {}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
const MAX_HOST = 255;
/** The longest VM name a stream may carry. */
export const MAX_VM_NAME = 64;

function head(op: number, id: number, extra: number): { msg: Uint8Array; dv: DataView } {
  const msg = new Uint8Array(5 + extra);
  const dv = new DataView(msg.buffer);
  msg[0] = op;
  dv.setUint32(1, id >>> 0);
  return { msg, dv };
}

function hostBytes(host: string): Uint8Array {
  if (!/^[\x21-\x7e]*$/.test(host)) throw new RelayProtocolError(`host ${JSON.stringify(host)} is not plain ASCII`);
  if (host.length > MAX_HOST) throw new RelayProtocolError(`host name longer than ${MAX_HOST} characters`);
  return utf8.encode(host);
}

/** op id port host [data] */
function addressed(op: number, id: number, host: string, port: number, data?: Uint8Array): Uint8Array {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new RelayProtocolError(`bad port ${port}`);
  const h = hostBytes(host);
  const { msg, dv } = head(op, id, 3 + h.length + (data?.length ?? 0));
  dv.setUint16(5, port);
  msg[7] = h.length;
  msg.set(h, 8);
  if (data) msg.set(data, 8 + h.length);
  return msg;
}

/** A message with only an id. */
export function encodeId(op: number, id: number): Uint8Array {
  return head(op, id, 0).msg;
}

export function encodeData(op: typeof TO_SERVER.TCP_DATA | typeof TO_PAGE.TCP_DATA, id: number, data: Uint8Array) {
  const { msg } = head(op, id, data.length);
  msg.set(data, 5);
  return msg;
}

function vmBytes(vm: string): Uint8Array {
  if (!/^[\x21-\x7e]*$/.test(vm) || vm.length > MAX_VM_NAME)
    throw new RelayProtocolError(`VM name ${JSON.stringify(vm)} is not ${MAX_VM_NAME} plain ASCII characters or fewer`);
  const b = new Uint8Array(1 + vm.length);
  b[0] = vm.length;
  b.set(utf8.encode(vm), 1);
  return b;
}

/** `vm`: which VM of the page the stream is for (its limits on the server are that VM's). */
export function encodeTcpOpen(id: number, host: string, port: number, vm = ""): Uint8Array {
  const a = addressed(TO_SERVER.TCP_OPEN, id, host, port);
  const v = vmBytes(vm);
  const msg = new Uint8Array(a.length + v.length);
  msg.set(a);
  msg.set(v, a.length);
  return msg;
}

export function encodeUdpOpen(id: number, vm = ""): Uint8Array {
  const v = vmBytes(vm);
  const { msg } = head(TO_SERVER.UDP_OPEN, id, v.length);
  msg.set(v, 5);
  return msg;
}

export function encodeUdpSend(id: number, host: string, port: number, data: Uint8Array): Uint8Array {
  return addressed(TO_SERVER.UDP_SEND, id, host, port, data);
}

export function encodeUdpRecv(id: number, host: string, port: number, data: Uint8Array): Uint8Array {
  return addressed(TO_PAGE.UDP_RECV, id, host, port, data);
}

export function encodeError(id: number, reason: string): Uint8Array {
  const r = utf8.encode(reason);
  const { msg } = head(TO_PAGE.ERROR, id, r.length);
  msg.set(r, 5);
  return msg;
}

export function encodeSent(id: number, bytes: number): Uint8Array {
  const { msg, dv } = head(TO_PAGE.TCP_SENT, id, 4);
  dv.setUint32(5, bytes);
  return msg;
}

const HELLO_LENGTH = 14;

export function encodeHello(rate: number, maxStreams: number, lanRate: number, lanMaxStreams: number): Uint8Array {
  const msg = new Uint8Array(HELLO_LENGTH);
  const dv = new DataView(msg.buffer);
  msg[0] = TO_PAGE.HELLO;
  msg[1] = RELAY_PROTOCOL_VERSION;
  dv.setUint32(2, Math.min(rate, 0xffffffff));
  dv.setUint16(6, Math.min(maxStreams, 0xffff));
  dv.setUint32(8, Math.min(lanRate, 0xffffffff));
  dv.setUint16(12, Math.min(lanMaxStreams, 0xffff));
  return msg;
}

/** The VM name at `at` (a length byte and ASCII), which must end the message; none: "". */
function parseVm(msg: Uint8Array, at: number): string {
  if (msg.length === at) return "";
  const len = msg[at]!;
  exactly(msg, at + 1 + len);
  if (len > MAX_VM_NAME) throw new RelayProtocolError(`VM name longer than ${MAX_VM_NAME} characters`);
  return fromUtf8.decode(msg.subarray(at + 1));
}

function parseAddressed(msg: Uint8Array, dv: DataView): { host: string; port: number; rest: number } {
  if (msg.length < 8) throw new RelayProtocolError("message too short for an address");
  const port = dv.getUint16(5);
  const len = msg[7]!;
  if (msg.length < 8 + len) throw new RelayProtocolError("host name runs past the message");
  const host = fromUtf8.decode(msg.subarray(8, 8 + len));
  return { host, port, rest: 8 + len };
}

function idOf(msg: Uint8Array, dv: DataView): number {
  if (msg.length < 5) throw new RelayProtocolError(`message of ${msg.length} bytes has no stream id`);
  return dv.getUint32(1);
}

function exactly(msg: Uint8Array, n: number): void {
  if (msg.length !== n) throw new RelayProtocolError(`opcode ${msg[0]} takes ${n} bytes, got ${msg.length}`);
}

/** Parses a page -> server message; `data` fields are views into `msg`. */
export function decodeToServer(msg: Uint8Array): ToServerMessage {
  if (msg.length === 0) throw new RelayProtocolError("empty message");
  const dv = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const op = msg[0]!;
  const id = idOf(msg, dv);
  switch (op) {
    case TO_SERVER.TCP_OPEN: {
      const a = parseAddressed(msg, dv);
      return { op, id, host: a.host, port: a.port, vm: parseVm(msg, a.rest) };
    }
    case TO_SERVER.TCP_DATA:
      return { op, id, data: msg.subarray(5) };
    case TO_SERVER.TCP_END:
    case TO_SERVER.TCP_CLOSE:
    case TO_SERVER.TCP_PAUSE:
    case TO_SERVER.TCP_RESUME:
    case TO_SERVER.UDP_CLOSE:
      exactly(msg, 5);
      return { op, id };
    case TO_SERVER.UDP_OPEN:
      return { op, id, vm: parseVm(msg, 5) };
    case TO_SERVER.UDP_SEND: {
      const a = parseAddressed(msg, dv);
      return { op, id, host: a.host, port: a.port, data: msg.subarray(a.rest) };
    }
    default:
      throw new RelayProtocolError(`unknown opcode ${op} from the page`);
  }
}

/** Parses a server -> page message; `data` fields are views into `msg`. */
export function decodeToPage(msg: Uint8Array): ToPageMessage {
  if (msg.length === 0) throw new RelayProtocolError("empty message");
  const dv = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const op = msg[0]!;
  if (op === TO_PAGE.HELLO) {
    // An older server's hello is shorter: the version tells the page it cannot use it.
    if (msg.length < 2) throw new RelayProtocolError("hello without a version");
    if (msg[1] !== RELAY_PROTOCOL_VERSION)
      return { op, version: msg[1]!, rate: 0, maxStreams: 0, lanRate: 0, lanMaxStreams: 0 };
    exactly(msg, HELLO_LENGTH);
    return {
      op,
      version: msg[1]!,
      rate: dv.getUint32(2),
      maxStreams: dv.getUint16(6),
      lanRate: dv.getUint32(8),
      lanMaxStreams: dv.getUint16(12),
    };
  }
  const id = idOf(msg, dv);
  switch (op) {
    case TO_PAGE.TCP_OPENED:
    case TO_PAGE.TCP_END:
      exactly(msg, 5);
      return { op, id };
    case TO_PAGE.TCP_DATA:
      return { op, id, data: msg.subarray(5) };
    case TO_PAGE.ERROR:
      return { op, id, reason: fromUtf8.decode(msg.subarray(5)) };
    case TO_PAGE.TCP_SENT:
      exactly(msg, 9);
      return { op, id, bytes: dv.getUint32(5) };
    case TO_PAGE.UDP_RECV: {
      const a = parseAddressed(msg, dv);
      return { op, id, host: a.host, port: a.port, data: msg.subarray(a.rest) };
    }
    default:
      throw new RelayProtocolError(`unknown opcode ${op} from the server`);
  }
}

/** What GET /net/config answers. */
export interface RelayConfigInfo {
  enabled: boolean;
  /** Why the relay is off (when it is), for the page to show. */
  reason?: string;
  /** The destinations a guest may reach (host:port or host:low-high), as configured. */
  allow: string[];
  /** Bytes per second each way, per VM. */
  rateBytesPerSecond: number;
  /** Open TCP streams and UDP bindings per VM. */
  maxStreams: number;
  /** Bytes per second each way for all the VMs of one page's LAN together (one WebSocket). */
  lanRateBytesPerSecond?: number;
  /** Open TCP streams and UDP bindings for all the VMs of one page's LAN together. */
  lanMaxStreams?: number;
}
