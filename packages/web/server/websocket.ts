// A small WebSocket (RFC 6455) for the server's network relay: the opening handshake on the
// server side (section 4.2), the framing both ways (section 5), and a client with the browser's
// WebSocket API for Node (Node 20 has none), which the tests use.
//
// Key design choices:
//  - Binary and text messages, fragmented or not, ping/pong and close; no extensions (no
//    compression) and no subprotocols: the relay needs neither.
//  - A frame from a client must be masked (5.1); the server's frames are not. A message larger
//    than `maxMessage` closes the connection with 1009 before its payload is read.
//  - Reading pauses with the socket (pause()/resume()): TCP's window then holds the sender back.

import crypto from "node:crypto";
import http from "node:http";
import type { Duplex } from "node:stream";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
export const OP_CONT = 0x0,
  OP_TEXT = 0x1,
  OP_BINARY = 0x2,
  OP_CLOSE = 0x8,
  OP_PING = 0x9,
  OP_PONG = 0xa;

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key (4.2.2). */
export function acceptKey(key: string): string {
  return crypto
    .createHash("sha1")
    .update(key + GUID)
    .digest("base64");
}

/** One frame: FIN set, the payload masked with `mask` when given (a client's frames). */
export function encodeFrame(opcode: number, payload: Uint8Array, mask?: Uint8Array): Buffer {
  const n = payload.length;
  const lenBytes = n < 126 ? 0 : n < 0x10000 ? 2 : 8;
  const headLen = 2 + lenBytes + (mask ? 4 : 0);
  const out = Buffer.allocUnsafe(headLen + n);
  out[0] = 0x80 | opcode;
  out[1] = (mask ? 0x80 : 0) | (lenBytes === 0 ? n : lenBytes === 2 ? 126 : 127);
  if (lenBytes === 2) out.writeUInt16BE(n, 2);
  else if (lenBytes === 8) out.writeBigUInt64BE(BigInt(n), 2);
  if (mask) {
    out.set(mask, 2 + lenBytes);
    for (let i = 0; i < n; i++) out[headLen + i] = payload[i]! ^ mask[i & 3]!;
  } else out.set(payload, headLen);
  return out;
}

/** A broken frame or message: the connection closes with `code`. */
export class WebSocketError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Turns bytes off the socket into messages and control frames. `requireMask`: the server's
 * side (client frames must be masked); else frames must not be.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private partsOp = -1;

  constructor(
    private readonly requireMask: boolean,
    private readonly maxMessage: number,
    private readonly onFrame: (opcode: number, payload: Buffer) => void,
  ) {}

  /** Feeds bytes; throws WebSocketError on a protocol violation. */
  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      const fin = (b[0]! & 0x80) !== 0;
      if (b[0]! & 0x70) throw new WebSocketError(1002, "reserved bits set (no extension was agreed)");
      const opcode = b[0]! & 0x0f;
      const masked = (b[1]! & 0x80) !== 0;
      if (masked !== this.requireMask)
        throw new WebSocketError(
          1002,
          this.requireMask ? "a client's frame must be masked" : "a server's frame is masked",
        );
      let len = b[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        const big = b.readBigUInt64BE(2);
        if (big > BigInt(this.maxMessage)) throw new WebSocketError(1009, "message too large");
        len = Number(big);
        at = 10;
      }
      const control = opcode >= 8;
      if (control && (len > 125 || !fin)) throw new WebSocketError(1002, "a control frame is fragmented or too long");
      if (!control && this.partsBytes + len > this.maxMessage) throw new WebSocketError(1009, "message too large");
      const keyAt = at;
      if (masked) at += 4;
      if (b.length < at + len) return;
      const payload = Buffer.from(b.subarray(at, at + len));
      if (masked) for (let i = 0; i < len; i++) payload[i]! ^= b[keyAt + (i & 3)]!;
      this.buf = b.subarray(at + len);
      if (control) {
        if (opcode !== OP_CLOSE && opcode !== OP_PING && opcode !== OP_PONG)
          throw new WebSocketError(1002, `unknown opcode ${opcode}`);
        this.onFrame(opcode, payload);
        continue;
      }
      if (opcode === OP_CONT) {
        if (this.partsOp < 0) throw new WebSocketError(1002, "a continuation frame without a message");
      } else if (opcode === OP_TEXT || opcode === OP_BINARY) {
        if (this.partsOp >= 0) throw new WebSocketError(1002, "a new message inside a fragmented one");
        this.partsOp = opcode;
      } else throw new WebSocketError(1002, `unknown opcode ${opcode}`);
      this.parts.push(payload);
      this.partsBytes += len;
      if (fin) {
        const op = this.partsOp;
        const whole = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
        this.parts = [];
        this.partsBytes = 0;
        this.partsOp = -1;
        this.onFrame(op, whole);
      }
    }
  }
}

export interface WebSocketHandlers {
  onMessage(data: Buffer, binary: boolean): void;
  /** Once, when the connection is over (closed by either side, or broken). */
  onClose(code: number, reason: string): void;
}

/** One open WebSocket over a socket, either side. */
export class WebSocketConnection {
  private readonly reader: FrameReader;
  private readonly maskOut: boolean;
  private closing = false;
  private closed = false;
  /** The status this side sent in its close frame, which it also reports. */
  private closeCode = 0;
  private closeReason = "";

  constructor(
    readonly socket: Duplex,
    private readonly handlers: WebSocketHandlers,
    opts: { client: boolean; maxMessage: number; head?: Buffer },
  ) {
    this.maskOut = opts.client;
    this.reader = new FrameReader(!opts.client, opts.maxMessage, (op, payload) => this.frame(op, payload));
    socket.on("data", (chunk: Buffer) => this.feed(chunk));
    socket.on("error", () => this.finish(1006, "connection broken"));
    socket.on("close", () => this.finish(1006, "connection closed without a close frame"));
    if (opts.head && opts.head.length) this.feed(opts.head);
  }

  /** Bytes written but not yet sent by the socket. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  get isOpen(): boolean {
    return !this.closing && !this.closed;
  }

  private feed(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.reader.push(chunk);
    } catch (e) {
      if (!(e instanceof WebSocketError)) throw e;
      this.close(e.code, e.message);
    }
  }

  private frame(op: number, payload: Buffer): void {
    if (this.closed) return;
    if (op === OP_PING) this.write(OP_PONG, payload);
    else if (op === OP_PONG) return;
    else if (op === OP_CLOSE) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      const reason = payload.subarray(2).toString("utf8");
      if (!this.closing) {
        this.closing = true;
        this.write(OP_CLOSE, payload.subarray(0, 2));
      }
      this.socket.end();
      this.finish(code, reason);
    } else if (!this.closing) this.handlers.onMessage(payload, op === OP_BINARY);
  }

  private write(op: number, payload: Uint8Array): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.write(encodeFrame(op, payload, this.maskOut ? crypto.randomBytes(4) : undefined));
  }

  send(data: Uint8Array | string): void {
    if (!this.isOpen) return;
    if (typeof data === "string") this.write(OP_TEXT, Buffer.from(data, "utf8"));
    else this.write(OP_BINARY, data);
  }

  /** Starts the closing handshake; the socket ends after the peer's close frame (or 5 s). */
  close(code = 1000, reason = ""): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    const r = Buffer.from(reason.slice(0, 100), "utf8");
    const p = Buffer.alloc(2 + r.length);
    p.writeUInt16BE(code, 0);
    r.copy(p, 2);
    this.write(OP_CLOSE, p);
    this.socket.resume();
    setTimeout(() => this.socket.destroy(), 5000).unref();
    this.closeCode = code;
    this.closeReason = reason;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (!this.closed) this.socket.resume();
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.closeCode) {
      code = this.closeCode;
      reason = this.closeReason;
    }
    this.socket.destroy();
    this.handlers.onClose(code, reason);
  }
}

/**
 * Completes a client's upgrade request (4.2.1), or answers it with an HTTP error and returns
 * null. `head` is the first bytes after the request, as Node's "upgrade" event gives them.
 */
export function acceptWebSocket(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  handlers: WebSocketHandlers,
  maxMessage: number,
): WebSocketConnection | null {
  const refuse = (status: number, text: string, extra = "") => {
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\n${extra}` +
        `Content-Length: ${Buffer.byteLength(text) + 1}\r\n\r\n${text}\n`,
    );
    return null;
  };
  if (req.method !== "GET") return refuse(405, "a WebSocket opens with GET");
  if ((req.headers.upgrade ?? "").toLowerCase() !== "websocket") return refuse(400, "Upgrade: websocket expected");
  if (req.headers["sec-websocket-version"] !== "13")
    return refuse(426, "WebSocket version 13 only", "Sec-WebSocket-Version: 13\r\n");
  const key = req.headers["sec-websocket-key"];
  if (typeof key !== "string" || Buffer.from(key, "base64").length !== 16)
    return refuse(400, "Sec-WebSocket-Key must be 16 bytes in base64");
  socket.write(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
  );
  if ("setNoDelay" in socket && typeof socket.setNoDelay === "function") socket.setNoDelay(true);
  return new WebSocketConnection(socket, handlers, { client: false, maxMessage, head });
}

/** The parts of the browser's WebSocket that the relay's page side uses. */
export interface BrowserLikeWebSocket {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
}

/**
 * A WebSocket client with the browser's API (readyState, binaryType "arraybuffer", on* handlers),
 * for Node. `origin` is sent as the Origin header, as a browser would.
 */
export class NodeWebSocket implements BrowserLikeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  binaryType = "arraybuffer";
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  private conn: WebSocketConnection | null = null;

  constructor(url: string, opts: { origin?: string; maxMessage?: number } = {}) {
    const u = new URL(url);
    if (u.protocol !== "ws:") throw new Error(`only ws: URLs, got ${url}`);
    const key = crypto.randomBytes(16).toString("base64");
    const req = http.request({
      host: u.hostname,
      port: u.port || 80,
      path: u.pathname + u.search,
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": key,
        ...(opts.origin ? { Origin: opts.origin } : {}),
      },
    });
    const fail = (reason: string) => {
      if (this.readyState === 3) return;
      this.readyState = 3;
      this.onerror?.({ message: reason });
      this.onclose?.({ code: 1006, reason });
    };
    req.on("error", (e) => fail(e.message));
    req.on("response", (res) => {
      res.resume();
      fail(`the server answered ${res.statusCode} instead of upgrading`);
    });
    req.on("upgrade", (res, socket, head) => {
      if (res.headers["sec-websocket-accept"] !== acceptKey(key)) {
        socket.destroy();
        fail("bad Sec-WebSocket-Accept");
        return;
      }
      socket.setNoDelay(true);
      this.conn = new WebSocketConnection(
        socket,
        {
          onMessage: (data, binary) => {
            const ab = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
            this.onmessage?.({ data: binary ? ab : data.toString("utf8") });
          },
          onClose: (code, reason) => {
            this.readyState = 3;
            this.onclose?.({ code, reason });
          },
        },
        { client: true, maxMessage: opts.maxMessage ?? 64 * 1024 * 1024, head },
      );
      this.readyState = 1;
      this.onopen?.({});
    });
    req.end();
  }

  get bufferedAmount(): number {
    return this.conn?.bufferedAmount ?? 0;
  }

  send(data: ArrayBuffer | ArrayBufferView | string): void {
    if (this.readyState !== 1 || !this.conn) throw new Error("the WebSocket is not open");
    if (typeof data === "string") this.conn.send(data);
    else if (data instanceof ArrayBuffer) this.conn.send(new Uint8Array(data));
    else this.conn.send(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    this.conn?.close(code, reason);
  }
}
