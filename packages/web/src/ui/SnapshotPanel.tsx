// "Open snapshot": a snapshot file from the user's disk (or a share link the page was opened
// with) resumes in a new VM. The panel says what is happening, the one-line reason when a
// snapshot is refused, and which base images a snapshot still needs, with a file input each.
import { useSyncExternalStore } from "react";
import { describeNeed, type OpeningStage, type SnapshotOpener } from "../host/snapshots.ts";
import { SNAPSHOT_SUFFIX } from "../shared/snapshot-limits.ts";
import { ProgressLine } from "./Progress.tsx";

/** The steps of an opening, by where the snapshot comes from. */
function stagesOf(source: SnapshotOpener["source"]): [OpeningStage, string][] {
  const rest: [OpeningStage, string][] = [
    ["check", "Check"],
    ["restore", "Restore"],
  ];
  if (source === "file") return [["read", "Read"], ...rest];
  if (source === "link") return [["download", "Download"], ...rest];
  return rest;
}

const PROGRESS_LABELS: Partial<Record<OpeningStage, string>> = {
  read: "Reading the snapshot file",
  download: "Downloading the snapshot",
  restore: "Resuming the machine",
};

export function SnapshotPanel({ opener }: { opener: SnapshotOpener }) {
  useSyncExternalStore(
    (fn) => opener.subscribe(fn),
    () => opener.version,
  );
  const pending = opener.pending;

  const open = async (e: React.ChangeEvent<HTMLInputElement>) => {
    const file = e.currentTarget.files?.[0];
    e.currentTarget.value = "";
    if (file)
      await opener.openFile(file).catch(() => {
        /* shown below */
      });
  };

  const provide = async (e: React.ChangeEvent<HTMLInputElement>) => {
    const file = e.currentTarget.files?.[0];
    e.currentTarget.value = "";
    if (file)
      await opener.provide({ name: file.name, bytes: await file.arrayBuffer() }).catch(() => {
        /* shown below */
      });
  };

  return (
    <section className="snapshots" aria-label="Snapshots">
      <h2>Snapshots</h2>
      <label className="button-like" title="Resume a snapshot file in a new VM">
        Open snapshot…
        <input
          type="file"
          className="visually-hidden"
          aria-label="Open a snapshot file"
          accept={`${SNAPSHOT_SUFFIX},application/octet-stream`}
          onChange={open}
          disabled={opener.busy}
          data-testid="open-snapshot"
        />
      </label>
      <span className="hint">
        A snapshot resumes in a new VM; a share link (this page with <code>?snapshot=</code>) does the same.
      </span>
      {opener.busy && opener.stage && (
        <ol className="stages" aria-label="Opening the snapshot" data-testid="snapshot-stages">
          {stagesOf(opener.source).map(([k, label], i, stages) => {
            const at = stages.findIndex(([s]) => s === opener.stage);
            const state = i < at ? "done" : i === at ? "current" : "todo";
            return (
              <li key={k} className={`stage-${state}`} aria-current={state === "current" ? "step" : undefined}>
                {label}
                {state === "done" ? " ✓" : ""}
              </li>
            );
          })}
        </ol>
      )}
      {opener.busy &&
        opener.stage &&
        PROGRESS_LABELS[opener.stage] &&
        (opener.stage === "download" || opener.progress) && (
          <ProgressLine label={PROGRESS_LABELS[opener.stage]!} progress={opener.progress} testId="snapshot-progress" />
        )}
      {opener.status && (
        <p className="snapshot-status" data-testid="snapshot-open-status">
          {opener.status}
        </p>
      )}
      {opener.error && (
        <p className="vm-error" role="alert" data-testid="snapshot-error">
          {opener.error}
        </p>
      )}
      {pending && pending.missing.length > 0 && (
        <div className="needs" data-testid="snapshot-needs">
          {pending.missing.map((n) => (
            <label key={n.slot} className="need">
              <span>
                Open {describeNeed(n)}: {n.reason}
              </span>
              <input type="file" onChange={provide} disabled={opener.busy} data-testid={`need-${n.slot}`} />
            </label>
          ))}
          <button onClick={() => opener.cancel()} data-testid="snapshot-cancel">
            Cancel
          </button>
        </div>
      )}
    </section>
  );
}
