import { describe, expect, it } from "vitest";
import {
  RELAY_PROTOCOL_VERSION,
  RelayProtocolError,
  TO_PAGE,
  TO_SERVER,
  decodeToPage,
  decodeToServer,
  encodeData,
  encodeError,
  encodeHello,
  encodeId,
  encodeSent,
  encodeTcpOpen,
  encodeUdpOpen,
  encodeUdpRecv,
  encodeUdpSend,
} from "./net-relay-protocol.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

describe("relay protocol", () => {
  it("lays out TCP_OPEN as opcode, id, port, host length, host, VM length, VM", () => {
    const ascii = (s: string) => [...new TextEncoder().encode(s)];
    const m = encodeTcpOpen(0x01020304, "10.0.2.2", 8080, "vm-2");
    expect([...m]).toEqual([0x01, 1, 2, 3, 4, 0x1f, 0x90, 8, ...ascii("10.0.2.2"), 4, ...ascii("vm-2")]);
    expect(decodeToServer(m)).toEqual({
      op: TO_SERVER.TCP_OPEN,
      id: 0x01020304,
      host: "10.0.2.2",
      port: 8080,
      vm: "vm-2",
    });
    // Without a VM (none named, or a message without the field): "".
    expect([...encodeTcpOpen(1, "h", 80)].slice(-2)).toEqual([0x68, 0]);
    const old = bytes(0x01, 0, 0, 0, 1, 0, 80, 1, 0x68);
    expect(decodeToServer(old)).toEqual({ op: TO_SERVER.TCP_OPEN, id: 1, host: "h", port: 80, vm: "" });
    expect([...encodeUdpOpen(9, "a")]).toEqual([0x10, 0, 0, 0, 9, 1, 0x61]);
    expect(decodeToServer(encodeUdpOpen(9, "a"))).toEqual({ op: TO_SERVER.UDP_OPEN, id: 9, vm: "a" });
    expect(decodeToServer(encodeId(TO_SERVER.UDP_OPEN, 9))).toEqual({ op: TO_SERVER.UDP_OPEN, id: 9, vm: "" });
  });

  it("round-trips every page -> server message", () => {
    const data = bytes(9, 8, 7);
    expect(decodeToServer(encodeData(TO_SERVER.TCP_DATA, 7, data))).toEqual({ op: TO_SERVER.TCP_DATA, id: 7, data });
    for (const op of [
      TO_SERVER.TCP_END,
      TO_SERVER.TCP_CLOSE,
      TO_SERVER.TCP_PAUSE,
      TO_SERVER.TCP_RESUME,
      TO_SERVER.UDP_CLOSE,
    ])
      expect(decodeToServer(encodeId(op, 0xffffffff))).toEqual({ op, id: 0xffffffff });
    expect(decodeToServer(encodeUdpSend(3, "example.org", 53, data))).toEqual({
      op: TO_SERVER.UDP_SEND,
      id: 3,
      host: "example.org",
      port: 53,
      data,
    });
  });

  it("round-trips every server -> page message", () => {
    const data = bytes(1, 2);
    expect(decodeToPage(encodeHello(1_000_000, 64, 4_000_000, 256))).toEqual({
      op: TO_PAGE.HELLO,
      version: RELAY_PROTOCOL_VERSION,
      rate: 1_000_000,
      maxStreams: 64,
      lanRate: 4_000_000,
      lanMaxStreams: 256,
    });
    // A version-1 hello (8 bytes) is read as far as its version, which the page then refuses.
    expect(decodeToPage(bytes(0x80, 1, 0, 0, 0, 0, 0, 0))).toMatchObject({ op: TO_PAGE.HELLO, version: 1 });
    expect(decodeToPage(encodeId(TO_PAGE.TCP_OPENED, 5))).toEqual({ op: TO_PAGE.TCP_OPENED, id: 5 });
    expect(decodeToPage(encodeId(TO_PAGE.TCP_END, 5))).toEqual({ op: TO_PAGE.TCP_END, id: 5 });
    expect(decodeToPage(encodeData(TO_PAGE.TCP_DATA, 5, data))).toEqual({ op: TO_PAGE.TCP_DATA, id: 5, data });
    expect(decodeToPage(encodeError(5, "connexion refusée"))).toEqual({
      op: TO_PAGE.ERROR,
      id: 5,
      reason: "connexion refusée",
    });
    expect(decodeToPage(encodeSent(5, 70000))).toEqual({ op: TO_PAGE.TCP_SENT, id: 5, bytes: 70000 });
    expect(decodeToPage(encodeUdpRecv(6, "10.0.2.2", 5353, data))).toEqual({
      op: TO_PAGE.UDP_RECV,
      id: 6,
      host: "10.0.2.2",
      port: 5353,
      data,
    });
  });

  it("refuses malformed messages with a reason", () => {
    expect(() => decodeToServer(bytes())).toThrow(RelayProtocolError);
    expect(() => decodeToServer(bytes(0x02, 0, 0))).toThrow(/no stream id/);
    expect(() => decodeToServer(bytes(0x77, 0, 0, 0, 1))).toThrow(/unknown opcode 119/);
    expect(() => decodeToServer(bytes(0x03, 0, 0, 0, 1, 0))).toThrow(/takes 5 bytes/);
    // TCP_OPEN whose host length runs past the end.
    expect(() => decodeToServer(bytes(0x01, 0, 0, 0, 1, 0, 80, 9, 65))).toThrow(/runs past/);
    expect(() => decodeToPage(bytes(0x80, RELAY_PROTOCOL_VERSION, 0))).toThrow(/takes 14 bytes/);
    // TCP_OPEN whose VM name runs past the end, or is too long; a VM name with a space.
    expect(() => decodeToServer(bytes(0x01, 0, 0, 0, 1, 0, 80, 1, 65, 3, 65))).toThrow(/takes 13 bytes/);
    expect(() => decodeToServer(new Uint8Array([0x10, 0, 0, 0, 1, 65, ...new Array(65).fill(65)]))).toThrow(
      /longer than 64/,
    );
    expect(() => encodeUdpOpen(1, "my vm")).toThrow(/not 64 plain ASCII/);
    expect(() => encodeTcpOpen(1, "a b", 80)).toThrow(/not plain ASCII/);
    expect(() => encodeTcpOpen(1, "x".repeat(256), 80)).toThrow(/longer than 255/);
    expect(() => encodeTcpOpen(1, "x", 70000)).toThrow(/bad port/);
  });

  it("gives data as a view of the message, without a copy", () => {
    const m = encodeData(TO_SERVER.TCP_DATA, 1, bytes(5, 6, 7));
    const d = decodeToServer(m);
    if (d.op !== TO_SERVER.TCP_DATA) throw new Error("wrong op");
    expect(d.data.buffer).toBe(m.buffer);
    expect(d.data.byteOffset).toBe(5);
  });
});
