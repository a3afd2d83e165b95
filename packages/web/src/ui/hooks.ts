// React bindings for the page-side state: components re-render when a VmManager or VmHandle says it changed.
import { useState, useSyncExternalStore } from "react";
import type { VmHandle, VmManager } from "../host/vm-host.ts";
import { messageOf } from "../shared/message.ts";

/** Re-renders when the manager's list or budget changes. */
export function useManager(m: VmManager): number {
  return useSyncExternalStore(
    (fn) => m.subscribe(fn),
    () => m.version,
  );
}

/** Re-renders when one VM changes. */
export function useVm(vm: VmHandle): number {
  return useSyncExternalStore(
    (fn) => vm.subscribe(fn),
    () => vm.version,
  );
}

/**
 * A button's action that takes a while: `act(label, f)` makes a handler that shows `label` in
 * `busy` while f runs, and f's failure in `error` (cleared when the next action starts).
 */
export function useAction(): {
  busy: string | null;
  error: string | null;
  act: (label: string, f: () => Promise<unknown>) => () => Promise<void>;
} {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = (label: string, f: () => Promise<unknown>) => async () => {
    setError(null);
    setBusy(label);
    try {
      await f();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(null);
    }
  };
  return { busy, error, act };
}
