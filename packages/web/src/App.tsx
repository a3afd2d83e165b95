// The shell: host resources, the new-VM form with the guest catalog, opening snapshots and
// share links, and one panel per VM.
import { HostPanel } from "./ui/HostPanel.tsx";
import { NewVmForm } from "./ui/NewVmForm.tsx";
import { SnapshotPanel } from "./ui/SnapshotPanel.tsx";
import { VmPanel } from "./ui/VmPanel.tsx";
import { useManager } from "./ui/hooks.ts";
import type { SnapshotOpener } from "./host/snapshots.ts";
import type { VmManager } from "./host/vm-host.ts";

export function App({ manager, opener }: { manager: VmManager; opener: SnapshotOpener }) {
  useManager(manager);
  const isolated = globalThis.crossOriginIsolated === true;
  return (
    <main>
      <header className="top">
        <h1>x86vm</h1>
        <span className="tagline">PC virtual machines in your browser</span>
        <span data-testid="isolation" className={isolated ? "ok" : "bad"}>
          {isolated ? "cross-origin isolated" : "not cross-origin isolated"}
        </span>
      </header>
      {!isolated && (
        <p className="vm-error" role="alert">
          This page is not cross-origin isolated, so it cannot share memory with its VM workers. Serve it with the
          Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy headers (<code>pnpm start</code> or{" "}
          <code>pnpm dev</code> do).
        </p>
      )}
      <HostPanel manager={manager} />
      <NewVmForm manager={manager} />
      <SnapshotPanel opener={opener} />
      <div className="vms" data-testid="vms">
        {manager.vms.map((vm) => (
          <VmPanel key={vm.id} vm={vm} />
        ))}
      </div>
    </main>
  );
}
