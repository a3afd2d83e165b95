// The boot stage of a Linux guest in plain words, read from what the guest shows: its output on
// COM1 and its text screen. The page cannot see inside the guest, so the stage is inferred from
// signs a user would read too:
//   loading   the firmware and the kernel's own setup code (or a boot loader) run; nothing the
//             kernel prints has appeared yet ("Probing EDD..." on the screen is the setup code's)
//   starting  the kernel prints its log (on COM1 with console=ttyS0, else on the screen)
//   ready     a shell prompt or a login prompt is the last thing shown
// Stages only go forward (a reset starts again). A guest that never shows a kernel's signs (DOS)
// has no stage: its card keeps saying Booting and Running.

export type BootStage = "loading" | "starting" | "ready";

export const BOOT_STAGE_WORDS: Record<BootStage, string> = {
  loading: "Loading the kernel",
  starting: "Starting Linux",
  ready: "Ready",
};

const ORDER: readonly BootStage[] = ["loading", "starting", "ready"];

/** Escape and control sequences a terminal would act on (colours, cursor moves, queries). */
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])/g;

/** Signs that a Linux kernel is printing: its banner, or a log line's timestamp. */
const KERNEL_SIGNS = /Linux version \d|^\[\s*\d+\.\d{6}\]/m;

/**
 * The last line of what was shown, as a user would see it: escapes dropped, a carriage return
 * starting the line over.
 */
function lastLine(text: string): string {
  const plain = text.replace(ESCAPES, "").replace(/\r\n/g, "\n");
  const lines = plain.split("\n");
  let i = lines.length - 1;
  while (i > 0 && lines[i].trim() === "") i--;
  const line = lines[i];
  return line.slice(line.lastIndexOf("\r") + 1);
}

/** A shell prompt ("# ", "/ # ", "user@host:~$ ") or a login prompt ends the text. */
export function endsWithPrompt(text: string): boolean {
  const line = lastLine(text).trimEnd();
  if (line.length === 0 || line.length > 80 || /^\[\s*\d+\.\d+\]/.test(line)) return false;
  return /(^|[\s:~/\w\])])[#$]$/.test(line) || /\blogin:$/i.test(line);
}

/**
 * The stage `serial` (COM1's output, the recent part) and `screen` (the text screen, or null
 * in a graphics mode or when not read) show, never behind `before`. `linux`: the VM is known to
 * boot a Linux kernel (it was given one); otherwise the kernel's signs must appear first.
 */
export function bootStage(
  before: BootStage | null,
  linux: boolean,
  serial: string,
  screen: string | null,
): BootStage | null {
  const tail = serial.slice(-4096);
  const kernel = KERNEL_SIGNS.test(tail.replace(ESCAPES, "")) || (screen !== null && KERNEL_SIGNS.test(screen));
  let now: BootStage | null = null;
  if (linux || kernel || before !== null) {
    now = "loading";
    // With a kernel of its own, any output on COM1 is the kernel's (the BIOS does not print there).
    if (kernel || (linux && tail.trim() !== "")) now = "starting";
    if (now === "starting" && (endsWithPrompt(tail) || (screen !== null && endsWithPrompt(screen)))) now = "ready";
  }
  if (before === null) return now;
  if (now === null) return before;
  return ORDER.indexOf(now) > ORDER.indexOf(before) ? now : before;
}
