// One VM's card: its state in plain words (and why it stopped, with the technical detail behind
// "Details"), toolbar (pause/resume, reset, Ctrl+Alt+Del, CPU share, media, destroy), snapshot
// controls, the main view (Screen or COM1 Console, see VmViews) and live stats.
import { EXIT_NAMES } from "@x86vm/core";
import { useRef, useState } from "react";
import { formatBytes, totalOf } from "../host/allocator.ts";
import { readUserFile } from "../host/catalog.ts";
import type { VmHandle } from "../host/vm-host.ts";
import type { MediaRole } from "../shared/protocol.ts";
import { useVm } from "./hooks.ts";
import { captureMouse } from "./Screen.tsx";
import { plainReason, statusWords } from "./status.ts";
import { VmSnapshotBar } from "./VmSnapshotBar.tsx";
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
  const act = (f: () => Promise<unknown> | unknown) => async () => {
    setActionError(null);
    try {
      await f();
    } catch (e) {
      setActionError(e instanceof Error ? e.message : String(e));
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
            This VM stopped: {plainReason(vm.error)}. Reset starts it again from the beginning; Close removes it.
          </p>
          <details>
            <summary>Details</summary>
            <pre data-testid="vm-error-detail">{vm.error}</pre>
          </details>
        </div>
      )}

      <div className="toolbar" role="toolbar" aria-label={`${vm.name} controls`}>
        {paused ? (
          <button onClick={act(() => vm.resume())} disabled={failed}>
            Resume
          </button>
        ) : (
          <button onClick={act(() => vm.pause())} disabled={failed}>
            Pause
          </button>
        )}
        <button onClick={act(() => vm.reset())} title="Power cycle: a fresh machine with the same memory and media">
          Reset
        </button>
        <button onClick={act(() => vm.ctrlAltDel())} disabled={failed || paused}>
          Ctrl+Alt+Del
        </button>
        <button
          onClick={() => captureMouse(panel.current)}
          disabled={failed || paused}
          title="Mouse goes to the guest until Esc"
        >
          Capture mouse
        </button>
        <label className="share">
          CPU
          <input
            type="range"
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
        <label className="button-like" title="Insert a floppy image in drive A:">
          Floppy A:…
          <input type="file" hidden onChange={insert("fda")} data-testid="insert-fda" />
        </label>
        <button onClick={act(() => vm.ejectMedia("fda"))} disabled={!floppy}>
          Eject A:
        </button>
        <label className="mem" title="Another amount of RAM restarts the VM">
          RAM
          <input
            type="number"
            min={1}
            max={3072}
            data-testid="vm-memory"
            value={memText ?? String(vm.memoryMiB)}
            onChange={(e) => setMemText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter") void resize();
            }}
          />{" "}
          MiB
        </label>
        {memText !== null && Number(memText) !== vm.memoryMiB && (
          <button data-testid="vm-resize" onClick={() => void resize()}>
            Resize and restart
          </button>
        )}
        <button className="danger" onClick={act(() => vm.destroy())} data-testid="destroy">
          {failed ? "Close" : "Destroy"}
        </button>
      </div>
      <VmSnapshotBar vm={vm} />

      <VmViews vm={vm} failed={failed} paused={paused && vm.status !== "failed"} />

      {actionError && (
        <div className="vm-error" role="alert" data-testid="vm-action-error">
          {actionError}
        </div>
      )}
      {vm.notices.length > 0 && <div className="notices">{vm.notices[vm.notices.length - 1]}</div>}

      <dl className="stats" data-testid="vm-stats">
        <div>
          <dt>MIPS</dt>
          <dd data-testid="mips">{fmt(r.mips)}</dd>
        </div>
        <div>
          <dt>guest/host time</dt>
          <dd>{fmt(r.timeRatio, 2)}</dd>
        </div>
        <div>
          <dt>CPU</dt>
          <dd>
            {fmt(r.cpuPercent, 0)}% of {vm.cpuShare}%
          </dd>
        </div>
        <div>
          <dt>memory</dt>
          <dd
            title={`RAM ${formatBytes(held.ram)}, buffers ${formatBytes(held.buffers)}, images ${formatBytes(held.media)}, disk writes ${formatBytes(overlay)}`}
          >
            {formatBytes(totalOf(held) + overlay)}
          </dd>
        </div>
        <div>
          <dt>instructions</dt>
          <dd>{(c.instret / 1e6).toFixed(1)} M</dd>
        </div>
      </dl>
      <div className="exits" data-testid="exits">
        <span className="label">exits/s</span>
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
        <p className="notices">
          BIOS calls not implemented:{" "}
          {Object.entries(vm.details.unsupportedBios)
            .map(([k, n]) => `${k} ×${n}`)
            .join(", ")}
        </p>
      )}
    </section>
  );
}
