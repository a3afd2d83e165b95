// Device state schemas (STYLE.md 4): every device and the CPU save their state as a plain
// object of named fields under a schema name and version, never as positional arrays. Loading
// validates every field before anything is changed, so a corrupt or hostile snapshot is refused
// with a clear message and the device is left as it was.

import type { StateSchema } from "./define-state.ts";

/** A value a state field may hold. Byte blocks are Uint8Array; everything else is JSON-shaped. */
export type StateValue = number | boolean | string | null | Uint8Array | StateValue[] | { [key: string]: StateValue };
export type StateRecord = { [key: string]: StateValue };

/** What a device saves: its schema name and version, and its fields. */
export interface SavedState {
  name: string;
  version: number;
  fields: StateRecord;
}

/** Implemented by everything whose state goes into a snapshot. */
export interface Stateful {
  /** Schema name, e.g. "i8259-pair". */
  readonly stateName: string;
  /** Version written by saveState. */
  readonly stateVersion: number;
  /** Oldest version loadState accepts. */
  readonly stateMinVersion: number;
  saveState(): StateRecord;
  /** Restores from fields written at `version`; throws StateError (leaving the device untouched) on bad input. */
  loadState(fields: StateRecord, version: number): void;
  /** The declared field list (define-state.ts) behind saveState and loadState, for tools and tests. */
  readonly stateDefinition?: StateSchema;
}

export class StateError extends Error {}

/** The one rule for versions: a schema reads what it wrote, back to its minimum version. */
export function versionReadable(version: number, minVersion: number, maxVersion: number): boolean {
  return Number.isInteger(version) && version >= minVersion && version <= maxVersion;
}

/**
 * Throws StateError unless a schema reads `version`: define-state.ts loads through this, and
 * applySnapshot asks it for every record before loading any.
 */
export function checkStateVersion(name: string, version: number, minVersion: number, maxVersion: number): void {
  if (!versionReadable(version, minVersion, maxVersion))
    throw new StateError(
      `${name}: state version ${version} is not supported (this build reads ${minVersion}..${maxVersion})`,
    );
}

/**
 * Reads fields of a saved record with validation. Each accessor throws StateError naming the
 * schema and field when the value is missing or out of range. Devices declare their state with
 * defineState (define-state.ts) instead; this stays for records read by hand (tests, tools).
 */
export class StateReader {
  constructor(
    private readonly rec: StateRecord,
    private readonly schema: string,
  ) {
    if (typeof rec !== "object" || rec === null || Array.isArray(rec) || rec instanceof Uint8Array) {
      throw new StateError(`${schema}: state is not a record`);
    }
  }

  private fail(field: string, what: string): never {
    throw new StateError(`${this.schema}: field '${field}' ${what}`);
  }

  has(field: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.rec, field);
  }

  /** An integer in [min, max]. */
  int(field: string, min: number, max: number): number {
    const v = this.rec[field];
    if (typeof v !== "number" || !Number.isInteger(v)) this.fail(field, "must be an integer");
    if (v < min || v > max) this.fail(field, `is ${v}, outside ${min}..${max}`);
    return v;
  }
  /** A finite number. */
  num(field: string): number {
    const v = this.rec[field];
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(field, "must be a finite number");
    return v;
  }
  bool(field: string): boolean {
    const v = this.rec[field];
    if (typeof v !== "boolean") this.fail(field, "must be a boolean");
    return v;
  }
  str(field: string, maxLength = 4096): string {
    const v = this.rec[field];
    if (typeof v !== "string" || v.length > maxLength) this.fail(field, "must be a string");
    return v;
  }
  /** A byte block of exactly `length` bytes (or any length up to maxLength when length < 0). */
  bytes(field: string, length: number, maxLength = 1 << 30): Uint8Array {
    const v = this.rec[field];
    if (!(v instanceof Uint8Array)) this.fail(field, "must be a byte block");
    if (length >= 0 ? v.length !== length : v.length > maxLength)
      this.fail(field, `has ${v.length} bytes, expected ${length >= 0 ? length : `at most ${maxLength}`}`);
    return v;
  }
  /** An array of integers in [min, max] of exactly `length` entries. */
  ints(field: string, length: number, min: number, max: number): number[] {
    const v = this.rec[field];
    if (!Array.isArray(v) || v.length !== length) this.fail(field, `must be an array of ${length} integers`);
    for (const x of v)
      if (typeof x !== "number" || !Number.isInteger(x) || x < min || x > max)
        this.fail(field, `holds ${String(x)}, outside ${min}..${max}`);
    return v as number[];
  }
  /** A nested record, read with its own reader. */
  record(field: string): StateReader {
    const v = this.rec[field];
    if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Uint8Array)
      this.fail(field, "must be a record");
    return new StateReader(v, `${this.schema}.${field}`);
  }
  /** An array of nested records of exactly `length` entries. */
  records(field: string, length: number): StateReader[] {
    const v = this.rec[field];
    if (!Array.isArray(v) || v.length !== length) this.fail(field, `must be an array of ${length} records`);
    return v.map((x, i) => {
      if (typeof x !== "object" || x === null || Array.isArray(x) || x instanceof Uint8Array)
        this.fail(`${field}[${i}]`, "must be a record");
      return new StateReader(x, `${this.schema}.${field}[${i}]`);
    });
  }
}

/** Deep copy of a state record through the same value rules (for round-trip tests). */
export function cloneState(rec: StateRecord): StateRecord {
  const copy = (v: StateValue): StateValue => {
    if (v instanceof Uint8Array) return v.slice();
    if (Array.isArray(v)) return v.map(copy);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]));
    return v;
  };
  return copy(rec) as StateRecord;
}
