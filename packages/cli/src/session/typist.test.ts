// The typist's pacing (--type-delay): one key event at a time, each at least the delay of
// machine time after the previous one (FreeDOS EDIT, which reads the keyboard in its own IRQ 1
// handler, garbles keys sent back to back). The keyboard is observed, not a guest.
import { describe, expect, it } from "vitest";
import { PcMachine } from "@x86vm/devices";
import { parseBootArgs } from "../commands/boot.ts";
import { DEFAULT_KEY_DELAY_MS, Typist } from "./typist.ts";

/** Types `text` with the given delay; returns the machine times and events the keyboard got. */
function typeAndWatch(text: string, delayMs?: number) {
  const pc = new PcMachine({ memoryMiB: 4, clock: "deterministic" });
  const sent: { t: number; ev: string }[] = [];
  const kbd = pc.keyboard;
  kbd.pressKey = (code: string) => (sent.push({ t: pc.machine.clock.now(), ev: `+${code}` }), true);
  kbd.releaseKey = (code: string) => (sent.push({ t: pc.machine.clock.now(), ev: `-${code}` }), true);
  kbd.hasData = () => false; // the guest has read every byte
  const typist = new Typist(pc);
  if (delayMs !== undefined) typist.delayNs = delayMs * 1e6;
  typist.type(text);
  for (let t = 0; typist.busy && t < 1e9; t += 0.1e6) {
    pc.machine.clock.skipTo(t);
    typist.pump();
  }
  return sent;
}

describe("the typist", () => {
  it("sends presses and releases one at a time, DEFAULT_KEY_DELAY_MS apart", () => {
    const sent = typeAndWatch("aB");
    expect(sent.map((s) => s.ev)).toEqual(["+KeyA", "-KeyA", "+ShiftLeft", "+KeyB", "-KeyB", "-ShiftLeft"]);
    for (let i = 1; i < sent.length; i++) {
      expect(sent[i].t - sent[i - 1].t).toBeGreaterThanOrEqual(DEFAULT_KEY_DELAY_MS * 1e6);
      expect(sent[i].t - sent[i - 1].t).toBeLessThan(DEFAULT_KEY_DELAY_MS * 1e6 + 0.2e6);
    }
  });

  it("takes its delay from --type-delay (ms of machine time, 0 to 10000)", () => {
    const sent = typeAndWatch("ab", parseBootArgs(["--fda", "a.img", "--type-delay", "2"]).typeDelayMs);
    for (let i = 1; i < sent.length; i++) expect(sent[i].t - sent[i - 1].t).toBeCloseTo(2e6, -5);
    expect(parseBootArgs(["--fda", "a.img"]).typeDelayMs).toBe(DEFAULT_KEY_DELAY_MS);
    expect(() => parseBootArgs(["--fda", "a.img", "--type-delay", "-1"])).toThrow(/--type-delay must be/);
    expect(() => parseBootArgs(["--fda", "a.img", "--type-delay", "x"])).toThrow(/--type-delay must be/);
  });
});
