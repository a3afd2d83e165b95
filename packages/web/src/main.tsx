// The page: one VmManager (host allocator, VMs, periodic sampling) shared by the React shell and
// the scripting API on window.x86vm.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
import { defaultBudget } from "./host/allocator.ts";
import { createPageApi, type PageApi } from "./host/page-api.ts";
import { VmManager } from "./host/vm-host.ts";
import "./styles.css";

declare global {
  interface Window { x86vm: PageApi }
}

const deviceMemory = (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
const manager = new VmManager(defaultBudget(deviceMemory));
manager.startTimers();
window.x86vm = createPageApi(manager);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App manager={manager} />
  </StrictMode>,
);
