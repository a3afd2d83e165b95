// Whether this page's server relays the VMs' network to real hosts (server/net-relay.ts): the
// New VM form offers "internet through the server" only when it does, and says why not else.

import { RELAY_CONFIG_PATH, type RelayConfigInfo } from "../shared/net-relay-protocol.ts";

/** The relay's state from GET /net/config; a server without the endpoint has no relay. */
export async function fetchRelayInfo(fetchFn: typeof fetch = fetch): Promise<RelayConfigInfo> {
  const off = (reason: string): RelayConfigInfo => ({
    enabled: false,
    reason,
    allow: [],
    rateBytesPerSecond: 0,
    maxStreams: 0,
  });
  let res: Response;
  try {
    res = await fetchFn(RELAY_CONFIG_PATH, { cache: "no-store" });
  } catch (e) {
    return off(`the server did not answer (${e instanceof Error ? e.message : String(e)})`);
  }
  const type = res.headers.get("Content-Type") ?? "";
  if (!res.ok || !type.startsWith("application/json"))
    return off("this server has no network relay (pnpm start has one; pnpm dev does not)");
  try {
    const info = (await res.json()) as RelayConfigInfo;
    if (typeof info.enabled !== "boolean" || !Array.isArray(info.allow)) throw new Error("not a relay configuration");
    return info;
  } catch (e) {
    return off(`the server's /net/config is not readable (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** One line for the form: what a VM on the relay may reach. */
export function relaySummary(info: RelayConfigInfo): string {
  if (!info.enabled) return info.reason ?? "the server's network relay is off";
  const list =
    info.allow.length > 4
      ? `${info.allow.slice(0, 4).join(", ")} and ${info.allow.length - 4} more`
      : info.allow.join(", ");
  return `Guests reach ${list} through the server (10.0.2.2 is its loopback), at ${formatRate(info.rateBytesPerSecond)} per VM.`;
}

function formatRate(bytesPerSecond: number): string {
  if (bytesPerSecond >= 1e6) return `${+(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
  return `${+(bytesPerSecond / 1e3).toFixed(1)} kB/s`;
}
