// A VM's state in plain words for its card: "Booting", "Running", "Paused — click to resume",
// "Stopped: <why>"; a Linux guest's boot stage ("Loading the kernel", "Starting Linux", "Ready")
// in place of "Running". The technical message (the worker's) stays available behind "Details".
import { BOOT_STAGE_WORDS } from "../host/boot-stage.ts";
import type { VmHandle } from "../host/vm-host.ts";

export const PAUSED_WORDS = "Paused — click to resume";

/** Why a VM stopped, in words a user reads at a glance; `technical` is the worker's message. */
export function plainReason(technical: string | null): string {
  if (technical === null) return "the guest turned the machine off";
  const t = technical.toLowerCase();
  // ACPI soft-off or APM "off": the guest shut down on purpose.
  if (t.startsWith("powered off")) return "powered off";
  if (t.includes("triple fault")) return "the guest crashed (triple fault)";
  // The BIOS found no boot sector on any drive (a blank or random image, a data disk).
  if (t.includes("no bootable disk")) return "the disk is not bootable";
  if (/cannot be the|cannot be booted|two images|needs a kernel|cd image must/.test(t))
    return "this image cannot be started";
  if (t.includes("did not answer")) return "the VM stopped responding";
  if (t.includes("worker crashed") || t.includes("could not read")) return "the emulator crashed";
  if (t.includes("memory")) return "not enough memory";
  return "something went wrong in the VM";
}

/** What the user can do about a VM that stopped, in a sentence (after its reason). */
export function nextStep(technical: string | null): string {
  if (technical !== null && technical.toLowerCase().includes("no bootable disk"))
    return "Insert a bootable floppy with the floppy button, then Reset; Close removes this VM.";
  return "Reset starts it again from the beginning; Close removes it.";
}

export interface StatusWords {
  /** For styling: booting, running, pausing, paused, stopped. */
  kind: "booting" | "running" | "pausing" | "paused" | "stopped";
  text: string;
}

export function statusWords(vm: VmHandle): StatusWords {
  switch (vm.status) {
    case "failed":
      return { kind: "stopped", text: `Stopped: ${plainReason(vm.error)}` };
    case "stopped":
      return { kind: "stopped", text: `Stopped: ${plainReason(vm.error)}` };
    case "destroyed":
      return { kind: "stopped", text: "Stopped: closed" };
    case "paused":
      return vm.paused ? { kind: "paused", text: PAUSED_WORDS } : { kind: "running", text: "Resuming…" };
    default:
      if (vm.paused) return { kind: "pausing", text: "Pausing…" };
      if (vm.status === "running") {
        // A Linux guest says how far its boot is until its prompt shows (boot-stage.ts).
        const stage = vm.bootStage;
        if (stage === "loading" || stage === "starting") return { kind: "booting", text: BOOT_STAGE_WORDS[stage] };
        return { kind: "running", text: stage === "ready" ? BOOT_STAGE_WORDS.ready : "Running" };
      }
      // What a booting VM waits for: its worker (the emulator) to start, then the machine to be
      // built with its images before the first instruction runs.
      if (vm.status === "starting") return { kind: "booting", text: "Booting: starting the emulator…" };
      return { kind: "booting", text: "Booting: building the machine and loading its images…" };
  }
}
