// One VM in the x86vm page, driven from a Playwright test through the page's scripting API
// (window.x86vm, packages/web/src/host/page-api.ts). Images are read here, in Node, and handed
// to the page as bytes (the page fetches them from a same-origin path this side answers, so
// large images travel as binary, not as JSON); the screen is read as text through the API and
// as a picture from the VM's canvas; snapshots come back as base64.

import fs from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import type { CreateOptions, PageApi, PageVmStats } from "../../web/src/host/page-api.ts";
import type { MediaRole } from "../../web/src/shared/protocol.ts";

export type { PageVmStats };

declare global {
  interface Window {
    x86vm: PageApi;
  }
}

/** An image: a file path, or bytes with the name messages use. */
export type ImageSource = string | { name: string; bytes: Uint8Array };

/** The media options of `vm boot` (the board's slots) plus the machine's settings. */
export interface BootOptions {
  fda?: ImageSource;
  fdb?: ImageSource;
  hda?: ImageSource;
  hdb?: ImageSource;
  cdrom?: ImageSource;
  /** A Linux bzImage, booted directly (with initrd and append). */
  kernel?: ImageSource;
  initrd?: ImageSource;
  /**
   * Firmware to run instead of the built-in BIOS (SeaBIOS's bios-256k.bin) and the video BIOS
   * to go with it (vgabios-stdvga.bin), as `vm boot --bios --vga-bios`; refused with a clear
   * message by a page that has no firmware slots.
   */
  bios?: ImageSource;
  vgaBios?: ImageSource;
  /** The kernel command line. */
  append?: string;
  /** Guest RAM in MiB (default 32). */
  mem?: number;
  /**
   * "deterministic" (the fixture's default: guest time follows the instructions, idle time is
   * skipped, the RTC starts at 2026-01-01) or "realtime" (host time, as the page's own VMs).
   */
  clock?: "deterministic" | "realtime";
  /** The VM's name in the page (default "vm"). */
  name?: string;
}

/** Where waitForText looks: the text screen, COM1's output, or either (the default). */
export type TextSource = "screen" | "serial" | "any";

export interface WaitOptions {
  on?: TextSource;
  /** Milliseconds (default: the fixture's timeout, 30 s). */
  timeout?: number;
}

/** boot()'s image options and the page's media roles they fill (PC_MEDIA_SLOTS). */
const MEDIA_OPTIONS = {
  fda: "fda",
  fdb: "fdb",
  hda: "hda",
  hdb: "hdb",
  cdrom: "cdrom",
  kernel: "kernel",
  initrd: "initrd",
  bios: "bios",
  vgaBios: "vga-bios",
} as const;
type MediaOption = keyof typeof MEDIA_OPTIONS;
const MEDIA_NAMES = Object.keys(MEDIA_OPTIONS) as MediaOption[];
const OTHER_OPTIONS = ["append", "mem", "clock", "name"];

interface Image {
  name: string;
  bytes: Uint8Array;
}

function readImage(slot: string, src: ImageSource): Image {
  if (typeof src !== "string") return { name: src.name, bytes: src.bytes };
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(src);
  } catch (e) {
    throw new Error(`vm.boot: cannot read the ${slot} image ${src}: ${(e as Error).message}`, { cause: e });
  }
  return { name: path.basename(src), bytes };
}

/** Where the page fetches the images from (answered by page.route, never by the server). */
const IMAGE_PATH = "/__x86vm-testing/image/";

/**
 * Splits `type` text into characters and {chords}: "dir{Enter}", "{Ctrl+C}", "{{" for a brace.
 */
export function splitTyping(text: string): ({ text: string } | { chord: string })[] {
  const out: ({ text: string } | { chord: string })[] = [];
  let plain = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "{" && text[i + 1] === "{") {
      plain += "{";
      i++;
    } else if (ch === "{") {
      const end = text.indexOf("}", i);
      if (end < 0) throw new Error(`vm.type: "{" without "}" in ${JSON.stringify(text)} (write "{{" for a brace)`);
      if (plain) out.push({ text: plain });
      plain = "";
      out.push({ chord: text.slice(i + 1, end) });
      i = end;
    } else plain += ch;
  }
  if (plain) out.push({ text: plain });
  return out;
}

function describeMatch(m: string | RegExp): string {
  return typeof m === "string" ? JSON.stringify(m) : String(m);
}

function tail(s: string, lines: number): string {
  return s.trimEnd().split("\n").slice(-lines).join("\n");
}

export class X86Vm {
  private name: string | null = null;
  /** Each image booted, for restore (a snapshot names them by hash). */
  private images: Image[] = [];
  /** Images the page may fetch now, by number. */
  private readonly served = new Map<string, Image>();
  private routed = false;

  constructor(
    readonly page: Page,
    private readonly defaults: { clock: "deterministic" | "realtime"; timeout: number },
  ) {}

  /** The VM's name in the page, once booted. */
  get vmName(): string {
    if (this.name === null) throw new Error("no VM yet: call vm.boot() (or vm.restore()) first");
    return this.name;
  }

  /** Boots a new VM from the given images (file paths are read here); replaces the last one. */
  async boot(opts: BootOptions): Promise<void> {
    const unknown = Object.keys(opts).filter(
      (k) => !(MEDIA_NAMES as string[]).includes(k) && !OTHER_OPTIONS.includes(k),
    );
    if (unknown.length)
      throw new Error(
        `vm.boot: unknown option ${unknown.join(", ")}${unknown.includes("firmware") ? " (firmware is bios, with vgaBios)" : ""}`,
      );
    const given = MEDIA_NAMES.filter((k) => opts[k] !== undefined);
    if (given.length === 0) throw new Error("vm.boot: nothing to boot: give fda, fdb, hda, hdb, cdrom or kernel");
    const slots: string[] = await this.page.evaluate(() => [...window.x86vm.mediaSlots]);
    for (const k of given)
      if (!slots.includes(MEDIA_OPTIONS[k]))
        throw new Error(`vm.boot: this build of the page has no ${MEDIA_OPTIONS[k]} slot (it has ${slots.join(", ")})`);
    const media = given.map((k) => ({ role: MEDIA_OPTIONS[k] as MediaRole, ...readImage(k, opts[k]!) }));
    if (opts.append !== undefined && !opts.kernel) throw new Error("vm.boot: append needs a kernel");
    await this.destroy();
    const create: Omit<CreateOptions, "media"> = {
      cmdline: opts.append,
      name: opts.name ?? "vm",
      memoryMiB: opts.mem ?? 32,
      clock: opts.clock ?? this.defaults.clock,
    };
    this.images = media.map((m) => ({ name: m.name, bytes: m.bytes }));
    const urls = await this.serve(media);
    try {
      this.name = await this.page.evaluate(
        async ([o, files]) => {
          const fetched = await Promise.all(
            files.map(async (f) => ({ role: f.role, name: f.name, bytes: await (await fetch(f.url)).arrayBuffer() })),
          );
          return (await window.x86vm.create({ ...o, media: fetched })).name;
        },
        [create, media.map((m, i) => ({ role: m.role, name: m.name, url: urls[i] }))] as const,
      );
    } finally {
      this.served.clear();
    }
    await this.checkAlive();
  }

  /** Lets the page fetch these images (until served is cleared); their URLs. */
  private async serve(images: Image[]): Promise<string[]> {
    if (!this.routed) {
      await this.page.route(`**${IMAGE_PATH}*`, (route) => {
        const key = new URL(route.request().url()).pathname.slice(IMAGE_PATH.length);
        const img = this.served.get(key);
        return img
          ? route.fulfill({
              status: 200,
              body: Buffer.from(img.bytes.buffer, img.bytes.byteOffset, img.bytes.byteLength),
              headers: { "Content-Type": "application/octet-stream", "Cross-Origin-Resource-Policy": "same-origin" },
            })
          : route.fulfill({ status: 404, body: "no such image\n" });
      });
      this.routed = true;
    }
    return images.map((img, i) => {
      const key = `${Date.now()}-${i}`;
      this.served.set(key, img);
      return `${IMAGE_PATH}${key}`;
    });
  }

  /** Throws with the VM's error if it failed (bad image, no bootable disk, triple fault...). */
  private async checkAlive(): Promise<void> {
    const err = await this.page.evaluate((n) => {
      const v = window.x86vm.vm(n);
      return v ? (v.state() === "failed" ? (v.error() ?? "failed") : null) : "the VM is gone";
    }, this.vmName);
    if (err !== null) throw new Error(`the VM failed: ${err}`);
  }

  /** The text screen, lines joined by "\n" ("" in a graphics mode). */
  async screenText(): Promise<string> {
    return this.page.evaluate(async (n) => (await window.x86vm.vm(n)?.screenText()) ?? "", this.vmName);
  }

  /** The VM's counters: instructions, guest and host times, rates (PageVmStats). */
  async stats(): Promise<PageVmStats> {
    return this.page.evaluate((n) => window.x86vm.vm(n)!.stats(), this.vmName);
  }

  /** What the guest wrote to COM1 so far. */
  async serial(): Promise<string> {
    return this.page.evaluate((n) => window.x86vm.vm(n)?.serialText() ?? "", this.vmName);
  }

  /** Sends text to COM1's receiver. */
  async sendSerial(text: string): Promise<void> {
    await this.page.evaluate(([n, t]) => window.x86vm.vm(n)!.sendSerial(t), [this.vmName, text] as const);
  }

  /**
   * Waits until `match` (a string, or a regular expression) shows on the screen or COM1 (`on`).
   * Returns the matched text. On timeout, throws with what the screen and COM1 show.
   */
  async waitForText(match: string | RegExp, opts: WaitOptions = {}): Promise<string> {
    const on = opts.on ?? "any";
    const timeout = opts.timeout ?? this.defaults.timeout;
    const deadline = Date.now() + timeout;
    const find = (s: string): string | null => {
      if (typeof match === "string") return s.includes(match) ? match : null;
      const m = new RegExp(match.source, match.flags.replace("g", "")).exec(s);
      return m ? m[0] : null;
    };
    let screen = "",
      serial = "";
    const name = this.vmName;
    for (let delay = 50; ; delay = Math.min(delay * 2, 250)) {
      try {
        if (on !== "serial") screen = await this.screenText();
        if (on !== "screen") serial = await this.serial();
        const found = (on !== "serial" ? find(screen) : null) ?? (on !== "screen" ? find(serial) : null);
        if (found !== null) return found;
        await this.checkAlive();
      } catch (e) {
        // A test that timed out leaves its wait behind: the fixture's teardown took the VM away.
        if (this.name !== name)
          throw new Error(
            `vm.waitForText(${describeMatch(match)}): the VM was stopped while waiting (the test ended)`,
            {
              cause: e,
            },
          );
        throw e;
      }
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, deadline - Date.now()))));
    }
    const where = on === "any" ? "the screen or COM1" : on === "screen" ? "the screen" : "COM1";
    let msg = `vm.waitForText(${describeMatch(match)}): not on ${where} after ${timeout / 1000} s`;
    if (on !== "serial") msg += `\n--- the screen shows:\n${screen.trimEnd() || "(nothing)"}`;
    if (on !== "screen") msg += `\n--- COM1's last lines:\n${tail(serial, 10) || "(nothing)"}`;
    throw new Error(msg);
  }

  /**
   * Types text on a US keyboard; {Name} presses a key or chord by name ("{Enter}", "{F1}",
   * "{Ctrl+C}", "{Alt+F4}"), "{{" types a brace. "\r" and "\n" are Enter.
   */
  async type(text: string): Promise<void> {
    for (const part of splitTyping(text)) {
      if ("chord" in part) await this.press(part.chord);
      else {
        const skipped = await this.page.evaluate(([n, t]) => window.x86vm.vm(n)!.typeText(t), [
          this.vmName,
          part.text,
        ] as const);
        if (skipped > 0)
          throw new Error(
            `vm.type: ${skipped} character(s) of ${JSON.stringify(part.text)} have no key on a US keyboard`,
          );
      }
    }
  }

  /** Presses keys or chords by name, one after the other: press("F1"), press("Ctrl+C", "Enter"). */
  async press(...chords: string[]): Promise<void> {
    for (const chord of chords) {
      await this.page.evaluate(([n, c]) => window.x86vm.vm(n)!.pressChord(c), [this.vmName, chord] as const);
      await new Promise((r) => setTimeout(r, 25)); // as typeText paces its keys
    }
  }

  /**
   * The VM's screen as a PNG, at the guest's resolution (720x400 for 80x25 text): the canvas's
   * picture, read in the page (no waiting for the page to be still, so it works in a failed
   * test's teardown too).
   */
  async screenshot(opts: { path?: string } = {}): Promise<Buffer> {
    const url = await this.page.evaluate((n) => {
      const panel = Array.from(document.querySelectorAll("section[data-testid=vm-panel]")).find(
        (p) => p.getAttribute("aria-label") === n,
      );
      const canvas = panel?.querySelector("canvas[data-testid=screen]");
      return canvas instanceof HTMLCanvasElement ? canvas.toDataURL("image/png") : null;
    }, this.vmName);
    if (!url) throw new Error(`vm.screenshot: the page shows no screen for "${this.vmName}"`);
    const png = Buffer.from(url.slice(url.indexOf(",") + 1), "base64");
    if (opts.path) fs.writeFileSync(opts.path, png);
    return png;
  }

  /** Stops the VM's CPU (resolves once it has stopped). */
  async pause(): Promise<void> {
    await this.page.evaluate((n) => window.x86vm.vm(n)!.pause(), this.vmName);
  }

  async resume(): Promise<void> {
    await this.page.evaluate((n) => window.x86vm.vm(n)!.resume(), this.vmName);
  }

  /**
   * A snapshot of the running VM (docs/snapshot-format.md) with its images inside, so it opens
   * on its own: in the page (Open snapshot), with `vm resume FILE`, or with restore().
   */
  async snapshot(opts: { path?: string } = {}): Promise<Buffer> {
    const b64 = await this.page.evaluate(async (n) => {
      const b = await window.x86vm.vm(n)!.snapshot({ includeImages: true });
      let s = "";
      for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
      return btoa(s);
    }, this.vmName);
    const bytes = Buffer.from(b64, "base64");
    if (opts.path) fs.writeFileSync(opts.path, bytes);
    return bytes;
  }

  /**
   * Resumes a snapshot (bytes or a file path) in a new VM, which replaces the current one. A
   * snapshot without its images inside gets them from the last boot, or from `images`.
   */
  async restore(snapshot: Uint8Array | string, images: ImageSource[] = []): Promise<void> {
    const bytes = typeof snapshot === "string" ? fs.readFileSync(snapshot) : snapshot;
    const files = [{ name: "the snapshot", bytes }, ...images.map((i) => readImage("fda", i)), ...this.images];
    await this.destroy();
    const urls = await this.serve(files);
    try {
      this.name = await this.page.evaluate(
        async (list) => {
          const got = await Promise.all(
            list.map(async (f) => ({ name: f.name, bytes: await (await fetch(f.url)).arrayBuffer() })),
          );
          return (await window.x86vm.openSnapshot(got[0].bytes, { label: "the snapshot", images: got.slice(1) })).name;
        },
        files.map((f, i) => ({ name: f.name, url: urls[i] })),
      );
    } finally {
      this.served.clear();
    }
    await this.checkAlive();
  }

  /** Stops and removes the VM (the fixture does this after each test). */
  async destroy(): Promise<void> {
    if (this.name === null) return;
    const n = this.name;
    this.name = null;
    await this.page.evaluate((name) => window.x86vm.vm(name)?.destroy(), n).catch(() => {});
  }

  /** Whether a VM was booted or restored (and not destroyed). */
  get booted(): boolean {
    return this.name !== null;
  }
}
