// React bindings for the page-side state: components re-render when a VmManager or VmHandle says it changed.
import { useSyncExternalStore } from "react";
import type { VmHandle, VmManager } from "../host/vm-host.ts";

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
