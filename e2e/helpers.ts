// Shared helpers for the browser tests: opening the shell, creating VMs through its form,
// reading a VM back through the page API (window.x86vm, packages/web/src/host/page-api.ts),
// tiny boot floppies built here so no image file is needed, screenshots at the judged widths,
// and the accessibility scan (axe-core) the page specs run over the page's states.
import AxeBuilder from "@axe-core/playwright";
import { expect, type Browser, type Locator, type Page, type TestInfo } from "@playwright/test";
import type { PageApi } from "../packages/web/src/host/page-api.ts";

declare global {
  interface Window {
    x86vm: PageApi;
  }
}

const FLOPPY_144 = 1474560;

/** A 1.44 MB floppy whose boot sector is `code` (placed at 7C00h, signature added). */
function floppy(code: string): Buffer {
  const img = Buffer.alloc(FLOPPY_144);
  Buffer.from(code, "hex").copy(img);
  img[510] = 0x55;
  img[511] = 0xaa;
  return img;
}

/**
 * Prints "x86vm CPU spin test" with INT 10h, then loops forever on inc ax / add bx, ax: a
 * guest that always wants the CPU, for share and pause tests.
 *   xor ax,ax / mov ds,ax / mov si,msg / mov ah,0Eh / mov bx,7
 *   next: lodsb / test al,al / jz spin / int 10h / jmp next
 *   spin: inc ax / add bx,ax / jmp spin
 */
export const SPIN_FLOPPY = floppy(
  "31c08ed8be1a7cb40ebb0700ac84c07404cd10ebf74001c3ebfb" + Buffer.from("x86vm CPU spin test\0").toString("hex"),
);
export const SPIN_TEXT = "x86vm CPU spin test";

/**
 * Writes "x86vm serial test" to COM1, then echoes what COM1 receives, letters in upper case
 * (so the echo is visibly the guest's):
 *   xor ax,ax / mov ds,ax / mov si,msg / mov dx,3F8h
 *   next: lodsb / test al,al / jz echo / out dx,al / jmp next
 *   echo: mov dx,3FDh / poll: in al,dx / test al,1 / jz poll / mov dx,3F8h / in al,dx
 *         cmp al,'a' / jb send / cmp al,'z' / ja send / sub al,32 / send: out dx,al / jmp echo
 */
export const SERIAL_FLOPPY = floppy(
  "31c08ed8be2b7cbaf803ac84c07403eeebf8bafd03eca80174fbbaf803ec3c6172063c7a77022c20eeebe7" +
    Buffer.from("x86vm serial test\r\n\0").toString("hex"),
);
export const SERIAL_TEXT = "x86vm serial test";

/**
 * Triple faults: loads an empty IDT, enters protected mode and executes INT3; the #GP that
 * follows cannot be delivered either, then the double fault cannot: the CPU shuts down.
 *   cli / xor ax,ax / mov ds,ax / lidt [idtr] / mov eax,cr0 / or al,1 / mov cr0,eax / int3 / hlt
 *   idtr: dw 0 / dd 0
 */
export const TRIPLE_FAULT_FLOPPY = floppy("fa31c08ed80f011e147c0f20c00c010f22c0ccf4000000000000");

/**
 * A 1 MiB hard disk (16 heads, 63 sectors, 2 cylinders) whose boot sector prints what sector 2
 * holds ("last: hda-write:a"), then, for each key typed, writes "hda-write:<key>" to sector 2
 * with INT 13h AH=03h and prints "wrote hda-write:<key>" (nasm source beside the hex):
 *   cli / xor ax,ax / mov ds,ax / mov es,ax / mov ss,ax / mov sp,7C00h / sti
 *   mov ax,0201h / mov cx,2 / mov dx,80h / mov bx,8000h / int 13h      ; read sector 2
 *   mov si,last / call print / mov si,8000h / mov byte [si+15],0 / call print / mov si,crlf / call print
 *   key: mov si,ready / call print / xor ah,ah / int 16h / mov [mark+10],al
 *   mov si,mark / mov di,8000h / mov cx,16 / rep movsb
 *   mov ax,0301h / mov cx,2 / mov dx,80h / mov bx,8000h / int 13h      ; write sector 2
 *   mov si,wrote / call print / mov si,mark / call print / mov si,crlf / call print / jmp key
 *   print: lodsb / test al,al / jz done / mov ah,0Eh / mov bx,7 / int 10h / jmp print / done: ret
 *   last "last: ", ready "hda ready> ", wrote "wrote ", crlf, mark "hda-write:?" (16 bytes)
 */
export const WRITER_HDA = (() => {
  const img = Buffer.alloc(16 * 63 * 2 * 512);
  Buffer.from(
    "fa31c08ed88ec08ed0bc007cfbb80102b90200ba8000bb0080cd13be7a7ce84a00be0080c6440f00e84000be947ce83a00be817ce834" +
      "0030e4cd16a2a17cbe977cbf0080b91000f3a4b80103b90200ba8000bb0080cd13be8d7ce80e00be977ce80800be947ce80200ebc6ac" +
      "84c07409b40ebb0700cd10ebf2c36c6173743a20006864612072656164793e200077726f746520000d0a006864612d77726974653a3f" +
      "0000000000",
    "hex",
  ).copy(img);
  img[510] = 0x55;
  img[511] = 0xaa;
  return img;
})();
/** Where WRITER_HDA writes: sector 2. */
export const WRITER_HDA_SECTOR = 1;

export async function openShell(page: Page, url = "/"): Promise<void> {
  page.on("pageerror", (e) => console.log(`[page error] ${e.message}`));
  await page.goto(url);
  await expect(page.getByTestId("isolation")).toHaveAttribute("data-isolated", "true");
}

/** The page at url in a browser context of its own (another user, as a share link reaches one). */
export async function openPage(browser: Browser, url = "/"): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await openShell(page, url);
  return page;
}

export function panel(page: Page, name: string): Locator {
  return page.getByRole("region", { name, exact: true });
}

async function fillCommon(page: Page, name: string, memoryMiB?: number, share?: number): Promise<void> {
  await page.getByTestId("new-name").fill(name);
  if (memoryMiB !== undefined) await page.getByTestId("new-memory").fill(String(memoryMiB));
  if (share !== undefined) await page.getByTestId("new-share").fill(String(share));
}

/** Creates a VM from the server's catalog through the form; waits for its panel. */
export async function createFromCatalog(page: Page, guest: string, name: string, memoryMiB?: number): Promise<Locator> {
  await page.getByTestId("guest").selectOption(guest);
  await fillCommon(page, name, memoryMiB);
  await page.getByTestId("create").click();
  const p = panel(page, name);
  await expect(p).toBeVisible();
  return p;
}

/** Creates a VM from an image "opened from the user's disk" (the form's file input). */
export async function createFromFile(
  page: Page,
  name: string,
  file: { name: string; buffer: Buffer },
  opts: { memoryMiB?: number; share?: number } = {},
): Promise<Locator> {
  await page.getByTestId("guest").selectOption("own");
  await page
    .getByTestId("own-image")
    .setInputFiles({ name: file.name, mimeType: "application/octet-stream", buffer: file.buffer });
  await fillCommon(page, name, opts.memoryMiB ?? 8, opts.share);
  await page.getByTestId("create").click();
  const p = panel(page, name);
  await expect(p).toBeVisible();
  return p;
}

export async function screenText(page: Page, name: string): Promise<string> {
  return page.evaluate(async (n) => (await window.x86vm.vm(n)?.screenText()) ?? "", name);
}

/** Waits until `text` is on the VM's text screen. */
export async function waitForScreen(page: Page, name: string, text: string, timeoutMs = 60_000): Promise<void> {
  await expect.poll(() => screenText(page, name), { timeout: timeoutMs, intervals: [50, 100, 250] }).toContain(text);
}

export async function instructions(page: Page, name: string): Promise<number> {
  return page.evaluate((n) => window.x86vm.vm(n)!.stats().instructions, name);
}

/** Guest MIPS measured in the page over `ms` of host time, from the live counters. */
export async function measureMips(page: Page, name: string, ms: number): Promise<number> {
  return page.evaluate(
    async ([n, d]) => {
      const vm = window.x86vm.vm(n)!;
      const i0 = vm.stats().instructions,
        t0 = performance.now();
      await new Promise((r) => setTimeout(r, d));
      return (vm.stats().instructions - i0) / (performance.now() - t0) / 1000;
    },
    [name, ms] as const,
  );
}

/** How many pixels of the VM's canvas are not black (the screen shows something). */
export async function litPixels(p: Locator): Promise<number> {
  return p.getByTestId("screen").evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] | d[i + 1] | d[i + 2]) n++;
    return n;
  });
}

/**
 * A slow link: responses whose URL matches `pattern` reach the page in `chunks` pieces, `gapMs`
 * apart, with their Content-Length (Playwright's route.fulfill hands the body over at once, so
 * the slow body is made in the page, around its fetch).
 */
export async function slowDownloads(page: Page, pattern: RegExp, chunks: number, gapMs: number): Promise<void> {
  await page.addInitScript(
    ([source, flags, n, gap]) => {
      const re = new RegExp(source, flags);
      const real = window.fetch.bind(window);
      window.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
        const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
        const res = await real(input, init);
        if (!re.test(url) || !res.ok) return res;
        const bytes = new Uint8Array(await res.arrayBuffer());
        let i = 0;
        const body = new ReadableStream<Uint8Array>({
          async pull(c) {
            if (i === n) {
              c.close();
              return;
            }
            await new Promise((r) => setTimeout(r, gap));
            c.enqueue(bytes.slice(Math.floor((bytes.length * i) / n), Math.floor((bytes.length * (i + 1)) / n)));
            i++;
          },
        });
        return new Response(body, {
          status: 200,
          headers: { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.length) },
        });
      };
    },
    [pattern.source, pattern.flags, chunks, gapMs] as const,
  );
}

/** The window widths the page is judged at. */
export const WIDTHS = [800, 1366, 1920];

/**
 * Screenshots of the whole page at each of WIDTHS (after the layout settles, scrolled to `show`
 * if given), saved in the test's output and attached to the report; the viewport is restored.
 */
export async function attachShots(page: Page, info: TestInfo, name: string, show?: Locator): Promise<void> {
  const size = page.viewportSize()!;
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 1000 });
    await page.waitForTimeout(400); // the screen rescales, the console refits its rows
    if (show) await show.scrollIntoViewIfNeeded();
    const path = info.outputPath(`${name}-${width}.png`);
    await page.screenshot({ path, fullPage: true });
    await info.attach(`${name}-${width}`, { path, contentType: "image/png" });
  }
  await page.setViewportSize(size);
}

/**
 * An axe-core scan of the page as it is (WCAG 2.0/2.1 A and AA rules): its serious and critical
 * violations, one line each (rule, what it asks, where), for `expect(...).toEqual([])`.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(result.passes.length).toBeGreaterThan(10); // the scan saw the page
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** What the VM's COM1 console has printed so far. */
export const serial = (page: Page, name: string): Promise<string> =>
  page.evaluate((n) => window.x86vm.vm(n)!.serialText(), name);

/** Waits for `re` in the VM's console output after `from` characters; returns the match. */
export async function waitForSerial(
  page: Page,
  name: string,
  re: RegExp,
  from: number,
  timeout = 60_000,
): Promise<RegExpMatchArray> {
  let m: RegExpMatchArray | null = null;
  await expect
    .poll(
      async () => {
        m = (await serial(page, name)).slice(from).match(re);
        return m !== null;
      },
      { timeout, intervals: [100] },
    )
    .toBe(true);
  return m!;
}
