// The Linux guest through the NAT, as `vm boot --kernel ... --net nat --net-allow ...` builds
// it: HTTP servers on this host's 127.0.0.1, the guest's busybox wget fetches a page from
// 10.0.2.2:PORT and from an allow-listed name (answered by the user network's DNS server), is
// refused at a port that listens but is not on the list, downloads 4 MiB three times (md5sum
// in the guest checked against the host's; the throughput is printed) and uploads 1 MiB
// (--post-file; the server's digest checked). Everything is checked on the serial console.
// Needs the guest of the current recipe (pnpm images; pnpm test builds it first).
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Session } from "../session/session.ts";
import { buildPc, parseBootArgs } from "./boot.ts";
import { GUEST_RECIPE, defaultGuestsDir, guestIsCurrent } from "./images.ts";
import { connectNetwork } from "./network.ts";

const GUEST = path.join(defaultGuestsDir(), "linux-686");
const BIG = 4 << 20;
const UPLOAD = 1 << 20;
const big = Uint8Array.from({ length: BIG }, (_, i) => (i * 2654435761) >>> 24);
const md5 = (b: Uint8Array) => crypto.createHash("md5").update(b).digest("hex");

let server: http.Server;
let other: http.Server;
let port = 0;
let otherPort = 0;

function listen(s: http.Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve((s.address() as AddressInfo).port)));
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === "/hello") res.end("hello from the host\n");
    else if (req.url === "/big") {
      res.setHeader("content-length", BIG);
      res.end(big);
    } else if (req.url === "/upload") {
      const parts: Buffer[] = [];
      req.on("data", (d: Buffer) => parts.push(d));
      req.on("end", () => {
        const body = Buffer.concat(parts);
        res.end(`got ${body.length} bytes md5 ${md5(body)}\n`);
      });
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  other = http.createServer((_, res) => res.end("should not be reached\n"));
  port = await listen(server);
  otherPort = await listen(other);
});

afterAll(() => {
  server.close();
  other.close();
});

it("fetches pages through --net nat from allowed destinations only, and moves megabytes both ways", async () => {
  expect(guestIsCurrent(GUEST), `${GUEST} must be built by recipe ${GUEST_RECIPE}: run pnpm images`).toBe(true);
  const args = parseBootArgs([
    ...["--kernel", path.join(GUEST, "bzImage"), "--initrd", path.join(GUEST, "initrd.gz")],
    ...["--append", "console=ttyS0", "--mem", "64", "--net", "nat"],
    ...["--net-allow", `10.0.2.2:${port}`, "--net-allow", `web.test:${port}`],
  ]);
  const pc = buildPc(args);
  const session = new Session(pc);
  const log: string[] = [];
  const net = await connectNetwork(
    session,
    pc,
    { mode: args.net, allow: args.netAllow, lookup: async (name) => (name === "web.test" ? ["127.0.0.1"] : []) },
    (line) => log.push(line),
  );
  expect(net?.nat).toBeTruthy();
  const opts = { timeoutS: 900, serialInput: true, nowMs: () => performance.now() };
  /** Types a command and waits for `until` at the start of a line of its output, then the prompt. */
  const run = async (keys: string, until: string) => {
    const before = session.results.length;
    const esc = until.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    await session.run(
      [
        { kind: "type", keys },
        { kind: "wait", pattern: { regex: new RegExp(`\n${esc}`) }, source: "serial" },
        { kind: "until", text: "# " },
      ],
      opts,
    );
    const [typed, wait] = session.results.slice(before);
    return { wallMs: typed.wallMs + wait.wallMs, machineMs: typed.machineMs + wait.machineMs };
  };
  const figures: { wallMs: number; machineMs: number }[] = [];
  try {
    await session.run(
      [
        { kind: "until", text: "NET-OK" },
        { kind: "until", text: "# " },
      ],
      opts,
    );
    await run(`wget -q -O - http://10.0.2.2:${port}/hello\n`, "hello from the host");
    await run(`wget -q -O - http://web.test:${port}/hello && echo NAME-OK\n`, "NAME-OK");
    await run(`wget -q -O - http://10.0.2.2:${otherPort}/hello; echo RC=$?\n`, "RC=");
    for (let i = 0; i < 3; i++)
      figures.push(await run(`wget -q -O - http://10.0.2.2:${port}/big | md5sum\n`, md5(big)));
    await run(
      `dd if=/dev/zero bs=1024 count=${UPLOAD / 1024} 2>/dev/null | tr '\\0' 'u' > /tmp/up; wget -q -O - --post-file /tmp/up http://10.0.2.2:${port}/upload\n`,
      "got ",
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- serial ---\n${session.serial.slice(-3000)}`, { cause: e });
  }
  const serial = session.serial.replace(/\r/g, "");
  expect(serial).toMatch(/hello from the host\n[^]*hello from the host\nNAME-OK/);
  expect(serial).toMatch(/Connection refused\nRC=1/);
  expect(serial).not.toMatch(/should not be reached/);
  expect(log).toEqual([`vm: --net nat: refused TCP 10.0.2.2:${otherPort} (not in --net-allow)`]);
  expect(serial.split(md5(big)).length - 1).toBeGreaterThanOrEqual(3);
  const up = md5(new Uint8Array(UPLOAD).fill(0x75));
  expect(serial).toContain(`got ${UPLOAD} bytes md5 ${up}`);
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[1];
  const mb = BIG / 1e6;
  console.log(
    `4 MiB through the NAT: ${(mb / (median(figures.map((f) => f.wallMs)) / 1000)).toFixed(2)} MB/s wall, ` +
      `${(mb / (median(figures.map((f) => f.machineMs)) / 1000)).toFixed(2)} MB/s guest time ` +
      `(median of 3; wall ${figures.map((f) => Math.round(f.wallMs)).join(", ")} ms, guest ${figures.map((f) => Math.round(f.machineMs)).join(", ")} ms)`,
  );
  // Every connection was closed by both sides: TIME-WAIT ends after 2 s of guest time.
  expect(net!.nat!.tcp.size).toBeGreaterThan(0);
  await session.run([{ kind: "sleep", ms: 2500 }], opts);
  expect(net!.nat!.tcp.size).toBe(0);
}, 1_200_000);
