// "LAN": the VMs of this page that have a network card, on one switch (host/lan-host.ts), with
// each one's station address, DHCP lease, and the frames and bytes it sent and received and the
// frames dropped on the way (a ring that was full). Shown while any VM is on the LAN.
import { formatBytes } from "../host/allocator.ts";
import type { VmManager } from "../host/vm-host.ts";
import type { FrameCounts } from "../shared/frame-ring.ts";
import { useManager } from "./hooks.ts";

function traffic(c: FrameCounts): string {
  return `${c.frames.toLocaleString()} frames, ${formatBytes(c.bytes)}`;
}

export function LanPanel({ manager }: { manager: VmManager }) {
  useManager(manager);
  const lan = manager.lan;
  const ports = lan.info();
  if (ports.length === 0 && !lan.error) return null;
  return (
    <section className="lan" aria-label="LAN" data-testid="lan">
      <h2>LAN</h2>
      <span className="hint">
        10.0.2.0/24 between this page&apos;s VMs; the gateway 10.0.2.2 hands out addresses (DHCP) and answers names (DNS
        10.0.2.3: each VM by its name)
      </span>
      <table>
        <thead>
          <tr>
            <th scope="col">VM</th>
            <th scope="col">MAC</th>
            <th scope="col">Address</th>
            <th scope="col">Sent</th>
            <th scope="col">Received</th>
            <th scope="col">Dropped</th>
          </tr>
        </thead>
        <tbody>
          {ports.map((p) => (
            <tr key={p.id} data-testid="lan-port" data-name={p.name}>
              <td>{p.name}</td>
              <td>
                <code>{p.mac}</code>
              </td>
              <td data-testid="lan-ip">{p.ip ?? "no lease yet"}</td>
              <td data-testid="lan-out">{traffic(p.out)}</td>
              <td data-testid="lan-in">{traffic(p.in)}</td>
              <td
                data-testid="lan-dropped"
                title="frames refused by a full ring: sending (the switch behind) / receiving (the guest behind)"
              >
                {p.out.dropped} / {p.in.dropped}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {lan.error && (
        <p className="vm-error" role="alert">
          {lan.error}
        </p>
      )}
    </section>
  );
}
