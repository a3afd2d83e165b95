// One VM's card: its state in plain words (and why it stopped, with the technical detail behind
// "Details"), one row of controls (icon buttons named by aria-label and title: pause/resume,
// reset, Ctrl+Alt+Del, mouse, floppy, snapshot/download/share, then CPU share, RAM and close),
// the main view (Screen or COM1 Console, see VmViews) and live stats.
import { EXIT_NAMES } from "@x86vm/core";
import { useRef, useState } from "react";
import { formatBytes, totalOf } from "../host/allocator.ts";
import { firmwareLabel, readUserFile } from "../host/catalog.ts";
import { MAX_VM_MEMORY_MIB, NIC_LABELS, type VmHandle } from "../host/vm-host.ts";
import { messageOf } from "../shared/message.ts";
import type { MediaRole } from "../shared/protocol.ts";
import { useVm } from "./hooks.ts";
import { captureMouse } from "./Screen.tsx";
import { nextStep, plainReason, statusWords } from "./status.ts";
import { CloseIcon, EjectIcon, FloppyIcon, KeysIcon, MouseIcon, PauseIcon, PlayIcon, ResetIcon } from "./icons.tsx";
import { useSnapshotBar } from "./VmSnapshotBar.tsx";
import { VmViews } from "./VmViews.tsx";

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "-";
}

/** 1234567 -> "1.2M", 45300 -> "45.3k". */
function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

export function VmPanel({ vm }: { vm: VmHandle }) {
  useVm(vm);
  const panel = useRef<HTMLElement>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [shareText, setShareText] = useState<string | null>(null);
  const [memText, setMemText] = useState<string | null>(null);
  const snapshots = useSnapshotBar(vm);
  const act = (f: () => Promise<unknown> | unknown) => async () => {
    setActionError(null);
    try {
      await f();
    } catch (e) {
      setActionError(messageOf(e));
    }
  };

  const resize = act(async () => {
    if (memText === null) return;
    await vm.resizeMemory(Number(memText));
    setMemText(null);
  });

  const failed = vm.status === "failed";
  const paused = vm.paused;
  const words = statusWords(vm);
  const held = vm.held;
  const overlay = vm.details?.overlayBytes ?? 0;
  const r = vm.rates;
  const c = vm.counters();
  const exits = EXIT_NAMES.map((n, i) => [n, r.exitsPerSecond[i] ?? 0] as const).filter(([, v]) => v > 0);
  const floppy = vm.details?.media.find((m) => m.role === "fda");
  // The machine's card (the worker says, for a resumed snapshot too); before it does, the request's.
  const onLan = vm.request.net !== undefined && vm.request.net !== "none" && vm.request.nic !== "none";
  const nic = vm.details ? vm.details.nic : onLan ? (vm.request.nic ?? "ne2k-pci") : null;

  const insert = (role: MediaRole) => async (e: React.ChangeEvent<HTMLInputElement>) => {
    const file = e.currentTarget.files?.[0];
    e.currentTarget.value = "";
    if (file) await act(async () => vm.insertMedia(await readUserFile(file, role)))();
  };

  return (
    <section className={`vm ${vm.status}`} ref={panel} data-testid="vm-panel" data-vm-id={vm.id} aria-label={vm.name}>
      <header className="vm-head">
        <h2>{vm.name}</h2>
        <span className="guest">{vm.request.guest}</span>
        <span className="firmware" data-testid="vm-firmware" title="The firmware this VM runs">
          {firmwareLabel(vm.details?.media ?? vm.request.media)}
        </span>
        {nic && nic !== "none" && (
          <span className="nic" data-testid="vm-nic" data-nic={nic} title="The network card">
            {NIC_LABELS[nic]}
          </span>
        )}
        {words.kind === "paused" ? (
          <button
            className="state state-paused"
            data-testid="vm-state"
            data-state={vm.status}
            onClick={act(() => vm.resume())}
          >
            {words.text}
          </button>
        ) : (
          <span className={`state state-${words.kind}`} data-testid="vm-state" data-state={vm.status} role="status">
            {words.text}
          </span>
        )}
      </header>

      {vm.error && (
        <div className="vm-error" role="alert" data-testid="vm-error">
          <p className="plain">
            This VM stopped: {plainReason(vm.error)}. {nextStep(vm.error)}
          </p>
          <details>
            <summary>Details</summary>
            <pre data-testid="vm-error-detail">{vm.error}</pre>
          </details>
        </div>
      )}

      <div className="toolbar" role="toolbar" aria-label={`${vm.name} controls`} data-testid="toolbar">
        {paused ? (
          <button
            className="icon"
            onClick={act(() => vm.resume())}
            disabled={failed}
            aria-label="Resume"
            title="Resume: run the guest again"
          >
            <PlayIcon />
          </button>
        ) : (
          <button
            className="icon"
            onClick={act(() => vm.pause())}
            disabled={failed}
            aria-label="Pause"
            title="Pause: stop the guest's CPU and clock for now"
          >
            <PauseIcon />
          </button>
        )}
        <button
          className="icon"
          onClick={act(() => vm.reset())}
          aria-label="Reset"
          title="Reset: power cycle, a fresh machine with the same memory, media and disk contents"
        >
          <ResetIcon />
        </button>
        <button
          className="icon"
          onClick={act(() => vm.ctrlAltDel())}
          disabled={failed || paused}
          aria-label="Ctrl+Alt+Del"
          title="Send Ctrl+Alt+Del to the guest (the browser keeps those keys for itself)"
        >
          <KeysIcon />
        </button>
        <button
          className="icon"
          onClick={() => captureMouse(panel.current)}
          disabled={failed || paused}
          aria-label="Capture mouse"
          title="Capture mouse: the mouse goes to the guest until Esc"
        >
          <MouseIcon />
        </button>
        <span className="sep" aria-hidden="true" />
        <label className="button-like icon" title="Insert a floppy image in drive A:">
          <FloppyIcon />
          <input
            type="file"
            className="visually-hidden"
            onChange={insert("fda")}
            data-testid="insert-fda"
            aria-label="Insert a floppy image in drive A:"
          />
        </label>
        <button
          className="icon"
          onClick={act(() => vm.ejectMedia("fda"))}
          disabled={!floppy}
          aria-label="Eject A:"
          title="Eject: take the floppy out of drive A:"
        >
          <EjectIcon />
        </button>
        <span className="sep" aria-hidden="true" />
        {snapshots.buttons}
        <span className="sep" aria-hidden="true" />
        <label className="share" title="The VM's share of one host core, in percent">
          CPU
          <input
            type="range"
            aria-label="CPU share, percent of one host core"
            min={1}
            max={100}
            step={1}
            value={vm.cpuShare}
            data-testid="cpu-share-range"
            onChange={(e) => act(() => vm.setCpuShare(Number(e.currentTarget.value)))()}
          />
          <input
            type="number"
            min={1}
            max={100}
            className="share-num"
            aria-label="CPU share in percent"
            data-testid="cpu-share"
            value={shareText ?? String(vm.cpuShare)}
            onChange={(e) => setShareText(e.currentTarget.value)}
            onBlur={() => {
              if (shareText !== null) void act(() => vm.setCpuShare(Number(shareText)))();
              setShareText(null);
            }}
            onKeyDown={(e) => {
              if (e.key === "Enter") e.currentTarget.blur();
            }}
          />
          %
        </label>
        <label className="mem" title="The guest's RAM; another amount restarts the VM">
          RAM
          <input
            type="number"
            min={1}
            aria-label="RAM in MiB"
            data-testid="vm-memory"
            value={memText ?? String(vm.memoryMiB)}
            onChange={(e) => setMemText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter") void resize();
            }}
          />
          MiB
        </label>
        {memText !== null && Number(memText) !== vm.memoryMiB && Number(memText) <= MAX_VM_MEMORY_MIB && (
          <button data-testid="vm-resize" onClick={() => void resize()}>
            Resize and restart
          </button>
        )}
        {memText !== null && Number(memText) > MAX_VM_MEMORY_MIB && (
          <span className="field-message" data-testid="vm-memory-message">
            A VM can have at most {MAX_VM_MEMORY_MIB} MiB here.
          </span>
        )}
        <button
          className="icon danger end"
          onClick={act(() => vm.destroy())}
          data-testid="destroy"
          aria-label={failed ? "Close" : "Destroy"}
          title={failed ? "Close: remove this stopped VM" : "Destroy: stop this VM and give its memory back"}
        >
          <CloseIcon />
        </button>
      </div>
      {snapshots.info}

      <VmViews vm={vm} failed={failed} paused={paused && vm.status !== "failed"} />

      {actionError && (
        <div className="vm-error" role="alert" data-testid="vm-action-error">
          {actionError}
        </div>
      )}
      {vm.notices.length > 0 && <div className="notices">{vm.notices[vm.notices.length - 1]}</div>}

      <details className="vm-details" data-testid="vm-details">
        <summary>Details</summary>
        <dl className="stats" data-testid="vm-stats">
          <div>
            <dt>Guest instructions per second (millions)</dt>
            <dd data-testid="mips">{fmt(r.mips)}</dd>
          </div>
          <div>
            <dt>Guest time per host second</dt>
            <dd
              title={`By the guest's own clock. 1.00: it keeps pace with yours; now ${fmt(r.clockLagMs, 0)} ms behind`}
              data-testid="time-ratio"
            >
              {fmt(r.timeRatio, 2)} s{r.clockLostMs >= 1 && ` (${fmt(r.clockLostMs / 1000, 1)} s skipped)`}
            </dd>
          </div>
          <div>
            <dt>Host CPU used, of this VM&apos;s share</dt>
            <dd>
              {fmt(r.cpuPercent, 0)}% of {vm.cpuShare}%
            </dd>
          </div>
          <div>
            <dt>Host memory held</dt>
            <dd
              title={`RAM ${formatBytes(held.ram)}, buffers ${formatBytes(held.buffers)}, images ${formatBytes(held.media)}, disk writes ${formatBytes(overlay)}`}
            >
              {formatBytes(totalOf(held) + overlay)} (guest RAM {formatBytes(held.ram)}, images{" "}
              {formatBytes(held.media)}, disk writes {formatBytes(overlay)})
            </dd>
          </div>
          <div>
            <dt>Instructions run since the VM started</dt>
            <dd>{(c.instret / 1e6).toFixed(1)} million</dd>
          </div>
        </dl>
        <div className="exits" data-testid="exits">
          <span className="label">Exits to the emulator per second, by reason:</span>
          {exits.length === 0 ? (
            <span>none</span>
          ) : (
            exits.map(([n, v]) => (
              <span key={n}>
                <span className="label">{n}</span> {compact(v)}
              </span>
            ))
          )}
        </div>
        {vm.details && Object.keys(vm.details.unsupportedBios).length > 0 && (
          <p className="notices" data-testid="unsupported-bios">
            BIOS services the guest asked for that are not implemented (times asked):{" "}
            {Object.entries(vm.details.unsupportedBios)
              .map(([k, n]) => `${k} ×${n}`)
              .join(", ")}
          </p>
        )}
      </details>
    </section>
  );
}
