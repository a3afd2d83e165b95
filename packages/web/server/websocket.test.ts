import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  FrameReader,
  NodeWebSocket,
  OP_BINARY,
  OP_CLOSE,
  OP_CONT,
  OP_PING,
  OP_TEXT,
  WebSocketError,
  acceptKey,
  acceptWebSocket,
  encodeFrame,
  type WebSocketConnection,
} from "./websocket.ts";

function frames(requireMask: boolean, max = 1 << 20) {
  const got: [number, string][] = [];
  const r = new FrameReader(requireMask, max, (op, p) => got.push([op, p.toString("latin1")]));
  return { r, got };
}

describe("WebSocket framing (RFC 6455)", () => {
  it("computes the accept key of the RFC's example", () => {
    // RFC 6455 section 1.3.
    expect(acceptKey("dGhlIHNhbXBsZSBub25jZQ==")).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });

  it("reads the RFC's masked 'Hello' frame (5.7)", () => {
    const { r, got } = frames(true);
    r.push(Buffer.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]));
    expect(got).toEqual([[OP_TEXT, "Hello"]]);
  });

  it("writes the RFC's unmasked 'Hello' and the 256-byte and 64 KiB length forms", () => {
    expect([...encodeFrame(OP_TEXT, Buffer.from("Hello"))]).toEqual([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    const f256 = encodeFrame(OP_BINARY, new Uint8Array(256));
    expect([...f256.subarray(0, 4)]).toEqual([0x82, 0x7e, 0x01, 0x00]);
    const f64k = encodeFrame(OP_BINARY, new Uint8Array(65536));
    expect([...f64k.subarray(0, 10)]).toEqual([0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
  });

  it("reassembles fragments split across chunks, with a ping between them", () => {
    const { r, got } = frames(true);
    const mask = Buffer.from([1, 2, 3, 4]);
    const first = encodeFrame(OP_BINARY, Buffer.from("abc"), mask);
    first[0] = OP_BINARY; // FIN clear
    const ping = encodeFrame(OP_PING, Buffer.from("p"), mask);
    const last = encodeFrame(OP_CONT, Buffer.from("x".repeat(300)), mask);
    const all = Buffer.concat([first, ping, last]);
    for (let i = 0; i < all.length; i += 7) r.push(all.subarray(i, i + 7));
    expect(got).toEqual([
      [OP_PING, "p"],
      [OP_BINARY, "abc" + "x".repeat(300)],
    ]);
  });

  it("refuses unmasked client frames, oversized messages and bad sequences", () => {
    expect(() => frames(true).r.push(encodeFrame(OP_BINARY, Buffer.from("a")))).toThrow(/must be masked/);
    const mask = Buffer.from([9, 9, 9, 9]);
    const big = frames(true, 100);
    expect(() => big.r.push(encodeFrame(OP_BINARY, new Uint8Array(101), mask))).toThrow(WebSocketError);
    expect(() => frames(true).r.push(encodeFrame(OP_CONT, Buffer.from("a"), mask))).toThrow(/continuation/);
    const frag = encodeFrame(OP_CLOSE, Buffer.alloc(0), mask);
    frag[0] = OP_CLOSE; // a control frame without FIN
    expect(() => frames(true).r.push(frag)).toThrow(/control frame/);
    expect(() => frames(false).r.push(encodeFrame(OP_TEXT, Buffer.from("a"), mask))).toThrow(/is masked/);
  });
});

describe("WebSocket server and client", () => {
  let server: http.Server | null = null;
  afterEach(async () => {
    if (server) await new Promise((r) => server!.close(r));
    server = null;
  });

  async function echoServer(): Promise<{ url: string; conns: WebSocketConnection[] }> {
    const conns: WebSocketConnection[] = [];
    server = http.createServer((_req, res) => res.end("plain"));
    server.on("upgrade", (req, socket, head) => {
      const c: WebSocketConnection | null = acceptWebSocket(
        req,
        socket,
        head,
        {
          onMessage: (data, binary) => c!.send(binary ? data : data.toString("utf8").toUpperCase()),
          onClose: () => {},
        },
        1 << 20,
      );
      if (c) conns.push(c);
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/x`, conns };
  }

  it("echoes binary and text messages and closes with the code given", async () => {
    const { url } = await echoServer();
    const ws = new NodeWebSocket(url);
    const got: unknown[] = [];
    await new Promise<void>((resolve) => {
      ws.onopen = () => {
        ws.send(new Uint8Array(70000).fill(7));
        ws.send(new Uint8Array([1, 2, 3]));
      };
      ws.onmessage = (ev) => {
        got.push(ev.data);
        if (got.length === 2) resolve();
      };
    });
    expect((got[0] as ArrayBuffer).byteLength).toBe(70000);
    expect(new Uint8Array(got[0] as ArrayBuffer).every((b) => b === 7)).toBe(true);
    expect([...new Uint8Array(got[1] as ArrayBuffer)]).toEqual([1, 2, 3]);
    const closed = new Promise<{ code: number; reason: string }>((r) => (ws.onclose = r));
    ws.close(4000, "bye");
    expect(await closed).toEqual({ code: 4000, reason: "bye" });
    expect(ws.readyState).toBe(3);
  });

  it("answers a request that is not a WebSocket upgrade with an HTTP error", async () => {
    const { url } = await echoServer();
    const port = new URL(url).port;
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request({
        host: "127.0.0.1",
        port,
        path: "/x",
        headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "8" },
      });
      req.on("response", resolve);
      req.on("error", reject);
      req.end();
    });
    expect(res.statusCode).toBe(426);
    expect(res.headers["sec-websocket-version"]).toBe("13");
    res.resume();
  });
});
