// The shell: host resources, the new-VM form with the guest catalog, opening snapshots and
// share links, and one panel per VM. A disk image or snapshot file dropped anywhere on the page
// opens (an image in the New VM form, a snapshot in a new VM); leaving the page while VMs exist
// asks first; Help explains the keys, the card's controls and snapshots.
import { useEffect, useRef, useState } from "react";
import { HelpDialog } from "./ui/HelpDialog.tsx";
import { HostPanel } from "./ui/HostPanel.tsx";
import { LanPanel } from "./ui/LanPanel.tsx";
import { NewVmForm, type DroppedImage } from "./ui/NewVmForm.tsx";
import { OpeningCard } from "./ui/OpeningCard.tsx";
import { SavedDisksPanel } from "./ui/SavedDisksPanel.tsx";
import { SnapshotPanel } from "./ui/SnapshotPanel.tsx";
import { VmPanel } from "./ui/VmPanel.tsx";
import { useManager } from "./ui/hooks.ts";
import type { SavedDisks } from "./host/saved-disks.ts";
import type { SnapshotOpener } from "./host/snapshots.ts";
import type { VmManager } from "./host/vm-host.ts";
import { SNAPSHOT_SUFFIX } from "./shared/snapshot-limits.ts";

const IMAGE_RE = /\.(img|ima|iso|bin|vfd|flp|dsk)$/i;

function hasFiles(e: DragEvent): boolean {
  return e.dataTransfer?.types.includes("Files") ?? false;
}

/** Files dragged over the page: whether it is being dragged over, and what the last drop did. */
function useFileDrop(onFile: (file: File) => void): boolean {
  const [over, setOver] = useState(false);
  const latest = useRef(onFile);
  useEffect(() => {
    latest.current = onFile;
  });
  useEffect(() => {
    let depth = 0;
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth++;
      setOver(true);
    };
    const leave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setOver(false);
    };
    const dragover = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
    };
    const drop = (e: DragEvent) => {
      depth = 0;
      setOver(false);
      const file = e.dataTransfer?.files[0];
      if (!file) return;
      // A file dropped on a file input is that input's.
      if (e.target instanceof HTMLInputElement && e.target.type === "file") return;
      e.preventDefault();
      latest.current(file);
    };
    window.addEventListener("dragenter", enter);
    window.addEventListener("dragleave", leave);
    window.addEventListener("dragover", dragover);
    window.addEventListener("drop", drop);
    return () => {
      window.removeEventListener("dragenter", enter);
      window.removeEventListener("dragleave", leave);
      window.removeEventListener("dragover", dragover);
      window.removeEventListener("drop", drop);
    };
  }, []);
  return over;
}

export function App({ manager, opener, saved }: { manager: VmManager; opener: SnapshotOpener; saved: SavedDisks }) {
  useManager(manager);
  const isolated = globalThis.crossOriginIsolated === true;
  const [helpOpen, setHelpOpen] = useState(false);
  const [dropped, setDropped] = useState<DroppedImage | null>(null);
  const [dropNote, setDropNote] = useState<string | null>(null);
  const form = useRef<HTMLDivElement>(null);
  const vmCount = manager.vms.length;

  // Leaving the page stops every VM: ask first while there are any.
  useEffect(() => {
    if (vmCount === 0) return;
    const ask = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = "Leave this page? Your running VMs will stop.";
      return e.returnValue;
    };
    window.addEventListener("beforeunload", ask);
    return () => window.removeEventListener("beforeunload", ask);
  }, [vmCount]);

  const dragging = useFileDrop((file) => {
    if (file.name.toLowerCase().endsWith(SNAPSHOT_SUFFIX)) {
      setDropNote(null);
      opener.openFile(file).catch(() => {
        /* shown in the Snapshots panel */
      });
    } else if (IMAGE_RE.test(file.name)) {
      setDropNote(null);
      setDropped((d) => ({ file, seq: (d?.seq ?? 0) + 1 }));
      form.current?.scrollIntoView({ block: "nearest" });
    } else {
      setDropNote(
        `${file.name} is neither a disk image (.img, .ima, .iso, .bin) nor a snapshot (${SNAPSHOT_SUFFIX}): nothing was opened.`,
      );
    }
  });

  return (
    <main>
      <header className="top">
        <h1>x86vm</h1>
        <span className="tagline">PC virtual machines in your browser</span>
        <span data-testid="isolation" data-isolated={isolated} className={isolated ? "ok" : "bad"}>
          {isolated ? "Ready: VMs run in their own threads" : "Not ready: VMs cannot start on this page"}
        </span>
        <button
          type="button"
          className="help-button"
          onClick={() => setHelpOpen(true)}
          aria-haspopup="dialog"
          data-testid="help"
          title="Keys, the card's controls, snapshots and share links"
        >
          Help
        </button>
      </header>
      {!isolated && (
        <p className="vm-error" role="alert">
          The browser did not give this page the isolation it needs to share memory with the threads VMs run in
          (cross-origin isolation), so no VM can start. The server must send the headers{" "}
          <code>Cross-Origin-Opener-Policy: same-origin</code> and{" "}
          <code>Cross-Origin-Embedder-Policy: require-corp</code>: serve the page with <code>pnpm start</code> or{" "}
          <code>pnpm dev</code>, which do, and reload.
        </p>
      )}
      {dropNote && (
        <p className="vm-error" role="alert" data-testid="drop-note">
          {dropNote}
        </p>
      )}
      <HostPanel manager={manager} />
      <div ref={form}>
        <NewVmForm manager={manager} dropped={dropped} />
      </div>
      <SnapshotPanel opener={opener} />
      <SavedDisksPanel saved={saved} />
      <LanPanel manager={manager} />
      <div className="vms" data-testid="vms">
        {manager.vms.map((vm) => (
          <VmPanel key={vm.id} vm={vm} />
        ))}
        <OpeningCard opener={opener} />
      </div>
      {dragging && (
        <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
          Drop a disk image (.img, .ima, .iso, .bin) to make a VM with it, or a snapshot ({SNAPSHOT_SUFFIX}) to resume
          it
        </div>
      )}
      <HelpDialog open={helpOpen} onClose={() => setHelpOpen(false)} />
    </main>
  );
}
