// "Saved disks": what the guests wrote to their drives, kept in this browser (saved-disks.ts).
// One line per VM: its drives and how much was written, with Resume (the VM again, disks as
// they were), a download of each drive as an image with the writes in it, and Delete. After a
// reload the panel says first that the writes of before were kept.
import { useSyncExternalStore } from "react";
import { formatBytes } from "../host/allocator.ts";
import { changedName, type SavedDisks } from "../host/saved-disks.ts";
import { downloadBytes } from "../host/snapshots.ts";
import { MEDIA_ROLE_NAMES } from "../shared/protocol.ts";
import { DownloadIcon } from "./icons.tsx";
import { useAction } from "./hooks.ts";

export function SavedDisksPanel({ saved }: { saved: SavedDisks }) {
  useSyncExternalStore(
    (fn) => saved.subscribe(fn),
    () => saved.version,
  );
  const { busy, error, act } = useAction();
  if (saved.records.length === 0 && !saved.error) return null;

  return (
    <section className="saved-disks" aria-label="Saved disks" data-testid="saved-disks">
      <h2>Saved disks</h2>
      <span className="hint">
        What your VMs write to their disks is kept in this browser: resume a VM with its disks as they were, download a
        disk as an image, or delete it.
      </span>
      {saved.fromBefore > 0 && (
        <p className="saved-offer" role="status" data-testid="saved-offer">
          {saved.fromBefore === 1 ? "A VM's disk writes from" : `${saved.fromBefore} VMs' disk writes from`} before were
          kept: Resume goes on where {saved.fromBefore === 1 ? "its disks were" : "their disks were"}.
        </p>
      )}
      <ul className="saved-list">
        {saved.records.map((r) => {
          const used = saved.inUse(r.id);
          const drives = r.media.filter((m) => m.sectors > 0);
          return (
            <li key={r.id} data-testid="saved-vm" data-id={r.id}>
              <strong>{r.vmName}</strong>
              <span className="hint">
                {r.guest}, saved {new Date(r.savedAt).toLocaleString()}
              </span>
              {drives.map((m) => (
                <span key={m.role} className="saved-drive" data-testid={`saved-drive-${m.role}`}>
                  {formatBytes(m.sectors * 512)} written to {MEDIA_ROLE_NAMES[m.role]}
                  <button
                    className="icon"
                    aria-label={`Download ${MEDIA_ROLE_NAMES[m.role]} of ${r.vmName} with its writes`}
                    title={`Download ${changedName(m.name)}: ${m.name} with what the guest wrote to it`}
                    data-testid={`saved-export-${m.role}`}
                    disabled={busy !== null}
                    onClick={act("Preparing the image…", async () => {
                      const { name, bytes } = await saved.exportImage(r.id, m.role);
                      downloadBytes(bytes.buffer as ArrayBuffer, name);
                    })}
                  >
                    <DownloadIcon />
                  </button>
                </span>
              ))}
              <span className="saved-actions">
                <button
                  data-testid="saved-resume"
                  disabled={busy !== null || used}
                  title={used ? "This VM is running on the page now" : "Make this VM again, its disks as they were"}
                  onClick={act("Resuming…", () => saved.resume(r.id))}
                >
                  {used ? "Running" : "Resume"}
                </button>
                <button
                  className="danger"
                  data-testid="saved-delete"
                  disabled={busy !== null}
                  title="Forget what this VM wrote to its disks"
                  onClick={act("Deleting…", () => saved.remove(r.id))}
                >
                  Delete
                </button>
              </span>
            </li>
          );
        })}
      </ul>
      {busy && <span className="hint">{busy}</span>}
      {(error ?? saved.error) && (
        <p className="vm-error" role="alert" data-testid="saved-error">
          {error ?? saved.error}
        </p>
      )}
    </section>
  );
}
