// The network relay of `pnpm start`: the New VM form offers "LAN + internet through the
// server" only on a server whose relay is on.
//
// The relay is off on the suite's server (playwright.config.ts), so this spec starts a second
// server of its own with X86VM_NET_ALLOW naming the test's HTTP server; the built app is the
// suite server's (dist/web). The first test checks the suite's server: the form offers the
// choice disabled, with the reason.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import url from "node:url";
import { expect, test } from "@playwright/test";
import { openShell } from "./helpers.ts";

const ROOT = path.resolve(path.dirname(url.fileURLToPath(import.meta.url)), "..");

let web: http.Server;
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
  web = http.createServer((_req, res) => res.end("listed\n"));
  await listen(web);
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
  if (snapshots) fs.rmSync(snapshots, { recursive: true, force: true });
});

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
