// Generated round trip of every stateful part of the PC (STYLE.md 14): the board's chips, the
// built-in BIOS, the CPU and its FPU, each declaring its state with defineState. For every saved field (nested
// records included) the test takes the part's own saved record, changes that one field to each
// value its kind offers, loads, saves and compares:
//   - every field must round-trip at least one value other than its current one exactly, alone
//     or together with one other field (for fields a cross-field check ties to another, such as
//     a UART's tsrFull and tsrDoneAt), or alone from such a pair (a UART's txCount needs both);
//   - a value that is accepted but saved differently (a derived bit recomputed on load) must be
//     stable: loading what was saved saves the same again;
//   - a value that is refused must be refused with a StateError, leaving the part as it was;
//   - every corruption the field's kind names (wrong type, out of range, wrong length), a
//     missing field and an undeclared one must be refused the same way.
import { describe, expect, it } from "vitest";
import {
  MemoryDisk,
  StateError,
  cloneState,
  cpuStatefuls,
  type FieldKind,
  type StateRecord,
  type StateValue,
  type Stateful,
} from "@x86vm/core";
import { PcMachine } from "./pc.ts";
import { NIC_MODELS, NIC_PARTS } from "./board.ts";

/**
 * Fields no single change nor pair of changes can move to another value the part keeps: each
 * needs three or more fields to change together, or names what the part is attached to (a
 * record of another disk is refused). The list may only shrink.
 */
const FIELDS_NEEDING_MORE: Record<string, string> = {
  "ps2-keyboard:.repeatKey": "a repeating key is held and has a repeat time (held, repeatKey, repeatAt)",
  "ps2-keyboard:.repeatAt": "a repeat time needs a held repeating key (held, repeatKey, repeatAt)",
  "fdc82077:.commandLength": "a partial command needs its opcode and length (command, commandNeeded)",
  "fdc82077:.exec.kind": "a non-DMA transfer needs its phase, a position before its end and media",
  "ata-disk:.sectors": "the attached disk's size: a record of another disk is refused",
  "ata-disk:.xfer": "a transfer needs DRQ, a command and a block (taskFile.status, command, end, buffer)",
  "ata-disk:.command.kind": "a command needs its transfer phase, DRQ and block (xfer, taskFile.status, end)",
  "atapi-cdrom:.mediaPresent": "the inserted disc: a record of another drive state is refused",
  "atapi-cdrom:.mediaSectors": "the inserted disc's size: a record of another disc is refused",
  "atapi-cdrom:.xfer": "a transfer needs DRQ, a command and a block (taskFile.status, command, end, buffer)",
  "x87:.ignne": "IGNNE# is kept only while an unmasked exception is pending (sw, cw)",
  "atapi-cdrom:.command.kind": "a command needs its transfer phase, DRQ and block (xfer, taskFile.status, end)",
};

type Path = (string | number)[];

function board(): [string, Stateful][] {
  const pc = new PcMachine({
    memoryMiB: 2,
    clock: "deterministic",
    fda: new MemoryDisk(new Uint8Array(1474560)),
    hda: new MemoryDisk(new Uint8Array(4 << 20)),
    cdrom: new MemoryDisk(new Uint8Array(2048 * 16), true),
    net: {}, // the RTL8029 and the link
  });
  pc.run(200_000);
  // The other network cards, each on a machine of its own.
  const cards = NIC_MODELS.filter((c) => c !== "ne2k-pci").flatMap((card) =>
    new PcMachine({ memoryMiB: 2, net: { card } }).namedDevices().filter(([id]) => id === NIC_PARTS[card]),
  );
  return [
    ...pc.namedDevices(),
    ...cards,
    ...cpuStatefuls(pc.machine.cpu).map((s): [string, Stateful] => [s.stateName, s]),
  ];
}

function same(a: StateValue | undefined, b: StateValue | undefined): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((x, i) => same(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a),
      kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => same(a[k], b[k]));
  }
  return Object.is(a, b);
}

/** Where a difference lies, for messages. */
function diff(a: StateRecord, b: StateRecord): string {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => !same(a[k], b[k])).join(", ");
}

function getAt(rec: StateValue, path: Path): StateValue {
  let v = rec;
  for (const p of path) v = (v as Record<string, StateValue>)[p as string];
  return v;
}
function withAt(rec: StateRecord, path: Path, value: StateValue | undefined): StateRecord {
  const out = cloneState(rec);
  let v: StateValue = out;
  for (const p of path.slice(0, -1)) v = (v as Record<string, StateValue>)[p as string];
  const last = path[path.length - 1] as string;
  if (value === undefined) delete (v as Record<string, StateValue>)[last];
  else (v as Record<string, StateValue>)[last] = value;
  return out;
}
const show = (path: Path) => path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("");

/** Every field of a definition: leaves with their kinds, and the nested records themselves. */
function walk(
  kinds: Readonly<Record<string, FieldKind<unknown>>>,
  prefix: Path = [],
): { path: Path; kind: FieldKind<unknown> }[] {
  const out: { path: Path; kind: FieldKind<unknown> }[] = [];
  for (const [name, kind] of Object.entries(kinds)) {
    const path = [...prefix, name];
    out.push({ path, kind });
    const shape = kind.shape;
    if (shape.type === "record") out.push(...walk(shape.fields, path));
    else if (shape.type === "records")
      for (const i of new Set([0, shape.length - 1])) out.push(...walk(shape.fields, [...path, i]));
  }
  return out;
}

/**
 * The current value with one element changed a little: a block whose bytes are checked (a
 * register among RAM, a configuration space with read-only bits) keeps its other bytes valid.
 * Small blocks are changed at every offset in turn, large ones at their end and middle.
 */
function nudges(v: StateValue): StateValue[] {
  if (v instanceof Uint8Array && v.length > 0) {
    const at = v.length <= 512 ? v.map((_, i) => i) : [v.length - 1, v.length >> 1];
    const out: Uint8Array[] = [];
    for (const i of at)
      for (const bit of [0x01, 0x80]) {
        const b = v.slice();
        b[i] ^= bit;
        out.push(b);
      }
    return out;
  }
  if (Array.isArray(v) && v.length > 0 && typeof v[v.length - 1] === "number") {
    const last = v[v.length - 1] as number;
    return [
      [...v.slice(0, -1), last + 1],
      [...v.slice(0, -1), last - 1],
    ];
  }
  return [];
}

type Outcome = "exact" | "changed" | "refused";

describe("every stateful part of the PC", () => {
  const parts = board();

  it("declares its state with defineState", () => {
    const missing = parts.filter(([, d]) => !d.stateDefinition).map(([id]) => id);
    expect(missing).toEqual([]);
  });

  describe.each(parts.filter(([, d]) => d.stateDefinition))("%s", (id, part) => {
    const def = part.stateDefinition!;
    const version = part.stateVersion;

    /** Loads `rec`; checks that a refusal leaves `before` in place and an acceptance is stable. */
    function tryLoad(rec: StateRecord, before: StateRecord, label: string): Outcome {
      try {
        part.loadState(rec, version);
      } catch (e) {
        if (!(e instanceof StateError)) throw new Error(`${id}${label}: ${(e as Error).message}`, { cause: e });
        const after = part.saveState();
        if (!same(after, before))
          throw new Error(`${id}${label}: refused, but changed ${diff(after, before)}`, { cause: e });
        return "refused";
      }
      const saved = part.saveState();
      if (same(saved, rec)) return "exact";
      part.loadState(cloneState(saved), version);
      const again = part.saveState();
      if (!same(again, saved)) throw new Error(`${id}${label}: not stable after loading, ${diff(again, saved)} moved`);
      return "changed";
    }

    it("names its schema and versions as its definition does", () => {
      expect([part.stateName, part.stateVersion, part.stateMinVersion]).toEqual([
        def.name,
        def.version,
        def.minVersion,
      ]);
    });

    it("round-trips a value other than its own in every field", () => {
      const base = part.saveState();
      const fields = walk(def.kinds).filter((f) => f.kind.shape.type === "leaf");
      const candidates = fields.map((f) => ({
        ...f,
        values: [...f.kind.samples(), ...nudges(getAt(base, f.path))].filter((s) => !same(s, getAt(base, f.path))),
      }));
      const reached = new Set<string>();
      for (const f of candidates) {
        for (const v of f.values) {
          if (tryLoad(withAt(base, f.path, v), base, `${show(f.path)} = ${JSON.stringify(v)}`) === "exact")
            reached.add(show(f.path));
          part.loadState(cloneState(base), version);
        }
      }
      // Fields held by a cross-field check: change them together with one other field, then
      // alone again starting from each pair that was kept.
      const pairs: StateRecord[] = [];
      for (const f of candidates) {
        if (reached.has(show(f.path))) continue;
        search: for (const g of candidates) {
          if (g === f) continue;
          for (const v of f.values)
            for (const w of g.values) {
              const rec = withAt(withAt(base, f.path, v), g.path, w);
              const out = tryLoad(rec, base, `${show(f.path)}+${show(g.path)}`);
              part.loadState(cloneState(base), version);
              if (out === "exact") {
                reached.add(show(f.path));
                reached.add(show(g.path));
                pairs.push(rec);
                break search;
              }
            }
        }
      }
      for (const f of candidates) {
        if (reached.has(show(f.path))) continue;
        for (const pair of pairs)
          for (const v of f.values) {
            const out = tryLoad(withAt(pair, f.path, v), base, `${show(f.path)} after a pair`);
            part.loadState(cloneState(base), version);
            if (out === "exact") reached.add(show(f.path));
          }
      }
      expect(same(part.saveState(), base)).toBe(true);
      const unreached = candidates.map((f) => show(f.path)).filter((p) => !reached.has(p));
      const known = Object.keys(FIELDS_NEEDING_MORE)
        .filter((k) => k.startsWith(`${def.name}:`))
        .map((k) => k.slice(def.name.length + 1));
      expect(unreached.sort()).toEqual(known.sort());
    });

    it("refuses every corrupted field and a missing one, unchanged", () => {
      const base = part.saveState();
      for (const f of walk(def.kinds)) {
        for (const c of [...f.kind.corruptions(), undefined]) {
          const label = `${show(f.path)} = ${c === undefined ? "(missing)" : JSON.stringify(c)}`;
          expect(tryLoad(withAt(base, f.path, c), base, label), label).toBe("refused");
        }
      }
      const extra = { ...cloneState(base), notAField: 0 };
      expect(tryLoad(extra, base, ".notAField (undeclared)"), "an undeclared field").toBe("refused");
      for (const v of [def.minVersion - 1, def.version + 1])
        expect(() => part.loadState(cloneState(base), v)).toThrow(StateError);
      expect(same(part.saveState(), base)).toBe(true);
    });
  });
});
