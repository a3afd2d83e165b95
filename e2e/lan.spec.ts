// The page's LAN: two Linux VMs with network cards on the switch of one page get their addresses
// from the gateway's DHCP (10.0.2.15 and .16), ping each other, find each other by name (DNS),
// and move data with nc; the figures (ping round trip, nc throughput, median of 3) are printed
// and attached. Then the receiving VM of a transfer is paused, snapshotted and destroyed midway,
// and the snapshot resumed in its place: the sender's TCP resends what the resumed machine had
// not received, and every byte arrives (count and md5).
//
// Needs the Linux guest (pnpm images) on the server, as linux.spec.ts.
import { expect, test, type Page } from "@playwright/test";
import { openShell, panel, serial, waitForSerial as waitFor } from "./helpers.ts";

const send = (page: Page, name: string, text: string) =>
  page.evaluate(([n, t]) => window.x86vm.vm(n)!.sendSerial(t), [name, text] as const);

/** Runs a shell command and waits for its end marker; returns what it printed. */
async function run(page: Page, name: string, cmd: string, timeout = 60_000): Promise<string> {
  const from = (await serial(page, name)).length;
  const tag = `END${Math.floor(Math.random() * 1e6)}`;
  await send(page, name, `${cmd}; echo ${tag}\n`);
  const m = await waitFor(page, name, new RegExp(`([\\s\\S]*)\\n${tag}`), from, timeout);
  return m[1];
}

/** Boots the two VMs: alpha through the form (network: LAN), beta through the page API. */
async function bootPair(page: Page): Promise<Record<string, string>> {
  await page.getByTestId("guest").selectOption("linux");
  await page.getByTestId("new-name").fill("alpha");
  await page.getByTestId("new-memory").fill("96");
  await page.getByTestId("new-net").selectOption("lan");
  await page.getByTestId("create").click();
  await expect(panel(page, "alpha")).toBeVisible();
  await page.evaluate(() => window.x86vm.create({ guest: "linux", name: "beta", memoryMiB: 96, net: "lan" }));
  const ips: Record<string, string> = {};
  for (const name of ["alpha", "beta"]) {
    const m = await waitFor(page, name, /NET-OK eth0 (10\.0\.2\.\d+) router 10\.0\.2\.2/, 0, 360_000);
    ips[name] = m[1];
    await waitFor(page, name, /BOOT-OK[\s\S]*# /, 0, 60_000);
  }
  return ips;
}

test("two Linux VMs on the page's LAN: DHCP, ping, DNS by name, nc throughput", async ({ page }, info) => {
  test.setTimeout(600_000);
  await openShell(page);
  const ips = await bootPair(page);
  expect(Object.values(ips).sort()).toEqual(["10.0.2.15", "10.0.2.16"]);

  // The LAN panel lists both with their leases.
  const lan = page.getByTestId("lan");
  await expect(lan.getByTestId("lan-port")).toHaveCount(2);
  await expect(lan.locator('[data-name="alpha"]').getByTestId("lan-ip")).toHaveText(ips.alpha);
  await expect(lan.locator('[data-name="beta"]').getByTestId("lan-ip")).toHaveText(ips.beta);

  // Ping: 10 echoes, the round trip as ping reports it.
  const ping = await run(page, "alpha", `ping -c 10 -i 0.2 ${ips.beta}`);
  expect(ping).toContain("10 packets received");
  const rtt = ping.match(/round-trip min\/avg\/max = ([\d.]+)\/([\d.]+)\/([\d.]+) ms/)!;
  expect(rtt).not.toBeNull();
  // Each echo's time, for the median (ping itself says min/avg/max).
  const times = [...ping.matchAll(/seq=\d+ ttl=\d+ time=([\d.]+) ms/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
  expect(times).toHaveLength(10);
  const median = (times[4] + times[5]) / 2;

  // The other VM by name, from the gateway's DNS.
  const ns = await run(page, "alpha", "nslookup beta");
  expect(ns).toContain(ips.beta);

  // nc: 4 MiB from alpha to beta, three times; beta counts the bytes. (The suite keeps this
  // small; the transfer rate it prints is the figure, and bigger transfers only take longer.)
  const SIZE = 4 * 1024 * 1024;
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const from = (await serial(page, "beta")).length;
    await send(page, "beta", "nc -l -p 5000 | wc -c\n");
    await page.waitForTimeout(500);
    const ms = await page.evaluate(
      async ([ip, from, expectBytes]) => {
        const b = window.x86vm.vm("beta")!;
        window.x86vm.vm("alpha")!.sendSerial(`dd if=/dev/zero bs=64k count=64 2>/dev/null | nc ${ip} 5000\n`);
        const t0 = performance.now();
        while (!b.serialText().slice(from).includes(String(expectBytes))) {
          if (performance.now() - t0 > 240_000)
            throw new Error(
              `no byte count after 240 s; LAN ${JSON.stringify(window.x86vm.lan())}; beta: ${b.serialText().slice(-300)}`,
            );
          await new Promise((r) => setTimeout(r, 20));
        }
        return performance.now() - t0;
      },
      [ips.beta, from, SIZE] as const,
    );
    rates.push(SIZE / 1e6 / (ms / 1000));
  }
  const stats = await page.evaluate(() => window.x86vm.lan());
  const beta = stats.find((p) => p.name === "beta")!;
  expect(beta.in.bytes).toBeGreaterThan(3 * SIZE);
  rates.sort((a, b) => a - b);
  const line =
    `LAN in Chromium, two Linux VMs (96 MiB each): ping RTT min/median/max ${rtt[1]}/${median.toFixed(3)}/${rtt[3]} ms ` +
    `(avg ${rtt[2]}, 10 echoes); ` +
    `nc of 4 MiB from /dev/zero: median ${rates[1].toFixed(2)} MB/s of ${rates.map((r) => r.toFixed(2)).join(", ")}; ` +
    `frames into beta ${beta.in.frames}, dropped ${beta.in.dropped} (to beta) / ${beta.out.dropped} (from beta)`;
  console.log(line);
  info.annotations.push({ type: "lan", description: line });
  await info.attach("lan-figures.txt", { body: line + "\n" });
  await page.screenshot({ path: info.outputPath("lan.png"), fullPage: true });
});

test("a snapshot of a VM taken mid-transfer, resumed in its place, finishes the transfer", async ({ page }, info) => {
  test.setTimeout(900_000);
  await openShell(page);
  const ips = await bootPair(page);
  const bytes = 4 * 1024 * 1024;
  // Random data (the md5 shows every byte arrived, in order), sent from a file on alpha.
  const made = await run(
    page,
    "alpha",
    `mkdir -p /tmp && dd if=/dev/urandom of=/tmp/data bs=64k count=${bytes / 65536} 2>/dev/null && md5sum /tmp/data`,
    120_000,
  );
  const sum = made.match(/\b([0-9a-f]{32})\s+\/tmp\/data/)![1];
  await send(page, "beta", "mkdir -p /tmp && nc -l -p 5001 > /tmp/got; wc -c < /tmp/got; md5sum /tmp/got\n");
  await page.waitForTimeout(500);
  const sentFrom = (await serial(page, "alpha")).length;
  await send(page, "alpha", `nc ${ips.beta} 5001 < /tmp/data; echo SENT-$?\n`);
  // Some of it has arrived: snapshot beta now.
  await expect
    .poll(async () => (await page.evaluate(() => window.x86vm.lan())).find((p) => p.name === "beta")!.in.bytes, {
      timeout: 60_000,
      intervals: [100],
    })
    .toBeGreaterThan(1024 * 1024);
  expect(await serial(page, "beta")).not.toContain(String(bytes));
  // Paused, snapshotted, destroyed, and the snapshot resumed in its place (same name, same MAC).
  // Paused first: a VM that ran on after its snapshot would acknowledge data the snapshot does
  // not have, and alpha's TCP, which forgets what was acknowledged, could never send it again.
  const midway = await page.evaluate(async () => {
    const vm = window.x86vm.vm("beta")!;
    await vm.pause();
    const s = await vm.snapshot();
    const mid = window.x86vm.lan().find((p) => p.name === "beta")!.in.bytes;
    await vm.destroy();
    await window.x86vm.openSnapshot(s, { label: "beta mid-transfer" });
    return mid;
  });
  await expect(page.getByTestId("lan").getByTestId("lan-port")).toHaveCount(2);
  let m: RegExpMatchArray;
  try {
    m = await waitFor(page, "beta", /\n(\d+)\r?\n([0-9a-f]{32})\s+\/tmp\/got/, 0, 300_000);
  } catch (e) {
    console.log("beta:", (await serial(page, "beta")).slice(-600));
    console.log("alpha:", (await serial(page, "alpha")).slice(-600));
    console.log("LAN:", JSON.stringify(await page.evaluate(() => window.x86vm.lan())));
    throw e;
  }
  expect(m[1]).toBe(String(bytes));
  expect(m[2]).toBe(sum);
  await waitFor(page, "alpha", /SENT-0/, sentFrom, 60_000);
  const line = `snapshot of beta after ${(midway / 1048576).toFixed(1)} MiB of ${bytes / 1048576} MiB in flight; resumed, all ${bytes} bytes arrived (md5 ${sum})`;
  console.log(line);
  info.annotations.push({ type: "lan-snapshot", description: line });
});
