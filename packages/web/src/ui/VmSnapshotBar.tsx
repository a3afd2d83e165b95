// A VM's snapshot controls: Snapshot (the worker saves the state; the VM runs on), Download (the
// last snapshot as a file), Share (the last snapshot stored on the server, as a link), and for
// a VM with the user's own images, whether those travel inside the snapshot. The three buttons
// go in the card's toolbar (`buttons`); what they did, the link and the image choice go on a
// line below it (`info`, nothing when there is nothing to say).
import { useState, type ReactNode } from "react";
import { formatBytes } from "../host/allocator.ts";
import type { DownloadProgress } from "../host/download.ts";
import { downloadBytes, snapshotFileName } from "../host/snapshots.ts";
import type { ShareResult, VmHandle } from "../host/vm-host.ts";
import { MEDIA_ROLE_NAMES, type MediaRole } from "../shared/protocol.ts";
import { CameraIcon, DownloadIcon, ShareIcon } from "./icons.tsx";
import { useAction } from "./hooks.ts";
import { ProgressLine } from "./Progress.tsx";

export function useSnapshotBar(vm: VmHandle): { buttons: ReactNode; info: ReactNode } {
  const [embed, setEmbed] = useState(false);
  const { busy, error, act } = useAction();
  const [shared, setShared] = useState<ShareResult | null>(null);
  /**
   * The step under way and its bytes: a save (compressed of those to compress, in the worker) or
   * a share's upload (sent of the snapshot's size).
   */
  const [step, setStep] = useState<{ kind: "save" | "upload"; p: DownloadProgress } | null>(null);
  const onSave = (p: DownloadProgress) => setStep({ kind: "save", p });
  const onUpload = (p: DownloadProgress) => setStep({ kind: "upload", p });
  /** Runs f with the step shown while it goes, and cleared after. */
  const stepping = async (f: () => Promise<void>) => {
    setStep(null);
    try {
      await f();
    } finally {
      setStep(null);
    }
  };
  const failed = vm.status === "failed";
  // A failed VM cannot be snapshotted: no choice about its images to offer.
  const own = failed ? [] : (vm.details?.media ?? []).filter((m) => m.url === null);
  const held = vm.snapshot;

  const snapshot = act("Saving the VM's state…", () =>
    stepping(async () => {
      await vm.takeSnapshot(embed, onSave);
      setShared(null);
    }),
  );
  const download = act("Saving the VM's state…", () =>
    stepping(async () => {
      const s = vm.snapshot ?? (await vm.takeSnapshot(embed, onSave));
      downloadBytes(s.bytes, snapshotFileName(vm.name, new Date(s.takenAt)));
    }),
  );
  const share = act(held?.embedUserImages === embed ? "Sharing…" : "Saving the VM's state…", () =>
    stepping(async () => setShared(await vm.share(embed, { save: onSave, upload: onUpload }))),
  );

  const buttons = (
    <>
      <button
        className="icon"
        onClick={snapshot}
        disabled={failed || busy !== null}
        data-testid="snapshot"
        aria-label="Snapshot"
        title="Snapshot: save the VM's state now; it keeps running"
      >
        <CameraIcon />
      </button>
      <button
        className="icon"
        onClick={download}
        disabled={failed || busy !== null}
        data-testid="download-snapshot"
        aria-label="Download snapshot"
        title="Download the last snapshot as a file"
      >
        <DownloadIcon />
      </button>
      <button
        className="icon"
        onClick={share}
        disabled={failed || busy !== null}
        data-testid="share"
        aria-label="Share"
        title="Share: store the last snapshot on this server and make a link to it"
      >
        <ShareIcon />
      </button>
    </>
  );
  const anything = own.length > 0 || busy !== null || held !== null || shared !== null || error !== null;
  const info = anything && (
    <div className="snapshot-bar" data-testid="snapshot-bar">
      {own.length > 0 && (
        <label title="Put your own images inside the snapshot, so that whoever opens it needs nothing else">
          <input
            type="checkbox"
            checked={embed}
            onChange={(e) => setEmbed(e.currentTarget.checked)}
            data-testid="embed-images"
          />
          include my images ({formatBytes(own.reduce((n, m) => n + m.bytes, 0))})
        </label>
      )}
      {busy && !step && (
        // Until the first bytes are counted: a bar that moves without an end, and the step in words.
        <span className="snapshot-busy" data-testid="snapshot-busy">
          <progress aria-label={busy} />
          <span className="hint">{busy}</span>
        </span>
      )}
      {busy && step?.kind === "save" && (
        <ProgressLine label="Saving the VM's state" progress={step.p} testId="save-progress" />
      )}
      {busy && step?.kind === "upload" && (
        <>
          <ProgressLine label="Uploading the snapshot to this server" progress={step.p} testId="share-progress" />
          {step.p.loaded === step.p.total && (
            <span className="hint" data-testid="share-storing">
              Sent; the server is checking and storing it…
            </span>
          )}
        </>
      )}
      {held && !busy && (
        <span className="hint" data-testid="snapshot-status">
          Snapshot {new Date(held.takenAt).toLocaleTimeString()}: {formatBytes(held.bytes.byteLength)}, saved in{" "}
          {held.saveMs.toFixed(0)} ms
          {held.images.some((i) => i.embedded) ? ", with your images" : ""}
        </span>
      )}
      {shared && (
        <div className="share-box">
          <input
            type="text"
            readOnly
            value={shared.url}
            data-testid="share-link"
            onFocus={(e) => e.currentTarget.select()}
            aria-label="Share link"
          />
          <button onClick={() => void navigator.clipboard?.writeText(shared.url).catch(() => {})}>Copy</button>
          {shared.needs.length > 0 && (
            <span className="hint" data-testid="share-needs">
              Whoever opens the link must open{" "}
              {shared.needs.map((n) => `${n.name} (${MEDIA_ROLE_NAMES[n.slot as MediaRole] ?? n.slot})`).join(", ")}{" "}
              too; tick "include my images" to put {shared.needs.length === 1 ? "it" : "them"} in the link.
            </span>
          )}
        </div>
      )}
      {error && (
        <div className="vm-error" role="alert" data-testid="snapshot-action-error">
          {error}
        </div>
      )}
    </div>
  );
  return { buttons, info };
}
