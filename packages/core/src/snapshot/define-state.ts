// Device state declared once (STYLE.md 14): a device lists its saved fields with their kinds,
// and that one list drives saving, validation and loading. The idea is QEMU's VMState field
// lists; the code is our own.
//
//   const UART_STATE = defineState<Uart16550>()({
//     name: "uart16550", version: 1, minVersion: 1,
//     fields: { ier: int(0, IER_MASK), rxFifo: field(bytes(16), { key: "rx" }), ... },
//     check: (v, fail) => { if (v.rxCount > 16) fail("..."); },   // across fields
//     postLoad: (uart) => uart.updateIrq(),
//   });
//
// Loading checks the version (in checkStateVersion, the one place that rule lives), reads and
// validates every field, runs the cross-field checks, and only then assigns anything: a bad
// record throws StateError naming the schema and the field, and leaves the device as it was.
//
// By default a field is the owner's property of the same name (or `key`); typed arrays, byte
// blocks and nested records are filled in place, so views onto them stay valid. A field whose
// in-memory form differs from its saved form gives `get` (and `set`, or a postLoad hook that
// derives the in-memory form from the loaded values). Subsections are groups of fields saved
// only when `needed` says so, as a nested record under their own name.

import { checkStateVersion, StateError, type StateRecord, type StateValue } from "./state.ts";

/** Throws StateError with a message about the field being read. */
export type Fail = (what: string) => never;

/** How a nested kind is built, for tools that walk a schema (the round-trip tests). */
export type FieldShape =
  | { type: "leaf" }
  | { type: "record"; fields: Readonly<Record<string, FieldKind<unknown>>> }
  | { type: "records"; length: number; fields: Readonly<Record<string, FieldKind<unknown>>> };

/** The kind of a saved field: how it is validated, saved and put in place. */
export interface FieldKind<V> {
  /** What a valid value is, for messages ("an integer in 0..255"). */
  readonly what: string;
  readonly shape: FieldShape;
  /**
   * Validates a saved value and returns its in-memory form; calls `fail` when it is invalid.
   * `path` names the field in messages: "schema: field 'name'".
   */
  read(saved: StateValue | undefined, fail: Fail, path: string): V;
  /** The saved form of an in-memory value (a copy: the record must not alias the device); `path` as for read. */
  write(value: V, path: string): StateValue;
  /**
   * Puts a value read by `read` in place of `current` and returns what the owner's property
   * should hold (the same object when it was filled in place).
   */
  put(current: unknown, value: V): unknown;
  /** Valid saved values, for generated tests. */
  samples(): StateValue[];
  /** Saved values `read` must refuse, for generated tests. */
  corruptions(): StateValue[];
}

/** A field bound to its owner other than through the property of the same name. */
export interface BoundField<T, V> {
  readonly kind: FieldKind<V>;
  /** The owner's property, when it is named differently from the saved field. */
  readonly key?: string;
  /** Reads the in-memory value (instead of the property). */
  get?(owner: T): V;
  /** Assigns the loaded value; without it (and with `get`), postLoad uses the loaded value. */
  set?(owner: T, value: V): void;
}

export type FieldSpec<T> = FieldKind<unknown> | BoundField<T, unknown>;
export type FieldSpecs<T> = Readonly<Record<string, FieldSpec<T>>>;

type ValueOf<S> = S extends { kind: { read(...a: never[]): infer V } }
  ? V
  : S extends { read(...a: never[]): infer V }
    ? V
    : never;
/** The in-memory values of a field list, as the checks and the postLoad hook see them. */
export type StateValues<F> = { readonly [K in keyof F]: ValueOf<F[K]> };

/** An optional group of fields, saved only when needed. */
export interface Subsection<T, F extends FieldSpecs<T>> {
  fields: F;
  /** Whether the owner's state needs this group saved. */
  needed(owner: T): boolean;
  /** Called, after the main fields are assigned, when a record lacks the group. */
  absent?(owner: T): void;
  /**
   * The record version from which the group is always saved: a record of that version or later
   * without it is refused (older ones load through `absent`).
   */
  requiredFrom?: number;
}

export interface StateSpec<T, F extends FieldSpecs<T>> {
  /** Schema name, e.g. "i8259-pair". */
  name: string;
  /** Version saveState writes. */
  version: number;
  /** Oldest version loadState accepts. */
  minVersion: number;
  fields: F;
  subsections?: Readonly<Record<string, Subsection<T, FieldSpecs<T>>>>;
  /**
   * Checks across fields, after each field is valid on its own and before anything is assigned.
   * The owner is there for what the record must agree with but does not hold (inserted media).
   */
  check?(values: StateValues<F>, fail: (msg: string) => never, owner: T, version: number): void;
  /** Runs after every field is assigned (derived state, IRQ lines). */
  postLoad?(owner: T, values: StateValues<F>): void;
}

/** What a snapshot tool or test may know of a definition without its owner's type. */
export interface StateSchema {
  readonly name: string;
  readonly version: number;
  readonly minVersion: number;
  /** The kind of every saved field (subsections excluded). */
  readonly kinds: Readonly<Record<string, FieldKind<unknown>>>;
}

export interface StateDefinition<T, F> extends StateSchema {
  /** The record saveState returns. */
  save(owner: T): StateRecord;
  /** Validates a record written at `version` without touching anything; throws StateError. */
  read(owner: T, rec: StateRecord, version: number): StateValues<F>;
  /** Validates a record, then assigns it and runs postLoad; throws StateError before any change. */
  load(owner: T, rec: StateRecord, version: number): void;
}

/**
 * Binds a record field to owner properties: `props` names, for each of the record's keys, the
 * property that holds it (a controller's x* execution fields, say). The names are strings, since
 * such properties are usually private; a name the owner lacks throws at the first save or load.
 */
export function fieldAt<T, V extends object>(
  kind: FieldKind<V>,
  props: { readonly [K in keyof V]: string },
): BoundField<T, V> {
  const keys = Object.keys(props) as (keyof V & string)[];
  const of = (owner: T) => {
    const o = owner as unknown as Record<string, unknown>;
    for (const k of keys)
      if (!(props[k] in o)) throw new Error(`state field ${k}: the owner has no property ${props[k]}`);
    return o;
  };
  return field(kind, {
    get: (owner) => {
      const o = of(owner);
      return Object.fromEntries(keys.map((k) => [k, o[props[k]]])) as V;
    },
    set: (owner, v) => {
      const o = of(owner);
      for (const k of keys) o[props[k]] = v[k];
    },
  });
}

/** Binds a field to a differently named property, or to get/set functions. */
export function field<T, V>(
  kind: FieldKind<V>,
  bind: { key?: string; get?(owner: T): V; set?(owner: T, value: V): void },
): BoundField<T, V> {
  return { kind, ...bind };
}

const isKind = (s: FieldSpec<unknown>): s is FieldKind<unknown> => "read" in s;
const kindOf = <T>(s: FieldSpec<T>): FieldKind<unknown> =>
  isKind(s as FieldSpec<unknown>) ? (s as FieldKind<unknown>) : (s as BoundField<T, unknown>).kind;

function isRecord(v: unknown): v is StateRecord {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

const failAt =
  (path: string): Fail =>
  (what) => {
    throw new StateError(`${path} ${what}`);
  };

/** The field path as messages show it: "uart16550: field 'ier'", "i8254: field 'counters[1].cr'". */
function fieldPath(schema: string, prefix: string, name: string): string {
  return `${schema}: field '${prefix}${name}'`;
}

// ---- field lists: shared by definitions, nested records and subsections

class FieldList<T> {
  readonly kinds: Record<string, FieldKind<unknown>> = {};
  constructor(readonly specs: FieldSpecs<T>) {
    for (const [name, spec] of Object.entries(specs)) this.kinds[name] = kindOf(spec);
  }

  save(owner: T, schema: string, prefix: string): StateRecord {
    const out: StateRecord = {};
    for (const [name, spec] of Object.entries(this.specs)) {
      const kind = kindOf(spec);
      const bound = isKind(spec as FieldSpec<unknown>) ? null : (spec as BoundField<T, unknown>);
      const value = bound?.get ? bound.get(owner) : (owner as Record<string, unknown>)[bound?.key ?? name];
      const path = fieldPath(schema, prefix, name);
      if (value === undefined) throw new StateError(`${path} has no value to save`);
      out[name] = kind.write(value, path);
    }
    return out;
  }

  /** Validates a record of these fields; `others` are further names it may hold (subsections). */
  read(
    rec: StateValue | undefined,
    schema: string,
    prefix: string,
    others?: ReadonlySet<string>,
  ): Record<string, unknown> {
    if (!isRecord(rec))
      throw new StateError(`${schema}: ${prefix ? `field '${prefix.slice(0, -1)}' ` : ""}state is not a record`);
    // A field this schema does not declare would be dropped on load: refuse it instead.
    for (const name of Object.keys(rec))
      if (!Object.prototype.hasOwnProperty.call(this.kinds, name) && !others?.has(name))
        throw new StateError(`${fieldPath(schema, prefix, name)} is not a field of this schema`);
    const values: Record<string, unknown> = {};
    for (const [name, kind] of Object.entries(this.kinds)) {
      const path = fieldPath(schema, prefix, name);
      const saved = Object.prototype.hasOwnProperty.call(rec, name) ? rec[name] : undefined;
      if (saved === undefined) throw new StateError(`${path} is missing`);
      values[name] = kind.read(saved, failAt(path), path);
    }
    return values;
  }

  assign(owner: T, values: Record<string, unknown>): void {
    const o = owner as Record<string, unknown>;
    for (const [name, spec] of Object.entries(this.specs)) {
      const kind = kindOf(spec);
      const bound = isKind(spec as FieldSpec<unknown>) ? null : (spec as BoundField<T, unknown>);
      if (bound?.set) bound.set(owner, values[name]);
      else if (bound?.get)
        continue; // derived: postLoad installs it
      else {
        const key = bound?.key ?? name;
        o[key] = kind.put(o[key], values[name]);
      }
    }
  }
}

/**
 * Declares a device's state. Called as `defineState<Device>()({...})`: the device type is given,
 * the field list's value types are inferred for the checks and the postLoad hook.
 */
export function defineState<T>() {
  return <F extends FieldSpecs<T>>(spec: StateSpec<T, F>): StateDefinition<T, F> => {
    const { name } = spec;
    if (!(Number.isInteger(spec.minVersion) && spec.minVersion >= 1 && spec.minVersion <= spec.version))
      throw new Error(`${name}: minVersion must be in 1..version`);
    const main = new FieldList<T>(spec.fields);
    const subs = Object.entries(spec.subsections ?? {}).map(([sub, s]) => ({
      sub,
      s,
      list: new FieldList<T>(s.fields),
    }));
    for (const { sub } of subs)
      if (sub in spec.fields) throw new Error(`${name}: subsection '${sub}' has the name of a field`);
    const subNames = new Set(subs.map(({ sub }) => sub));

    const readAll = (owner: T, rec: StateRecord, version: number) => {
      checkStateVersion(name, version, spec.minVersion, spec.version);
      if (!isRecord(rec)) throw new StateError(`${name}: state is not a record`);
      const values = main.read(rec, name, "", subNames) as StateValues<F>;
      const subValues = subs.map(({ sub, s, list }) => {
        if (rec[sub] !== undefined) return list.read(rec[sub], name, `${sub}.`);
        if (s.requiredFrom !== undefined && version >= s.requiredFrom)
          throw new StateError(`${name}: a version ${version} record lacks the '${sub}' group`);
        return null;
      });
      spec.check?.(
        values,
        (msg) => {
          throw new StateError(`${name}: ${msg}`);
        },
        owner,
        version,
      );
      return { values, subValues };
    };

    return {
      name,
      version: spec.version,
      minVersion: spec.minVersion,
      kinds: main.kinds,
      save(owner) {
        const rec = main.save(owner, name, "");
        for (const { sub, s, list } of subs) if (s.needed(owner)) rec[sub] = list.save(owner, name, `${sub}.`);
        return rec;
      },
      read: (owner, rec, version) => readAll(owner, rec, version).values,
      load(owner, rec, version) {
        const { values, subValues } = readAll(owner, rec, version);
        main.assign(owner, values);
        subs.forEach(({ s, list }, i) => {
          const v = subValues[i];
          if (v) list.assign(owner, v);
          else s.absent?.(owner);
        });
        spec.postLoad?.(owner, values);
      },
    };
  };
}

// ---- field kinds

const BAD_TYPES: StateValue[] = ["x", null, true, [], {}];

function leaf<V>(k: Omit<FieldKind<V>, "shape" | "put"> & { put?: FieldKind<V>["put"] }): FieldKind<V> {
  return { shape: { type: "leaf" }, put: (_current, v) => v, ...k };
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** An integer in [min, max]. */
export function int(min: number, max: number): FieldKind<number> {
  const what = `an integer in ${min}..${max}`;
  return leaf({
    what,
    read(v, fail) {
      if (!isInt(v)) return fail("must be an integer");
      if (v < min || v > max) return fail(`is ${v}, outside ${min}..${max}`);
      return v;
    },
    write: (v) => v,
    // The ends, the middle, 1 and max-1, and an aligned value (addresses often must be).
    samples: () => [
      ...new Set([
        min,
        max,
        Math.floor((min + max) / 2),
        Math.max(min, Math.min(max, 1)),
        Math.max(min, max - 1),
        ...(min + 0x100 <= max ? [min + 0x100] : []),
      ]),
    ],
    corruptions: () => [
      ...BAD_TYPES,
      // Near the safe-integer limits x + 0.5 rounds to an integer: keep only real fractions.
      ...[min + 0.5, max - 0.5].filter((x) => !Number.isInteger(x)),
      ...(min > -Number.MAX_SAFE_INTEGER ? [min - 1] : []),
      ...(max < Number.MAX_SAFE_INTEGER ? [max + 1] : []),
    ],
  });
}

/**
 * An integer whose set bits are all in `mask` (a register with reserved bits). The in-memory
 * value is the integer itself.
 */
export function bits(mask: number): FieldKind<number> {
  const base = int(0, mask >>> 0);
  return {
    ...base,
    what: `an integer with bits in 0x${(mask >>> 0).toString(16)}`,
    read(v, fail, path) {
      const n = base.read(v, fail, path);
      if (n & ~mask) return fail(`sets bits outside 0x${(mask >>> 0).toString(16)} (0x${n.toString(16)})`);
      return n;
    },
    samples: () => [...new Set([mask >>> 0, mask & -mask, 0])],
    corruptions: () => {
      // A reserved bit below the highest defined one, when there is one.
      let hole = 1;
      while (hole < mask >>> 0 && mask & hole) hole *= 2;
      return [...base.corruptions(), ...(hole < mask >>> 0 ? [(mask | hole) >>> 0] : [])];
    },
  };
}

export const u8 = int(0, 0xff);
export const u16 = int(0, 0xffff);
export const u32 = int(0, 0xffffffff);
export const i32 = int(-0x80000000, 0x7fffffff);

export const bool: FieldKind<boolean> = leaf({
  what: "a boolean",
  read: (v, fail) => (typeof v === "boolean" ? v : fail("must be a boolean")),
  write: (v) => v,
  samples: () => [false, true],
  corruptions: () => [0, 1, "true", null],
});

/** A finite number, at least `min` when given. */
export function num(min = -Infinity): FieldKind<number> {
  return leaf({
    what: "a finite number",
    read(v, fail) {
      if (typeof v !== "number" || !Number.isFinite(v)) return fail("must be a finite number");
      if (v < min) return fail(`is ${v}, below ${min}`);
      return v;
    },
    write: (v) => v,
    samples: () => [Math.max(min, 0), Math.max(min, 0) + 1234567.25],
    corruptions: () => ["x", null, true, ...(Number.isFinite(min) ? [min - 1] : [])],
  });
}

/**
 * A time in nanoseconds or "never": in memory Infinity, saved as -1 (JSON has no Infinity).
 * `integer` asks for whole nanoseconds.
 */
export function timeOrNever(integer = false): FieldKind<number> {
  return leaf({
    what: "a time or -1",
    read(v, fail) {
      if (typeof v !== "number" || !Number.isFinite(v)) return fail("must be a finite number");
      if (integer && !Number.isInteger(v)) return fail("must be an integer");
      if (v !== -1 && v < 0) return fail(`is ${v}, neither -1 nor a time`);
      return v === -1 ? Infinity : v;
    },
    write: (v) => (v === Infinity ? -1 : v),
    samples: () => [-1, 0, 987654321],
    corruptions: () => ["x", null, -2, ...(integer ? [0.5] : [])],
  });
}

export function str(maxLength = 4096): FieldKind<string> {
  return leaf({
    what: "a string",
    read: (v, fail) => (typeof v === "string" && v.length <= maxLength ? v : fail("must be a string")),
    write: (v) => v,
    samples: () => ["", "sample".slice(0, maxLength)],
    corruptions: () => [1, null, "x".repeat(maxLength + 1)],
  });
}

/** A value of `kind`, or null. */
export function nullable<V>(kind: FieldKind<V>): FieldKind<V | null> {
  return {
    ...kind,
    what: `${kind.what} or null`,
    read: (v, fail, path) => (v === null ? null : kind.read(v, fail, path)),
    write: (v, path) => (v === null ? null : kind.write(v, path)),
    put: (current, v) => (v === null ? null : kind.put(current, v)),
    samples: () => [null, ...kind.samples()],
    corruptions: () => kind.corruptions().filter((c) => c !== null),
  };
}

/** One of a fixed set of values (command codes, key names). */
export function oneOf<V extends number | string>(values: readonly V[]): FieldKind<V> {
  const set = new Set<unknown>(values);
  const shown = values.length <= 8 ? values.map((v) => JSON.stringify(v)).join(", ") : `${values.length} names`;
  return leaf({
    what: `one of ${shown}`,
    read: (v, fail) => (set.has(v) ? (v as V) : fail(`holds ${JSON.stringify(v)}, not one of ${shown}`)),
    write: (v) => v,
    samples: () => [...values.slice(0, 3), values[values.length - 1]],
    corruptions: () => [
      typeof values[0] === "number" ? "x" : 1,
      null,
      ...(typeof values[0] === "number" ? [Math.max(...(values as readonly number[])) + 1] : ["?"]),
    ],
  });
}

/**
 * A list of up to `maxLength` values of `item` (a leaf kind). In memory a fresh array (the
 * owner's is replaced).
 */
export function list<V>(item: FieldKind<V>, maxLength: number): FieldKind<V[]> {
  return leaf({
    what: `a list of at most ${maxLength} values`,
    read(v, fail, path) {
      if (!Array.isArray(v) || v.length > maxLength) return fail(`must be a list of at most ${maxLength} values`);
      return v.map((x, i) => item.read(x, (what) => fail(`[${i}] ${what}`), path));
    },
    write: (v, path) => v.map((x) => item.write(x, path)),
    put: (_current, v) => v.slice(),
    samples: () => [[], item.samples().slice(0, Math.min(2, maxLength))],
    corruptions: () => [
      "x",
      null,
      [item.corruptions()[0]],
      Array.from({ length: maxLength + 1 }, () => item.samples()[0]),
    ],
  });
}

/** Copies `src` into `current` when it is an array-like of the same length, else a copy. */
function fillInPlace(current: unknown, src: ArrayLike<number>, fresh: () => unknown): unknown {
  if (ArrayBuffer.isView(current) && !(current instanceof DataView) && (current as Uint8Array).length === src.length) {
    (current as Uint8Array).set(src);
    return current;
  }
  if (Array.isArray(current) && current.length === src.length) {
    for (let i = 0; i < src.length; i++) current[i] = src[i];
    return current;
  }
  return fresh();
}

/**
 * A byte block of exactly `length` bytes, or of at most `maxLength` bytes when `length` is -1,
 * each byte at most `maxByte` (e.g. 1 for a block of flags). In memory a Uint8Array, filled in
 * place when the owner's has the same length.
 */
export function bytes(length: number, opts: { maxLength?: number; maxByte?: number } = {}): FieldKind<Uint8Array> {
  const maxLength = opts.maxLength ?? 1 << 30,
    maxByte = opts.maxByte ?? 0xff;
  const n = length >= 0 ? length : Math.min(maxLength, 64);
  return leaf({
    what: length >= 0 ? `${length} bytes` : `at most ${maxLength} bytes`,
    read(v, fail) {
      if (!(v instanceof Uint8Array)) return fail("must be a byte block");
      if (length >= 0 ? v.length !== length : v.length > maxLength)
        return fail(`has ${v.length} bytes, expected ${length >= 0 ? length : `at most ${maxLength}`}`);
      if (maxByte < 0xff)
        for (let i = 0; i < v.length; i++) if (v[i] > maxByte) return fail(`holds ${v[i]} at ${i}, above ${maxByte}`);
      return v;
    },
    write: (v) => v.slice(),
    put: (current, v) => fillInPlace(current, v, () => v.slice()),
    samples: () => [
      new Uint8Array(n).fill(maxByte),
      Uint8Array.from({ length: n }, (_, i) => ((i * 37 + 11) & 0xff) % (maxByte + 1)),
    ],
    corruptions: () => [
      "x",
      null,
      Array.from({ length: n }, () => 0),
      ...(length >= 0
        ? [new Uint8Array(length + 1), ...(length > 0 ? [new Uint8Array(length - 1)] : [])]
        : [new Uint8Array(maxLength + 1)]),
      ...(maxByte < 0xff && n > 0 ? [new Uint8Array(n).fill(maxByte + 1)] : []),
    ],
  });
}

/** A queue of bytes held as a number array in memory and saved as a byte block of at most `maxLength`. */
export function byteQueue(maxLength: number): FieldKind<number[]> {
  const block = bytes(-1, { maxLength });
  return leaf({
    what: block.what,
    read: (v, fail, path) => Array.from(block.read(v, fail, path)),
    write: (v) => Uint8Array.from(v),
    put: (_current, v) => v.slice(),
    samples: () => [new Uint8Array(0), Uint8Array.from([0xfa, 0x08, 0x01])],
    corruptions: () => block.corruptions(),
  });
}

/**
 * An array of `length` integers in [min, max]. In memory a number array or typed array (filled
 * in place when the owner's has that length).
 */
export function ints(length: number, min: number, max: number): FieldKind<number[]> {
  const one = int(min, max);
  return leaf({
    what: `an array of ${length} integers in ${min}..${max}`,
    read(v, fail) {
      if (!Array.isArray(v) || v.length !== length) return fail(`must be an array of ${length} integers`);
      for (const x of v) if (!isInt(x) || x < min || x > max) return fail(`holds ${String(x)}, outside ${min}..${max}`);
      return v as number[];
    },
    write: (v) => Array.from(v),
    put: (current, v) => fillInPlace(current, v, () => v.slice()),
    samples: () =>
      one
        .samples()
        .map((s, k) =>
          Array.from({ length }, (_, i) => ((i + k) % 2 === 0 ? (s as number) : (one.samples()[0] as number))),
        ),
    corruptions: () => [
      "x",
      null,
      new Uint8Array(length),
      Array.from({ length: length + 1 }, () => min),
      ...(length > 0 ? [[...Array.from({ length: length - 1 }, () => min), "x"]] : []),
      ...(length > 0 && max < Number.MAX_SAFE_INTEGER ? [Array.from({ length }, () => max + 1)] : []),
    ],
  });
}

/** Options of a nested record kind. */
export interface RecordSpec<F extends FieldSpecs<never>> {
  fields: F;
  /** Checks across the record's fields, before anything is assigned. */
  check?(values: StateValues<F>, fail: (msg: string) => never): void;
}

function nestedRead<F extends FieldSpecs<never>>(
  list: FieldList<never>,
  spec: RecordSpec<F>,
  v: StateValue | undefined,
  path: string,
): Record<string, unknown> {
  if (!isRecord(v)) throw new StateError(`${path} must be a record`);
  const values = list.read(v, ...splitPath(path));
  spec.check?.(values as StateValues<F>, (msg) => {
    throw new StateError(`${path}: ${msg}`);
  });
  return values;
}

/**
 * A nested record whose fields are those of an object the owner holds (e.g. one of a pair of
 * chips): saved as a record, loaded into that object in place.
 */
export function record<F extends FieldSpecs<never>>(spec: RecordSpec<F>): FieldKind<StateValues<F>> {
  const list = new FieldList<never>(spec.fields);
  return {
    what: "a record",
    shape: { type: "record", fields: list.kinds },
    read: (v, _fail, path) => nestedRead(list, spec, v, path) as StateValues<F>,
    write: (v, path) => list.save(v as never, ...splitPath(path)),
    put(current, v) {
      list.assign(current as never, v as Record<string, unknown>);
      return current;
    },
    samples: () => [],
    corruptions: () => ["x", null, [], 5],
  };
}

/**
 * An array of `length` nested records (`item` made by record()), each loaded into the owner's
 * object at that index.
 */
export function records<V>(length: number, item: FieldKind<V>): FieldKind<V[]> {
  if (item.shape.type !== "record") throw new Error("records() takes a record() kind");
  const at = (path: string, i: number) => path.replace(/'$/, `[${i}]'`);
  return {
    what: `an array of ${length} records`,
    shape: { type: "records", length, fields: item.shape.fields },
    read(v, fail, path) {
      if (!Array.isArray(v) || v.length !== length) return fail(`must be an array of ${length} records`);
      return v.map((x, i) => item.read(x, failAt(at(path, i)), at(path, i)));
    },
    write: (v, path) => v.map((x, i) => item.write(x, at(path, i))),
    put(current, v) {
      const arr = current as unknown[];
      v.forEach((x, i) => (arr[i] = item.put(arr[i], x)));
      return current;
    },
    samples: () => [],
    corruptions: () => ["x", null, [], {}],
  };
}

/** Splits a message path "schema: field 'a.b'" into the schema and the prefix "a.b." of nested fields. */
function splitPath(path: string): [string, string] {
  const m = /^(.*): field '(.*)'$/.exec(path);
  return m ? [m[1], `${m[2]}.`] : [path, ""];
}
