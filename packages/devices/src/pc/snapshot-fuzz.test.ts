// Fuzzing the restore path with real snapshots (FreeDOS at A:\>, and a small machine in the
// middle of its boot with the floppy controller busy). Thousands of mutations: bit flips,
// truncation, header and length field edits, manifests and section tables that lie, section
// swaps, and device records edited field by field behind a valid checksum. Each case must be
// refused with a SnapshotError whose cause (if any) is a device's StateError, or restore a
// machine whose state (every part's saved record, RAM and clock) is
//   - identical to the original's, or
//   - exactly the state the altered snapshot describes (its records as written, the RAM its pages
//     decode to, its clock): content changed behind a valid checksum can describe another valid
//     machine, but never a half-loaded one.
// Either way saving the restored machine and restoring that gives the same state again. Never
// another exception, never unbounded work. A raw change (the checksum not resealed) must always
// be refused or leave the state identical.
//
// Seeded (FUZZ_SEED=n to replay another run); a failure names the seed and the case.
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  MemoryDisk,
  SnapshotError,
  StateError,
  cpuStatefuls,
  decodeSnapshot,
  decodeStateSection,
  encodeStateSection,
  readContainer,
  resealContainer,
  type StateRecord,
  type StateValue,
  type Stateful,
} from "@x86vm/core";
import { PcMachine } from "./pc.ts";
import { restoreSnapshot, saveSnapshot } from "./snapshot.ts";
import { replaceManifest, replaceSection, sectionRaw, withManifestText } from "./snapshot-testing.ts";

const FREEDOS = path.resolve(__dirname, "../../../../../shared/guests/freedos722.img");
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
/** FUZZ_SCALE=10 for a longer run. */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const cases = (n: number) => Math.round(n * SCALE);

/** mulberry32: small, fast, reproducible. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
  };
}
type Rng = ReturnType<typeof rng>;

/** What a restored machine holds: every part's saved record (encoded), its RAM and its clock. */
interface MachineState {
  records: Map<string, Uint8Array>;
  ram: Uint8Array;
  clock: number;
}

function machineState(pc: PcMachine): MachineState {
  const parts: [string, Stateful][] = [
    ...pc.namedDevices(),
    ...cpuStatefuls(pc.machine.cpu).map((s): [string, Stateful] => [s.stateName, s]),
  ];
  return {
    records: new Map(parts.map(([id, d]) => [id, encodeStateSection([d.saveState()], [id])])),
    ram: pc.machine.mem.ram.slice(),
    clock: pc.machine.clock.now(),
  };
}

interface Base {
  name: string;
  bytes: Uint8Array;
  /** The machine state the unaltered snapshot restores. */
  state: MachineState;
}

interface Tally {
  restored: number;
  restoredChanged: number;
  /** Restores whose machine state differs from the original's, with what differed. */
  different: string[];
  /** Of those, restores whose state is not exactly what the snapshot describes (a device normalised a value). */
  normalized: string[];
  refused: number;
  messages: Map<string, number>;
  slowestMs: number;
}

describe("restoring mutated snapshots", () => {
  let disk: MemoryDisk;
  let bases: Base[];

  beforeAll(async () => {
    const b = fs.readFileSync(FREEDOS);
    disk = new MemoryDisk(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), true);
    const prompt = new PcMachine({ memoryMiB: 32, clock: "deterministic", fda: disk });
    for (let i = 0; i < 3000 && !(prompt.textRows() ?? []).join("\n").includes("A:\\>"); i++) prompt.run(10e6);
    prompt.keyboard.typeText("ech");
    prompt.run(5e6);
    const booting = new PcMachine({ memoryMiB: 2, clock: "deterministic", fda: disk });
    booting.run(25e6);
    const saved = [
      { name: "freedos-prompt", bytes: await saveSnapshot(prompt, { hints: { fda: "freedos722.img" } }) },
      { name: "freedos-booting", bytes: await saveSnapshot(booting) },
    ];
    bases = [];
    for (const b of saved) bases.push({ ...b, state: machineState(await restore(b.bytes)) });
  });

  const restore = (bytes: Uint8Array) =>
    restoreSnapshot(bytes, {
      images: (_sha, size) => (size === disk.size ? disk : null),
      maxMemoryBytes: 64 << 20,
    });

  /** The state a snapshot describes: its records as written and the RAM its pages decode to. */
  async function describedState(bytes: Uint8Array): Promise<MachineState> {
    const d = await decodeSnapshot(bytes, { maxMemoryBytes: 64 << 20 });
    const ram = new Uint8Array(d.manifest.machine.memoryBytes);
    await d.restoreRam(ram);
    return {
      records: new Map(d.states.map((s) => [s.id, encodeStateSection([s.fields], [s.id])])),
      ram,
      clock: d.manifest.machine.clock.nowNs,
    };
  }

  /**
   * Compares a restored machine with the original's: what differs (record ids, "ram", "clock"),
   * empty when identical.
   */
  function differences(a: MachineState, b: MachineState): string[] {
    const out: string[] = [];
    for (const [id, rec] of a.records) {
      const other = b.records.get(id);
      if (!other || Buffer.compare(rec, other) !== 0) out.push(id);
    }
    for (const id of b.records.keys()) if (!a.records.has(id)) out.push(id);
    if (a.ram.length !== b.ram.length || Buffer.compare(a.ram, b.ram) !== 0) out.push("ram");
    if (a.clock !== b.clock) out.push("clock");
    return out;
  }

  /**
   * Restores one mutant and files the outcome: refused with a SnapshotError, or restored. A
   * restore is compared with the original machine (`base`): when it differs, the restored state
   * must at least be what the snapshot says, not a half-loaded or drifting one: saving it and
   * restoring that gives the same state again.
   */
  async function attempt(t: Tally, bytes: Uint8Array, label: string, base: Base): Promise<void> {
    const t0 = performance.now();
    try {
      const pc = await restore(bytes);
      t.restored++;
      if (Buffer.compare(base.bytes, bytes) !== 0) t.restoredChanged++;
      const state = machineState(pc);
      const diff = differences(state, base.state);
      if (diff.length > 0) {
        t.different.push(`${label}: ${diff.join(", ")}`);
        const unfaithful = differences(state, await describedState(bytes));
        if (unfaithful.length > 0) t.normalized.push(`${label}: ${unfaithful.join(", ")}`);
        const again = differences(machineState(await restore(await saveSnapshot(pc))), state);
        if (again.length > 0)
          throw new Error(`seed ${SEED}, ${label}: restored, but saving and restoring it changes ${again.join(", ")}`);
      }
    } catch (e) {
      if (!(e instanceof SnapshotError))
        throw new Error(`seed ${SEED}, ${label}: ${(e as Error)?.constructor?.name} thrown: ${(e as Error)?.message}`, {
          cause: e,
        });
      const cause = (e as { cause?: unknown }).cause;
      if (cause !== undefined && !(cause instanceof StateError)) {
        throw new Error(
          `seed ${SEED}, ${label}: refused, but a device failed with ${(cause as Error)?.constructor?.name}: ${(e as Error).message}`,
          { cause: e },
        );
      }
      t.refused++;
      const key = e.message
        .replace(/\d+/g, "N")
        .replace(/"[^"]*"/g, "S")
        .slice(0, 70);
      t.messages.set(key, (t.messages.get(key) ?? 0) + 1);
    }
    t.slowestMs = Math.max(t.slowestMs, performance.now() - t0);
  }

  const tally = (): Tally => ({
    restored: 0,
    restoredChanged: 0,
    different: [],
    normalized: [],
    refused: 0,
    messages: new Map(),
    slowestMs: 0,
  });
  const report = (name: string, t: Tally) => {
    const top = [...t.messages.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([m, n]) => `${n}x ${m}`);
    console.log(
      `${name}: ${t.restored} restored (${t.different.length} to another state), ${t.refused} refused, slowest ${t.slowestMs.toFixed(0)} ms\n  ${top.join("\n  ")}`,
    );
    // A restore is exactly what the snapshot describes.
    expect(t.normalized).toEqual([]);
    // Bounded work: no single case may take long (a restore that succeeds takes tens of ms).
    expect(t.slowestMs).toBeLessThan(5000);
  };

  function flipBits(r: Rng, b: Uint8Array, from = 0, to = b.length): void {
    for (let i = 1 + r.int(8); i > 0; i--) b[from + r.int(to - from)] ^= 1 << r.int(8);
  }

  const EDGE_U32 = [0, 1, 31, 32, 33, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe];

  it("raw corruption (bit flips, truncation, extension, header edits) is refused or changes nothing", async () => {
    const r = rng(SEED);
    const t = tally();
    for (let i = 0; i < cases(1500); i++) {
      const base = r.pick(bases);
      let b = base.bytes.slice();
      const kind = r.int(4);
      if (kind === 0) flipBits(r, b);
      else if (kind === 1) b = b.slice(0, r.int(b.length));
      else if (kind === 2)
        b = Uint8Array.from(
          [...b.subarray(0, 64), ...b.subarray(64)].concat(Array.from({ length: 1 + r.int(64) }, () => r.int(256))),
        );
      else
        new DataView(b.buffer).setUint32(
          r.pick([8, 12, 16, 20, 24, 28]),
          r.next() < 0.5 ? r.pick(EDGE_U32) : r.int(2 ** 32),
          true,
        );
      await attempt(t, b, `raw case ${i} kind ${kind} on ${base.name}`, base);
    }
    report("raw", t);
    expect(t.restoredChanged).toBe(0); // the checksum catches every change (some edits wrote the value already there)
    expect(t.different).toEqual([]);
  });

  it("corruption behind a valid checksum (header, manifest text, payload) is refused or restores exactly what it describes", async () => {
    const r = rng(SEED + 1);
    const t = tally();
    for (let i = 0; i < cases(1000); i++) {
      const base = r.pick(bases);
      const b = base.bytes.slice();
      const mlen = new DataView(b.buffer).getUint32(16, true);
      const region = r.int(3);
      if (region === 0) flipBits(r, b, 0, 32);
      else if (region === 1) flipBits(r, b, 32, 32 + mlen);
      else flipBits(r, b, 32 + mlen, b.length - 32);
      await resealContainer(b);
      await attempt(t, b, `resealed case ${i} region ${region} on ${base.name}`, base);
    }
    report("resealed", t);
  });

  /** Every path to a leaf or node of a JSON value. */
  function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
    out.push(prefix);
    if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
    return out;
  }

  function mutateValue(r: Rng, v: unknown): unknown {
    const choices: (() => unknown)[] = [
      () => null,
      () => true,
      () => "x",
      () => "",
      () => [],
      () => ({}),
      () => "a".repeat(5000),
      () => r.pick([0, -1, 1, 0.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e300, -1e300]),
    ];
    if (typeof v === "number")
      choices.push(
        () => v + 1,
        () => v - 1,
        () => v * 2,
        () => -v,
        () => Math.floor(v / 2),
        () => v + 4096,
        () => v * 1e6,
      );
    if (typeof v === "boolean") choices.push(() => !v);
    if (typeof v === "string")
      choices.push(
        () => v.slice(1),
        () => `${v}x`,
        () => v.toUpperCase(),
      );
    if (Array.isArray(v))
      choices.push(
        () => v.slice(1),
        () => [...v, v.length ? v[0] : 0],
        () => [...v].reverse(),
        () => [],
      );
    return r.pick(choices)();
  }

  function setPath(root: Record<string, unknown>, p: (string | number)[], value: unknown, remove: boolean): void {
    let o = root as Record<string | number, unknown>;
    for (let i = 0; i < p.length - 1; i++) o = o[p[i]] as Record<string | number, unknown>;
    const last = p[p.length - 1];
    if (remove && !Array.isArray(o)) delete o[last];
    else o[last] = value;
  }

  it("manifests and section tables that lie, and swapped sections, are refused or restore exactly what they describe", async () => {
    const r = rng(SEED + 2);
    const t = tally();
    for (let i = 0; i < cases(1000); i++) {
      const base = r.pick(bases);
      const kind = r.int(5);
      let b: Uint8Array;
      if (kind <= 2) {
        // Edit one value anywhere in the manifest, section table included.
        const manifest = (await readContainer(base.bytes, Infinity)).manifest;
        const all = paths(manifest).filter((p) => p.length > 0);
        const p = r.pick(all);
        b = await replaceManifest(base.bytes, (m) => {
          let cur: unknown = m;
          for (const k of p) cur = (cur as Record<string | number, unknown>)[k];
          setPath(m, p, mutateValue(r, cur), r.next() < 0.15);
        });
      } else if (kind === 3) {
        // Swap two section table entries, or two section references.
        b = await replaceManifest(base.bytes, (m) => {
          const s = m.sections as unknown[];
          const x = r.int(s.length),
            y = r.int(s.length);
          if (r.next() < 0.5) [s[x], s[y]] = [s[y], s[x]];
          else {
            const ram = m.ram as Record<string, unknown>;
            const refs: [Record<string, unknown>, string][] = [
              [m, "states"],
              [ram, "map"],
              [ram, "data"],
            ];
            const [o1, k1] = r.pick(refs),
              [o2, k2] = r.pick(refs);
            [o1[k1], o2[k2]] = [o2[k2], o1[k1]];
          }
        });
      } else {
        // Not JSON, or JSON of the wrong shape.
        b = await withManifestText(
          base.bytes,
          r.pick(["", "{", "[]", "null", '{"format":1}', '"x"', "{}".repeat(3), "[".repeat(100000)]),
        );
      }
      await attempt(t, b, `manifest case ${i} kind ${kind} on ${base.name}`, base);
    }
    report("manifest", t);
  });

  /** Paths into a device record (byte blocks are leaves). */
  function recordPaths(
    v: StateValue,
    prefix: (string | number)[] = [],
    out: (string | number)[][] = [],
  ): (string | number)[][] {
    if (prefix.length > 0) out.push(prefix);
    if (v instanceof Uint8Array) return out;
    if (Array.isArray(v)) v.forEach((x, i) => recordPaths(x, [...prefix, i], out));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) recordPaths(x, [...prefix, k], out);
    return out;
  }

  function mutateField(r: Rng, v: StateValue): StateValue {
    if (v instanceof Uint8Array) {
      const c = r.int(4);
      if (c === 0) return v.slice(0, r.int(v.length + 1));
      if (c === 1) {
        const x = new Uint8Array(v.length + 1 + r.int(16));
        x.set(v);
        return x;
      }
      const x = v.slice();
      for (let i = 1 + r.int(8); i > 0 && x.length; i--) x[r.int(x.length)] = r.int(256);
      return x;
    }
    if (typeof v === "number" && r.next() < 0.5) {
      // Plausible-looking values near the field's own, which a range check must judge.
      return r.pick([
        v + 1,
        v - 1,
        v ^ (1 << r.int(8)),
        r.int(256),
        r.int(65536),
        -1,
        2 ** 32,
        v + 0.5,
        Number.MAX_SAFE_INTEGER,
      ]);
    }
    return mutateValue(r, v) as StateValue;
  }

  it("device records edited field by field are refused by each device's validation or restore exactly as written", async () => {
    const r = rng(SEED + 3);
    const t = tally();
    const decoded = await Promise.all(
      bases.map(async (b) => {
        const m = (await readContainer(b.bytes, Infinity)).manifest as { states: number; devices: { name: string }[] };
        const raw = await sectionRaw(b.bytes, m.states);
        return { ...b, index: m.states, names: m.devices.map((d) => d.name), raw };
      }),
    );
    for (let i = 0; i < cases(700); i++) {
      const base = decoded[r.next() < 0.8 ? 1 : 0]; // mostly the small machine: cheaper restores
      const records = decodeStateSection(base.raw, base.names.length);
      const dev = r.int(records.length);
      const edits = 1 + r.int(2);
      let label = "";
      for (let k = 0; k < edits; k++) {
        const all = recordPaths(records[dev]);
        if (all.length === 0) break;
        const p = r.pick(all);
        label += `${base.names[dev]}.${p.join(".")} `;
        let cur: StateValue = records[dev];
        for (const key of p) cur = (cur as Record<string | number, StateValue>)[key];
        setPath(records[dev] as Record<string, unknown>, p, mutateField(r, cur), r.next() < 0.1);
      }
      const b = await replaceSection(base.bytes, base.index, encodeStateSection(records as StateRecord[], base.names));
      await attempt(t, b, `record case ${i}: ${label}on ${base.name}`, base);
    }
    report("records", t);
    expect(t.refused).toBeGreaterThan(cases(200));
  });

  it("decompressed sections with flipped bits (state text, page map, overlay) are refused or restore exactly what they describe", async () => {
    const r = rng(SEED + 4);
    const t = tally();
    for (let i = 0; i < cases(300); i++) {
      const base = r.pick(bases);
      const c = await readContainer(base.bytes, Infinity);
      const index = r.int(c.sections.length);
      const raw = (await sectionRaw(base.bytes, index)).slice();
      if (raw.length === 0) continue;
      const kind = r.int(3);
      let mutated = raw;
      if (kind === 0) flipBits(r, mutated);
      else if (kind === 1) mutated = raw.slice(0, r.int(raw.length));
      else {
        mutated = new Uint8Array(raw.length + 1 + r.int(100));
        mutated.set(raw);
      }
      await attempt(
        t,
        await replaceSection(base.bytes, index, mutated),
        `section case ${i}: ${c.sections[index].kind} kind ${kind} on ${base.name}`,
        base,
      );
    }
    report("sections", t);
  });
});
