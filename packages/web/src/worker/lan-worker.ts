// Entry point of the page's LAN worker: the switch and its gateway (lan-switch.ts). It moves
// frames whenever a VM's worker rings its bell and parks on the bell (Atomics.waitAsync, the
// event loop free for the page's messages) when no port has anything waiting.

import { ControlBlock } from "../shared/control.ts";
import { ringBell, type LanReport, type LanRequest } from "../shared/lan.ts";
import { LanSwitch } from "./lan-switch.ts";
import { LateSockets, RelaySockets } from "./relay-sockets.ts";
import { parkOn, yieldToEvents } from "./wait.ts";

// The gateway's NAT exists from the start and refuses every destination (the guest gets a
// reset) until the page turns the server's relay on for the LAN. Each stream says which VM it
// is for (the port whose frame opened it), so the server's limits hold per VM.
const outside = new LateSockets("the LAN has no way out: no VM on it was given internet through the server");
const sw: LanSwitch = new LanSwitch({
  sockets: {
    connectTcp: (host, port, events) => outside.connectTcp(host, port, events, sw.sender ?? ""),
    openUdp: (events) => outside.openUdp(events, sw.sender ?? ""),
  },
});
let bell: Int32Array | null = null;
let leaseSeen = -1;
let portsSeen = -1;

function report(r: LanReport): void {
  postMessage(r);
}

/** Tells the page the leases when they, or the ports, changed. */
function reportLeases(): void {
  if (sw.leaseVersion === leaseSeen && sw.portCount === portsSeen) return;
  leaseSeen = sw.leaseVersion;
  portsSeen = sw.portCount;
  report({ kind: "leases", leases: sw.leaseList() });
}

/** How often the gateway's NAT timers run while no frame wakes the LAN worker. */
const NAT_TICK_MS = 200;

async function run(b: Int32Array): Promise<void> {
  for (;;) {
    const seen = Atomics.load(b, 0);
    const moved = sw.poll();
    // The gateway's NAT keeps its timers (retransmission, TIME-WAIT) on the clock it is given:
    // here the host's, since the LAN's guests each have their own.
    sw.gateway.poll(performance.now() * 1e6);
    reportLeases();
    if (moved > 0) await yieldToEvents();
    else await parkOn(b, 0, seen, NAT_TICK_MS);
  }
}

/** One WebSocket to the server's relay for the whole LAN, opened on first use. */
function useRelay(url: string): void {
  if (!outside.connected) outside.set(new RelaySockets(url));
}

onmessage = (e: MessageEvent<LanRequest>) => {
  const m = e.data;
  try {
    switch (m.kind) {
      case "init":
        if (bell) return;
        bell = new Int32Array(m.bell, 0, 1);
        if (m.relay) useRelay(m.relay);
        void run(bell);
        return;
      case "add": {
        const ctl = new ControlBlock(m.control);
        sw.addPort({ id: m.id, name: m.name, tx: m.tx, rx: m.rx }, () => ctl.ring());
        break;
      }
      case "remove":
        sw.removePort(m.id);
        break;
      case "relay":
        useRelay(m.url);
        break;
    }
    if (bell) ringBell(bell);
  } catch (err) {
    report({ kind: "error", message: err instanceof Error ? err.message : String(err) });
  }
};
