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
