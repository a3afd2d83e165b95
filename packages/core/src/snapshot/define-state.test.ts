import { describe, expect, it } from "vitest";
import {
  bits,
  bool,
  bytes,
  byteQueue,
  defineState,
  field,
  fieldAt,
  i32,
  int,
  ints,
  list,
  oneOf,
  nullable,
  num,
  record,
  records,
  str,
  timeOrNever,
  u16,
  u32,
  u8,
  type FieldKind,
} from "./define-state.ts";
import { StateError, cloneState, type StateRecord } from "./state.ts";

class Part {
  a = 0;
  b = false;
}

class Toy {
  ier = 0;
  divisor = 1;
  fifo = new Uint8Array(4);
  regs = new Int32Array(2);
  dueAt = Infinity;
  label: string | null = null;
  private hidden = 7;
  parts = [new Part(), new Part()];
  main = new Part();
  derived = 0;
  loads = 0;
  extra = 0;

  get hiddenValue(): number {
    return this.hidden;
  }

  static readonly STATE = defineState<Toy>()({
    name: "toy",
    version: 3,
    minVersion: 2,
    fields: {
      ier: bits(0x0f),
      divisor: u16,
      fifo: bytes(4),
      regs: ints(2, -0x80000000, 0x7fffffff),
      dueAt: timeOrNever(),
      label: nullable(str(8)),
      secret: field(u8, { key: "hidden" }),
      twice: field(int(0, 510), { get: (t) => t.hidden * 2 }),
      parts: records(2, record({ fields: { a: u8, b: bool } })),
      main: record({
        fields: { a: u8, b: bool },
        check: (v, fail) => {
          if (v.b && v.a === 0) fail("b needs a");
        },
      }),
    },
    subsections: {
      more: { fields: { extra: u32 }, needed: (t) => t.extra !== 0, absent: (t) => void (t.extra = 0) },
    },
    check: (v, fail) => {
      if (v.twice % 2) fail("'twice' must be even");
      if (v.divisor === 0 && v.ier !== 0) fail("a divisor of 0 with interrupts on");
    },
    postLoad: (t, v) => {
      t.derived = v.twice + 1;
      t.loads++;
    },
  });

  saveState(): StateRecord {
    return Toy.STATE.save(this);
  }
  loadState(rec: StateRecord, version: number): void {
    Toy.STATE.load(this, rec, version);
  }
}

function busyToy(): Toy {
  const t = new Toy();
  t.ier = 5;
  t.divisor = 12;
  t.fifo.set([1, 2, 3, 4]);
  t.regs.set([-1, 0x7fffffff]);
  t.dueAt = 1000;
  t.label = "com";
  t.parts[1].a = 9;
  t.main.a = 3;
  t.main.b = true;
  return t;
}

describe("defineState", () => {
  it("saves every field under its name, in its saved form", () => {
    const rec = busyToy().saveState();
    expect(rec).toEqual({
      ier: 5,
      divisor: 12,
      fifo: new Uint8Array([1, 2, 3, 4]),
      regs: [-1, 0x7fffffff],
      dueAt: 1000,
      label: "com",
      secret: 7,
      twice: 14,
      parts: [
        { a: 0, b: false },
        { a: 9, b: false },
      ],
      main: { a: 3, b: true },
    });
    expect(new Toy().saveState().dueAt).toBe(-1);
  });

  it("round-trips, filling arrays and nested objects in place", () => {
    const src = busyToy();
    src.extra = 99;
    const rec = src.saveState();
    expect(rec.more).toEqual({ extra: 99 });
    const dst = new Toy();
    const { fifo, regs, parts, main } = dst;
    dst.loadState(cloneState(rec), 3);
    expect(dst.saveState()).toEqual(rec);
    expect(dst.fifo).toBe(fifo);
    expect(dst.regs).toBe(regs);
    expect(dst.parts).toBe(parts);
    expect(dst.main).toBe(main);
    expect(dst.dueAt).toBe(1000);
    expect(dst.derived).toBe(15);
    expect(dst.extra).toBe(99);
  });

  it("does not alias the owner's arrays in the record", () => {
    const t = busyToy();
    const rec = t.saveState();
    t.fifo[0] = 0xee;
    t.regs[0] = 5;
    expect((rec.fifo as Uint8Array)[0]).toBe(1);
    expect((rec.regs as number[])[0]).toBe(-1);
  });

  it("calls absent() for a subsection the record lacks", () => {
    const t = new Toy();
    t.extra = 4;
    t.loadState(busyToy().saveState(), 3);
    expect(t.extra).toBe(0);
  });

  it("refuses a record of a version that always has a subsection when it lacks it", () => {
    const spec = defineState<{ a: number; b: number }>()({
      name: "pair",
      version: 2,
      minVersion: 1,
      fields: { a: u8 },
      subsections: { more: { fields: { b: u8 }, needed: () => true, requiredFrom: 2, absent: (o) => void (o.b = 7) } },
    });
    const rec = spec.save({ a: 1, b: 2 });
    const old: StateRecord = { ...rec };
    delete old.more;
    const t = { a: 0, b: 0 };
    spec.load(t, old, 1);
    expect(t).toEqual({ a: 1, b: 7 });
    expect(() => spec.load(t, old, 2)).toThrow(/pair: a version 2 record lacks the 'more' group/);
    expect(() => spec.load(t, old, 2)).toThrow(StateError);
    spec.load(t, rec, 2);
    expect(t).toEqual({ a: 1, b: 2 });
  });

  it("checks the version in one place", () => {
    const rec = busyToy().saveState();
    const t = new Toy();
    expect(() => t.loadState(rec, 1)).toThrow(/toy: state version 1 is not supported \(this build reads 2..3\)/);
    expect(() => t.loadState(rec, 4)).toThrow(StateError);
    t.loadState(rec, 2);
    expect(t.loads).toBe(1);
  });

  it("refuses a bad field naming schema and field, leaving the owner untouched", () => {
    const good = busyToy().saveState();
    const cases: [string, unknown, RegExp][] = [
      ["ier", 0x10, /toy: field 'ier' is 16, outside 0..15/],
      ["divisor", 0x10000, /toy: field 'divisor' is 65536, outside 0..65535/],
      ["fifo", new Uint8Array(5), /toy: field 'fifo' has 5 bytes, expected 4/],
      ["regs", [1], /toy: field 'regs' must be an array of 2 integers/],
      ["dueAt", -3, /toy: field 'dueAt' is -3, neither -1 nor a time/],
      ["label", "123456789", /toy: field 'label' must be a string/],
      ["secret", "x", /toy: field 'secret' must be an integer/],
      ["twice", 3, /toy: 'twice' must be even/],
      [
        "parts",
        [
          { a: 1, b: false },
          { a: 1, b: 2 },
        ],
        /toy: field 'parts\[1\]\.b' must be a boolean/,
      ],
      ["main", { a: 0, b: true }, /toy: field 'main': b needs a/],
      ["main", { a: 0 }, /toy: field 'main\.b' is missing/],
      ["more", { extra: -1 }, /toy: field 'more\.extra' is -1/],
    ];
    for (const [name, value, message] of cases) {
      const t = new Toy();
      const before = t.saveState();
      const rec = { ...cloneState(good), [name]: value } as StateRecord;
      expect(() => t.loadState(rec, 3), name).toThrow(message);
      expect(t.saveState(), name).toEqual(before);
      expect(t.loads).toBe(0);
    }
    expect(() => new Toy().loadState({ ...cloneState(good), extra: 1 }, 3)).toThrow(
      /toy: field 'extra' is not a field of this schema/,
    );
    expect(() => new Toy().loadState({ ...cloneState(good), main: { a: 1, b: true, c: 0 } }, 3)).toThrow(
      /toy: field 'main\.c' is not a field of this schema/,
    );
    const t = new Toy();
    const rec = cloneState(good);
    delete rec.fifo;
    expect(() => t.loadState(rec, 3)).toThrow(/toy: field 'fifo' is missing/);
    expect(() => t.loadState(null as unknown as StateRecord, 3)).toThrow(/toy: state is not a record/);
  });

  it("runs cross-field checks on the in-memory values", () => {
    const rec = { ...busyToy().saveState(), divisor: 0 };
    expect(() => new Toy().loadState(rec, 3)).toThrow(/toy: a divisor of 0 with interrupts on/);
  });

  it("refuses to save a field the owner does not have", () => {
    const Bad = defineState<{ a: number }>()({ name: "bad", version: 1, minVersion: 1, fields: { b: u8 } });
    expect(() => Bad.save({ a: 1 })).toThrow(/bad: field 'b' has no value to save/);
  });

  it("refuses a definition whose versions do not make sense", () => {
    expect(() => defineState<object>()({ name: "v", version: 1, minVersion: 2, fields: {} })).toThrow(/minVersion/);
  });

  it("exposes the kinds of its fields", () => {
    expect(Object.keys(Toy.STATE.kinds)).toEqual([
      "ier",
      "divisor",
      "fifo",
      "regs",
      "dueAt",
      "label",
      "secret",
      "twice",
      "parts",
      "main",
    ]);
    expect(Toy.STATE.kinds.parts.shape).toMatchObject({ type: "records", length: 2 });
  });
});

describe("field kinds", () => {
  const kinds: [string, FieldKind<unknown>][] = [
    ["u8", u8],
    ["u16", u16],
    ["u32", u32],
    ["i32", i32],
    ["int(-3, 9)", int(-3, 9)],
    ["bits(0x81)", bits(0x81)],
    ["bool", bool],
    ["num()", num()],
    ["num(0)", num(0)],
    ["timeOrNever(true)", timeOrNever(true)],
    ["str(4)", str(4)],
    ["nullable(u8)", nullable(u8)],
    ["bytes(3)", bytes(3)],
    ["bytes(-1, { maxLength: 8 })", bytes(-1, { maxLength: 8 })],
    ["bytes(5, { maxByte: 1 })", bytes(5, { maxByte: 1 })],
    ["ints(3, 0, 7)", ints(3, 0, 7)],
    ["oneOf([0, 0xed, 0xf3])", oneOf([0, 0xed, 0xf3])],
    ['oneOf(["a", "b"])', oneOf(["a", "b"])],
    ["list(u8, 3)", list(u8, 3)],
    ["byteQueue(4)", byteQueue(4)],
  ];
  const fail = (what: string): never => {
    throw new StateError(what);
  };
  it.each(kinds)("%s accepts its samples and round-trips them", (_name, kind) => {
    expect(kind.samples().length).toBeGreaterThan(1);
    for (const s of kind.samples()) expect(kind.write(kind.read(s, fail, "t: field 'f'"), "t: field 'f'")).toEqual(s);
  });
  it.each(kinds)("%s refuses its corruptions", (_name, kind) => {
    expect(kind.corruptions().length).toBeGreaterThan(1);
    for (const c of kind.corruptions())
      expect(() => kind.read(c, fail, "t: field 'f'"), JSON.stringify(c)).toThrow(StateError);
  });
});

describe("fieldAt", () => {
  class Controller {
    xKind = 2;
    xCount = 9;
  }
  const EXEC = record({ fields: { kind: u8, count: u16 } });
  const def = (props: { kind: string; count: string }) =>
    defineState<Controller>()({ name: "ctl", version: 1, minVersion: 1, fields: { exec: fieldAt(EXEC, props) } });

  it("saves and loads a record from owner properties named otherwise", () => {
    const d = def({ kind: "xKind", count: "xCount" });
    const rec = d.save(new Controller());
    expect(rec).toEqual({ exec: { kind: 2, count: 9 } });
    const c = new Controller();
    d.load(c, { exec: { kind: 5, count: 300 } }, 1);
    expect([c.xKind, c.xCount]).toEqual([5, 300]);
  });

  it("throws at the first save or load when the owner lacks a property it names", () => {
    const d = def({ kind: "xKind", count: "xCnt" });
    expect(() => d.save(new Controller())).toThrow(/no property xCnt/);
    expect(() => d.load(new Controller(), { exec: { kind: 1, count: 1 } }, 1)).toThrow(/no property xCnt/);
  });
});
