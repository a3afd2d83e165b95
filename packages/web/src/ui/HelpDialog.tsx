// The Help dialog: the keys, what each card control does, how snapshots and share links work,
// and a line about the project. A modal <dialog>: focus moves into it, Esc closes it, and the
// focus goes back to what had it (the Help button).
import {
  CameraIcon,
  CloseIcon,
  DownloadIcon,
  EjectIcon,
  FitIcon,
  FloppyIcon,
  FullscreenIcon,
  KeysIcon,
  MouseIcon,
  PauseIcon,
  PlayIcon,
  ResetIcon,
  ShareIcon,
} from "./icons.tsx";
import { useEffect, useRef } from "react";

export function HelpDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const returnTo = useRef<HTMLElement | null>(null);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      returnTo.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      d.showModal();
      d.querySelector<HTMLElement>("[data-autofocus]")?.focus();
    } else if (!open && d.open) {
      d.close();
    }
  }, [open]);

  return (
    <dialog
      ref={dialog}
      className="help"
      aria-labelledby="help-title"
      data-testid="help-dialog"
      onClose={() => {
        onClose();
        returnTo.current?.focus();
        returnTo.current = null;
      }}
    >
      <div className="help-head">
        <h2 id="help-title">Help</h2>
        <button type="button" onClick={() => dialog.current?.close()} data-autofocus aria-label="Close help">
          Close
        </button>
      </div>
      <h3>Keys and mouse</h3>
      <ul>
        <li>
          <strong>Click to type:</strong> click a VM&apos;s screen or console, and your keys go to that guest until you
          click elsewhere. A new VM takes the keyboard by itself.
        </li>
        <li>
          <strong>Ctrl+Alt+Del:</strong> the browser keeps that key combination for itself, so each card has a
          Ctrl+Alt+Del button that sends it to the guest.
        </li>
        <li>
          <strong>Mouse:</strong> Capture mouse gives the pointer to the guest; press <kbd>Esc</kbd> to get it back.
        </li>
      </ul>
      <h3>A VM&apos;s card</h3>
      <p>The card&apos;s controls are one row of symbols; each says its name when you point at it or focus it.</p>
      <dl className="help-controls">
        <dt>
          <PauseIcon /> <PlayIcon /> Pause / Resume
        </dt>
        <dd>Stops the guest&apos;s clock and CPU, and starts them again. Keys typed while paused are not sent.</dd>
        <dt>
          <ResetIcon /> Reset
        </dt>
        <dd>A fresh machine with the same memory and media, as a power cycle; its disks keep what the guest wrote.</dd>
        <dt>
          <KeysIcon /> Ctrl+Alt+Del, <MouseIcon /> Capture mouse
        </dt>
        <dd>Send the keys the browser keeps for itself; give the mouse to the guest (Esc takes it back).</dd>
        <dt>
          <FloppyIcon /> <EjectIcon /> Floppy A: / Eject A:
        </dt>
        <dd>Insert a floppy image from your disk in drive A:, or take it out.</dd>
        <dt>
          <CameraIcon /> <DownloadIcon /> <ShareIcon /> Snapshot, Download, Share
        </dt>
        <dd>Save the VM&apos;s state, as a file or as a link (below).</dd>
        <dt>CPU</dt>
        <dd>How much of one host core this VM may use (1–100%).</dd>
        <dt>RAM</dt>
        <dd>Another amount of memory restarts the VM with it.</dd>
        <dt>
          <CloseIcon /> Destroy / Close
        </dt>
        <dd>Stops the VM and gives its memory back to the page.</dd>
        <dt>Screen / Console</dt>
        <dd>The guest&apos;s display, or its first serial port (COM1) in a terminal.</dd>
        <dt>
          <FitIcon /> Fit, <FullscreenIcon /> Fullscreen
        </dt>
        <dd>
          The screen shows each guest pixel as a whole number of yours (sharp), as large as the card and window allow;
          Fit fills the space instead. Fullscreen shows the VM alone on your display; <kbd>Esc</kbd> leaves.
        </dd>
        <dt>Details</dt>
        <dd>How fast the VM runs, what it holds, and what the guest asked for that is missing.</dd>
      </dl>
      <h3>Saved disks</h3>
      <p>
        What a guest writes to its floppy or hard disk is kept in this browser. After a reload,{" "}
        <strong>Saved disks</strong> offers to resume the VM with its disks as they were, to download a disk as an image
        with the changes, or to delete them.
      </p>
      <h3>Snapshots and share links</h3>
      <p>
        <strong>Snapshot</strong> saves a VM&apos;s whole state while it runs on. <strong>Download</strong> saves that
        snapshot as a <code>.x86snap</code> file; <strong>Open snapshot…</strong> (or dropping the file on the page)
        resumes it in a new VM. <strong>Share</strong> stores the snapshot on this server and gives a link: whoever
        opens it gets the VM as it was. Images of your own are only inside when &ldquo;include my images&rdquo; is
        ticked; otherwise the person opening it is asked for them.
      </p>
      <p>Dropping a disk image (.img, .ima, .iso, .bin) on the page prepares a new VM with it.</p>
      <p className="about" data-testid="about">
        x86vm: a PC (x86 CPU, BIOS, disks, screen, serial port) emulated in TypeScript and WebAssembly, each VM in its
        own thread, all in this page; nothing is sent to a server unless you share a snapshot.
      </p>
    </dialog>
  );
}
