// The page: one VmManager (host allocator, VMs, periodic sampling) shared by the React shell and
// the scripting API on window.x86vm. A share link (/?snapshot=<id>) is opened at once: the
// Snapshots panel shows how that goes.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
import { defaultBudget } from "./host/allocator.ts";
import { createPageApi, type PageApi } from "./host/page-api.ts";
import { SnapshotOpener } from "./host/snapshots.ts";
import { VmManager } from "./host/vm-host.ts";
import "./styles.css";

declare global {
  interface Window {
    x86vm: PageApi;
  }
}

const deviceMemory = (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
const manager = new VmManager(defaultBudget(deviceMemory));
manager.startTimers();
const opener = new SnapshotOpener(manager);
window.x86vm = createPageApi(manager, opener);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App manager={manager} opener={opener} />
  </StrictMode>,
);

const linked = new URLSearchParams(location.search).get("snapshot");
if (linked !== null && crossOriginIsolated)
  opener.openLink(linked).catch(() => {
    /* shown in the Snapshots panel */
  });
