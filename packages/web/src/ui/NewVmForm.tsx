// The guest catalog and the "new VM" form: a guest from the server's catalog, or the user's
// own image (floppy, hard disk, CD, or a Linux kernel with an initrd) opened from disk, and the
// firmware it runs: the built-in BIOS or the server's SeaBIOS (docs/firmware.md).
import { useEffect, useRef, useState } from "react";
import { PC_MEDIA_SLOTS } from "@x86vm/devices";
import { AllocationRefused, formatBytes, MiB } from "../host/allocator.ts";
import {
  fetchCatalog,
  fetchGuestMedia,
  firmwareEntry,
  firmwareProblem,
  guessImageKind,
  joinDownloads,
  readUserFile,
  type DownloadProgress,
  type DownloadSet,
  type FirmwareChoice,
  type OwnImageKind,
} from "../host/catalog.ts";
import {
  MAX_VM_MEMORY_MIB,
  NIC_LABELS,
  VM_BUFFER_BYTES,
  type VmManager,
  type VmNet,
  type VmNic,
} from "../host/vm-host.ts";
import type { Catalog } from "../shared/catalog.ts";
import { messageOf } from "../shared/message.ts";
import type { MediaFile } from "../shared/protocol.ts";
import { SNAPSHOT_SUFFIX } from "../shared/snapshot-limits.ts";
import { ProgressLine } from "./Progress.tsx";
import { fetchRelayInfo, relaySummary } from "../host/relay-info.ts";
import type { RelayConfigInfo } from "../shared/net-relay-protocol.ts";

const OWN = "own";
const KIND_LABELS: Record<OwnImageKind, string> = {
  floppy: "floppy image (A:)",
  hdd: "hard disk image",
  cdrom: "CD image (.iso)",
  linux: "Linux kernel + initrd",
};

/** An image file dropped on the page, for the form's "your own image" (seq tells two drops apart). */
export interface DroppedImage {
  file: File;
  seq: number;
}

/** Why `memory` (the field's text) cannot be had, or null when it can. */
function memoryProblem(text: string, manager: VmManager): string | null {
  const mib = Number(text);
  if (text.trim() === "" || !Number.isInteger(mib) || mib < 1)
    return "Memory must be a whole number of MiB, 1 or more.";
  if (mib > MAX_VM_MEMORY_MIB)
    return `A VM can have at most ${MAX_VM_MEMORY_MIB} MiB (${formatBytes(MAX_VM_MEMORY_MIB * MiB)}) here; give it less.`;
  const free = manager.allocator.free;
  if (mib * MiB + VM_BUFFER_BYTES > free)
    return `Only ${formatBytes(free)} of the host budget is free: raise the budget above, destroy a VM, or give this VM less.`;
  return null;
}

export function NewVmForm({ manager, dropped }: { manager: VmManager; dropped?: DroppedImage | null }) {
  const [catalog, setCatalog] = useState<Catalog | null>(null);
  const [catalogError, setCatalogError] = useState<string | null>(null);
  const [choice, setChoice] = useState<string>("");
  const [kind, setKind] = useState<OwnImageKind>("floppy");
  const [image, setImage] = useState<File | null>(null);
  const [initrd, setInitrd] = useState<File | null>(null);
  const [cmdline, setCmdline] = useState("console=ttyS0");
  const [memory, setMemory] = useState("32");
  const [share, setShare] = useState("100");
  const [name, setName] = useState("");
  const [firmware, setFirmware] = useState<FirmwareChoice>("builtin");
  const [net, setNet] = useState<VmNet>("none");
  const [nic, setNic] = useState<VmNic>("ne2k-pci");
  const [relay, setRelay] = useState<RelayConfigInfo | null>(null);
  const [apic, setApic] = useState(true);
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<{ label: string; p: DownloadProgress | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [droppedNote, setDroppedNote] = useState<string | null>(null);

  useEffect(() => {
    void fetchRelayInfo().then(setRelay);
  }, []);

  useEffect(() => {
    fetchCatalog().then(
      (c) => {
        setCatalog(c);
        const first = c.entries.find((e) => e.available);
        setChoice((cur) => cur || (first ? first.id : OWN));
        if (first) setMemory(String(first.memoryMiB));
      },
      (e: unknown) => {
        setCatalogError(messageOf(e));
        setChoice((cur) => cur || OWN);
      },
    );
  }, []);

  // A disk image dropped on the page: the form's own image, ready to create.
  useEffect(() => {
    if (!dropped) return;
    const f = dropped.file;
    setChoice(OWN);
    setImage(f);
    const k = guessImageKind(f.name, f.size);
    setKind(k);
    setError(null);
    setDroppedNote(
      `${f.name} (${formatBytes(f.size)}) is ready as your own image, a ${KIND_LABELS[k]}: check the kind and memory, then Create.`,
    );
  }, [dropped]);

  // The file input shows the image the form holds (a dropped one too).
  const imageInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const input = imageInput.current;
    if (!input || !image || input.files?.[0] === image) return;
    const dt = new DataTransfer();
    dt.items.add(image);
    input.files = dt.files;
  }, [image, choice]);

  const entry = catalog?.entries.find((e) => e.id === choice);
  const memoryMessage = memoryProblem(memory, manager);
  const bootsKernel = choice === OWN ? kind === "linux" : (entry?.files.some((f) => f.role === "kernel") ?? false);
  const seabios = catalog?.firmware?.find((f) => f.id === "seabios");
  const seabiosProblem = firmwareProblem(catalog, "seabios", bootsKernel);
  // A guest SeaBIOS cannot boot (a kernel file) goes back to the built-in BIOS.
  useEffect(() => {
    if (seabiosProblem && catalog) setFirmware("builtin");
  }, [seabiosProblem, catalog]);

  const pick = (id: string) => {
    setChoice(id);
    setError(null);
    const e = catalog?.entries.find((x) => x.id === id);
    if (e) setMemory(String(e.memoryMiB));
  };

  const onImage = (f: File | null) => {
    setImage(f);
    setDroppedNote(null);
    if (f) setKind(guessImageKind(f.name, f.size));
  };

  const create = async () => {
    setError(null);
    setBusy(true);
    try {
      let media: MediaFile[];
      let guest: string;
      let cmd: string | undefined;
      if (firmware !== "builtin") {
        const problem = firmwareProblem(catalog, firmware, bootsKernel);
        if (problem) throw new Error(`SeaBIOS cannot be used: ${problem}`);
      }
      const fw: DownloadSet | null = firmware === "builtin" || !catalog ? null : firmwareEntry(catalog, firmware);
      if (choice === OWN) {
        if (!image) throw new Error(kind === "linux" ? "choose a kernel file" : "choose an image file");
        guest = image.name;
        if (kind === "linux") {
          media = [await readUserFile(image, "kernel")];
          if (initrd) {
            media.push(await readUserFile(initrd, "initrd"));
            guest += ` + ${initrd.name}`;
          }
          cmd = cmdline;
        } else {
          // The board's first slot of that kind: floppy A:, hard disk 0, the CD drive.
          const slot = PC_MEDIA_SLOTS.find((s) => s.kind === kind)!.slot;
          media = [await readUserFile(image, slot)];
        }
        if (fw) {
          const label = `Downloading ${fw.title}`;
          setProgress({ label, p: null });
          media.push(...(await fetchGuestMedia(fw, (p) => setProgress({ label, p }))));
        }
      } else {
        if (!entry) throw new Error("choose a guest");
        const what = fw ? joinDownloads(entry, fw) : entry;
        const label = `Downloading ${what.title}`;
        setProgress({ label, p: null });
        media = await fetchGuestMedia(what, (p) => setProgress({ label, p }));
        setProgress({ label: `Starting ${entry.title}…`, p: null });
        guest = entry.title;
        cmd = entry.cmdline;
      }
      await manager.create({
        name,
        guest,
        memoryMiB: Number(memory),
        cpuShare: Number(share),
        media,
        cmdline: cmd,
        net: nic === "none" ? "none" : net,
        nic,
        apic,
      });
      // Clear the name for the next VM, unless the user already typed another one meanwhile.
      setName((cur) => (cur === name ? "" : cur));
    } catch (e) {
      setError(e instanceof AllocationRefused ? `Refused: ${messageOf(e)}` : messageOf(e));
    } finally {
      setBusy(false);
      setProgress(null);
    }
  };

  return (
    <section className="new-vm" aria-label="New VM">
      <h2>New VM</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <label>
          Guest
          <select value={choice} onChange={(e) => pick(e.currentTarget.value)} data-testid="guest">
            {catalog?.entries.map((e) => (
              <option key={e.id} value={e.id} disabled={!e.available}>
                {e.title}
                {e.available ? "" : " (not on this server)"}
              </option>
            ))}
            <option value={OWN}>Your own image…</option>
          </select>
        </label>
        {entry && <p className="hint">{entry.description}</p>}
        {entry && !entry.available && <p className="hint">Missing: {entry.missing.join("; ")}</p>}
        {catalogError && <p className="hint">{catalogError}</p>}
        {catalog && catalog.entries.some((e) => !e.available) && (
          <p className="hint">
            Guest images are read from <code>{catalog.guestsDir}</code> on the server.
          </p>
        )}

        <label>
          Firmware
          <select
            value={firmware}
            onChange={(e) => setFirmware(e.currentTarget.value as FirmwareChoice)}
            aria-describedby={seabiosProblem ? "firmware-hint" : undefined}
            data-testid="firmware"
          >
            <option value="builtin">Built-in BIOS</option>
            <option value="seabios" disabled={seabiosProblem !== null}>
              {seabios?.title ?? "SeaBIOS"}
              {seabiosProblem ? " (unavailable)" : ""}
            </option>
          </select>
        </label>
        {seabiosProblem && catalog && (
          <p className="hint" id="firmware-hint" data-testid="firmware-hint">
            SeaBIOS: {seabiosProblem}.
          </p>
        )}
        <label title="A local APIC and an I/O APIC beside the 8259 interrupt controllers; off: the 8259s only, as on PCs before the Pentium">
          <input
            type="checkbox"
            checked={apic}
            onChange={(e) => setApic(e.currentTarget.checked)}
            data-testid="new-apic"
          />{" "}
          APIC
        </label>

        <p className="hint" data-testid="drop-hint">
          You can also drop a disk image (.img, .iso…) anywhere on this page to make a VM with it, or a snapshot (
          {SNAPSHOT_SUFFIX}) to resume it.
        </p>
        {droppedNote && choice === OWN && (
          <p className="dropped-note" role="status" data-testid="dropped-note">
            {droppedNote}
          </p>
        )}
        {choice === OWN && (
          <fieldset>
            <label>
              {kind === "linux" ? "Kernel" : "Image"}
              <input
                type="file"
                ref={imageInput}
                data-testid="own-image"
                onChange={(e) => onImage(e.currentTarget.files?.[0] ?? null)}
              />
            </label>
            <label>
              Kind
              <select
                value={kind}
                onChange={(e) => setKind(e.currentTarget.value as OwnImageKind)}
                data-testid="own-kind"
              >
                {(Object.keys(KIND_LABELS) as OwnImageKind[]).map((k) => (
                  <option key={k} value={k}>
                    {KIND_LABELS[k]}
                  </option>
                ))}
              </select>
            </label>
            {kind === "linux" && (
              <>
                <label>
                  Initrd
                  <input
                    type="file"
                    data-testid="own-initrd"
                    onChange={(e) => setInitrd(e.currentTarget.files?.[0] ?? null)}
                  />
                </label>
                <label>
                  Command line
                  <input type="text" value={cmdline} onChange={(e) => setCmdline(e.currentTarget.value)} />
                </label>
              </>
            )}
          </fieldset>
        )}

        <div className="row">
          <label>
            Memory
            <input
              type="number"
              min={1}
              value={memory}
              onChange={(e) => setMemory(e.currentTarget.value)}
              aria-invalid={memoryMessage !== null}
              aria-describedby={memoryMessage ? "new-memory-message" : undefined}
              data-testid="new-memory"
            />{" "}
            MiB
          </label>
          <label>
            CPU share
            <input
              type="number"
              min={1}
              max={100}
              value={share}
              onChange={(e) => setShare(e.currentTarget.value)}
              data-testid="new-share"
            />{" "}
            %
          </label>
          <label>
            Network
            <select value={net} onChange={(e) => setNet(e.currentTarget.value as VmNet)} data-testid="new-net">
              <option value="none">None</option>
              <option value="lan">LAN (this page's VMs)</option>
              <option value="internet" disabled={!relay?.enabled} title={relay ? relaySummary(relay) : undefined}>
                LAN + internet through the server{relay && !relay.enabled ? " (unavailable)" : ""}
              </option>
            </select>
          </label>
          <label title="The VM's network card on the LAN (none: no card, so no network)">
            Card
            <select
              value={nic}
              onChange={(e) => setNic(e.currentTarget.value as VmNic)}
              disabled={net === "none"}
              data-testid="new-nic"
            >
              {(Object.keys(NIC_LABELS) as VmNic[]).map((n) => (
                <option key={n} value={n}>
                  {NIC_LABELS[n]}
                </option>
              ))}
            </select>
          </label>
          <label>
            Name
            <input
              type="text"
              value={name}
              placeholder={`VM ${manager.vms.length + 1}`}
              onChange={(e) => setName(e.currentTarget.value)}
              data-testid="new-name"
            />
          </label>
          <button type="submit" disabled={busy || !crossOriginIsolated} data-testid="create">
            {busy ? "Creating…" : "Create"}
          </button>
        </div>
        {relay && net !== "none" && (
          <p className="hint" data-testid="net-hint">
            {net === "internet"
              ? `${relaySummary(relay)} Every VM on this page's LAN goes out the same way.`
              : relay.enabled
                ? "The VMs of this page reach each other; “LAN + internet” also reaches what the server allows."
                : `Internet through the server: ${relay.reason ?? "off"}.`}
          </p>
        )}
        {net !== "none" && nic === "ne2k-isa" && (
          <p className="hint" data-testid="nic-hint">
            The ISA NE2000 is at port 300h, IRQ 10 (Linux: <code>ne io=0x300 irq=10</code>); with the APIC on, its
            interrupts do not reach Linux yet: untick APIC for it.
          </p>
        )}
        {memoryMessage && (
          <p className="field-message" id="new-memory-message" data-testid="memory-message">
            {memoryMessage}
          </p>
        )}
        {progress && <ProgressLine label={progress.label} progress={progress.p} testId="create-progress" />}
        {error && (
          <p className="create-error" role="alert" data-testid="create-error">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}
