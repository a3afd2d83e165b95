// The page: one VmManager (host allocator, VMs, periodic sampling) shared by the React shell and
// the scripting API on window.x86vm. A share link (/?snapshot=<id>) is opened at once: the
// Snapshots panel shows how that goes. Saved disks (the guests' disk writes, kept in this
// browser) are read at once and saved as VMs write.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
import { defaultBudget } from "./host/allocator.ts";
import { createPageApi, type PageApi } from "./host/page-api.ts";
import { SavedDisks } from "./host/saved-disks.ts";
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
const saved = new SavedDisks(manager);
void saved.start();
window.x86vm = createPageApi(manager, opener, saved);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App manager={manager} opener={opener} saved={saved} />
  </StrictMode>,
);

const linked = new URLSearchParams(location.search).get("snapshot");
if (linked !== null && crossOriginIsolated)
  opener.openLink(linked).catch(() => {
    /* shown in the Snapshots panel */
  });
