// The card of a VM on its way: while a snapshot file or share link is being opened, the VMs area
// shows a card in its place that says which step it is at in plain words, with a real progress
// bar where the bytes are known (the file read, the snapshot's download, a base image fetched
// from the server, the machine's state restored in its worker),
// and, when the snapshot still needs images, that it waits for them (asked for in the Snapshots
// panel). The VM's own card replaces it once the machine is resumed.
import { useSyncExternalStore } from "react";
import type { SnapshotOpener } from "../host/snapshots.ts";
import { ProgressLine } from "./Progress.tsx";

/** The step in plain words. */
function stageWords(opener: SnapshotOpener): string {
  if (!opener.busy) return "Waiting for you to open its images (in Snapshots, above)";
  switch (opener.stage) {
    case "read":
      return `Reading ${opener.label ?? "the file"}`;
    case "download":
      return "Downloading the snapshot";
    case "check":
      return opener.image
        ? `Downloading its image ${opener.image.name}`
        : "Checking the snapshot and finding its images";
    case "restore":
      return "Resuming the machine where it was";
    default:
      return "Asking for the snapshot";
  }
}

export function OpeningCard({ opener }: { opener: SnapshotOpener }) {
  useSyncExternalStore(
    (fn) => opener.subscribe(fn),
    () => opener.version,
  );
  const waiting = !opener.busy && (opener.pending?.missing.length ?? 0) > 0;
  if ((!opener.busy && !waiting) || !opener.label) return null;
  const words = stageWords(opener);
  const bytes = !opener.busy ? null : opener.stage === "check" ? (opener.image?.progress ?? null) : opener.progress;
  return (
    <section
      className="vm opening"
      data-testid="opening-card"
      aria-label={`Opening ${opener.label}`}
      aria-busy={opener.busy}
    >
      <header className="vm-head">
        <h2>{opener.label}</h2>
        <span className="guest">snapshot</span>
        <span
          className={`state ${waiting ? "state-paused" : "state-booting"}`}
          role="status"
          data-testid="opening-state"
        >
          {waiting ? "Waiting for images" : "Opening…"}
        </span>
      </header>
      <div className="opening-body">
        <p
          className="opening-stage"
          data-testid="opening-stage"
          data-stage={opener.busy ? (opener.stage ?? "start") : "waiting"}
        >
          {words}
        </p>
        {bytes ? (
          <ProgressLine label={words} progress={bytes} testId="opening-progress" />
        ) : (
          opener.busy && <progress className="indeterminate" aria-label={words} data-testid="opening-progress-bar" />
        )}
      </div>
    </section>
  );
}
