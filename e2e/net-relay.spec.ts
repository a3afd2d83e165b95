// The network relay of `pnpm start`: a Linux VM on the page's LAN with "internet through the
// server" fetches a page from an HTTP server on the test machine's 127.0.0.1 (the guest's
// 10.0.2.2) with wget, and is refused a port and a host that are not on the server's
// allow-list; then the throughput of a larger download through the relay (median of 3).
//
// The relay is off on the suite's server (playwright.config.ts), so this spec starts a second
// server of its own with X86VM_NET_ALLOW naming the test's HTTP server; the built app is the
// suite server's (dist/web). The first test checks the suite's server too: the form offers the
// choice disabled, with the reason. Needs the Linux guest (pnpm images), as linux.spec.ts.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import url from "node:url";
import { expect, test, type Page } from "@playwright/test";
import { openShell, panel, serial } from "./helpers.ts";

const ROOT = path.resolve(path.dirname(url.fileURLToPath(import.meta.url)), "..");
const PAGE_TEXT = "hello from 127.0.0.1 through the relay";
const BIG = 8 * 1024 * 1024;

let web: http.Server;
let unlisted: http.Server;
let app: ChildProcess | null = null;
let appUrl = "";
let snapshots = "";

const portOf = (s: http.Server) => (s.address() as net.AddressInfo).port;

async function listen(s: http.Server): Promise<void> {
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

test.beforeAll(async () => {
  const big = Buffer.alloc(BIG, 0x61);
  web = http.createServer((req, res) => {
    const body = req.url === "/big" ? big : Buffer.from(`${PAGE_TEXT}\n`);
    res.setHeader("Content-Length", body.length);
    res.end(body);
  });
  unlisted = http.createServer((_req, res) => res.end("this server is not on the list\n"));
  await listen(web);
  await listen(unlisted);
  const port = await freePort();
  appUrl = `http://127.0.0.1:${port}/`;
  snapshots = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-e2e-relay-"));
  app = spawn(process.execPath, ["--import", "tsx", "packages/web/server/serve.ts", "--no-build"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      X86VM_SNAPSHOTS: snapshots,
      X86VM_NET_ALLOW: `127.0.0.1:${portOf(web)}`,
      X86VM_NET_RATE: "100M",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("network relay on")) resolve();
    };
    app!.stdout!.on("data", onData);
    app!.stderr!.on("data", onData);
    app!.on("exit", (code) => reject(new Error(`the relay's server exited (${code}):\n${out}`)));
    setTimeout(() => reject(new Error(`the relay's server did not start:\n${out}`)), 60_000);
  });
});

test.afterAll(async () => {
  if (app && app.exitCode === null) {
    const exited = new Promise((r) => app!.once("exit", r));
    app.kill("SIGTERM");
    await exited;
  }
  web?.close();
  unlisted?.close();
  if (snapshots) fs.rmSync(snapshots, { recursive: true, force: true });
});

/** Runs a shell command on the VM's console; returns what it printed before its end marker. */
async function run(page: Page, name: string, cmd: string, timeout = 60_000): Promise<string> {
  const from = (await serial(page, name)).length;
  const tag = `END${Math.floor(Math.random() * 1e6)}`;
  await page.evaluate(([n, t]) => window.x86vm.vm(n)!.sendSerial(t), [name, `${cmd}; echo ${tag}-$?\n`] as const);
  let m: RegExpMatchArray | null = null;
  await expect
    .poll(
      async () => {
        m = (await serial(page, name)).slice(from).match(new RegExp(`([\\s\\S]*)\\n${tag}-(\\d+)`));
        return m !== null;
      },
      { timeout, intervals: [100] },
    )
    .toBe(true);
  return `${m![1]}\nstatus ${m![2]}`;
}

test("the form offers internet through the server only when the server relays", async ({ page }) => {
  await openShell(page); // the suite's server: no X86VM_NET_ALLOW
  const option = page.getByTestId("new-net").locator('option[value="internet"]');
  await expect(option).toBeDisabled();
  await page.getByTestId("new-net").selectOption("lan");
  await expect(page.getByTestId("net-hint")).toContainText("network relay is off");
  // The relay's server offers it.
  await page.goto(appUrl);
  await expect(page.getByTestId("isolation")).toHaveAttribute("data-isolated", "true");
  await expect(page.getByTestId("new-net").locator('option[value="internet"]')).toBeEnabled();
  await page.getByTestId("new-net").selectOption("internet");
  await expect(page.getByTestId("net-hint")).toContainText(`127.0.0.1:${portOf(web)}`);
});

test("a Linux guest fetches a page from 127.0.0.1 through the relay and is refused off the list", async ({
  page,
}, info) => {
  test.setTimeout(600_000);
  page.on("pageerror", (e) => console.log(`[page error] ${e.message}`));
  await page.goto(appUrl);
  await expect(page.getByTestId("isolation")).toHaveAttribute("data-isolated", "true");
  await page.getByTestId("guest").selectOption("linux");
  await page.getByTestId("new-name").fill("net");
  await page.getByTestId("new-memory").fill("96");
  await page.getByTestId("new-net").selectOption("internet");
  await page.getByTestId("create").click();
  await expect(panel(page, "net")).toBeVisible();
  await expect
    .poll(() => serial(page, "net"), { timeout: 240_000, intervals: [500] })
    .toMatch(/NET-OK eth0 10\.0\.2\.\d+ router 10\.0\.2\.2[\s\S]*BOOT-OK[\s\S]*# /);

  // The page on 127.0.0.1, as the guest's 10.0.2.2.
  const got = await run(page, "net", `wget -q -O - http://10.0.2.2:${portOf(web)}/`);
  expect(got).toContain(PAGE_TEXT);
  expect(got).toContain("status 0");

  // A port of 127.0.0.1 that is not listed (a server listens there), and a host not listed:
  // the relay refuses, the guest's connection is reset.
  const port = await run(page, "net", `wget -q -O - http://10.0.2.2:${portOf(unlisted)}/`);
  expect(port).not.toContain("not on the list");
  expect(port).toMatch(/Connection refused|can't connect/);
  expect(port).not.toContain("status 0");
  const host = await run(page, "net", "wget -q -O - http://192.0.2.1/", 30_000);
  expect(host).toMatch(/Connection refused|can't connect/);
  expect(host).not.toContain("status 0");
  // The server's own port is not reachable either.
  const self = await run(page, "net", `wget -q -O - http://10.0.2.2:${new URL(appUrl).port}/net/config`);
  expect(self).not.toContain("enabled");
  expect(self).not.toContain("status 0");

  // Throughput: 8 MiB from 127.0.0.1 through the relay, three times, timed in the page.
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = Date.now();
    let out: string;
    try {
      out = await run(page, "net", `wget -q -O - http://10.0.2.2:${portOf(web)}/big | wc -c`, 240_000);
    } catch (e) {
      console.log("SERIAL:", (await serial(page, "net")).slice(-3000));
      console.log("LAN:", JSON.stringify(await page.evaluate(() => window.x86vm.lan())));
      throw e;
    }
    const ms = Date.now() - t0;
    expect(out).toContain(String(BIG));
    rates.push(BIG / 1e6 / (ms / 1000));
  }
  rates.sort((a, b) => a - b);
  const line =
    `relay in Chromium, Linux VM (96 MiB) wget of 8 MiB from 127.0.0.1 via 10.0.2.2: ` +
    `median ${rates[1].toFixed(2)} MB/s of ${rates.map((r) => r.toFixed(2)).join(", ")}`;
  console.log(line);
  info.annotations.push({ type: "net-relay", description: line });
  await info.attach("net-relay-figures.txt", { body: line + "\n" });
  await page.screenshot({ path: info.outputPath("net-relay.png"), fullPage: true });
});
