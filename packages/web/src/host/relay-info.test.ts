import { describe, expect, it } from "vitest";
import { fetchRelayInfo, relaySummary } from "./relay-info.ts";

const json = (body: unknown, status = 200) =>
  (async () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "Content-Type": "application/json; charset=utf-8" },
    })) as unknown as typeof fetch;

describe("relay info", () => {
  it("reads the server's /net/config", async () => {
    const on = { enabled: true, allow: ["127.0.0.1:8080"], rateBytesPerSecond: 1_000_000, maxStreams: 64 };
    expect(await fetchRelayInfo(json(on))).toEqual(on);
    expect(relaySummary(on)).toBe(
      "Guests reach 127.0.0.1:8080 through the server (10.0.2.2 is its loopback), at 1 MB/s per VM.",
    );
  });

  it("is off, with the reason, when the server has no relay or it is off", async () => {
    const html = (async () =>
      new Response("<html>", { headers: { "Content-Type": "text/html" } })) as unknown as typeof fetch;
    const dev = await fetchRelayInfo(html);
    expect(dev.enabled).toBe(false);
    expect(dev.reason).toMatch(/no network relay/);
    const down = await fetchRelayInfo((async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof fetch);
    expect(down.reason).toBe("the server did not answer (Failed to fetch)");
    const off = await fetchRelayInfo(json({ enabled: false, reason: "off here", allow: [] }));
    expect(relaySummary(off)).toBe("off here");
    expect((await fetchRelayInfo(json({ nope: 1 }))).reason).toMatch(/not readable/);
  });

  it("shortens a long list", () => {
    const allow = ["a:1", "b:2", "c:3", "d:4", "e:5", "f:6"];
    expect(relaySummary({ enabled: true, allow, rateBytesPerSecond: 250_000, maxStreams: 8 })).toBe(
      "Guests reach a:1, b:2, c:3, d:4 and 2 more through the server (10.0.2.2 is its loopback), at 250 kB/s per VM.",
    );
  });
});
