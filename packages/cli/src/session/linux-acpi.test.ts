// The reference Linux guest with 2 GiB of RAM, ACPI and the APICs (--apic), through the `vm`
// process: the E820 map shows the ACPI area, the APIC windows and the PCI hole; Linux finds the
// RSDP, the FADT and the MADT, registers the acpi_pm clocksource, routes the ISA interrupts
// through the I/O APIC (the PIT on input 2) and ticks with the local APIC timer; `poweroff -f`
// at the shell turns the machine off through ACPI S5: `vm boot` exits 0 with "guest powered
// off" and skips the rest of its script.
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../../../..");
const GUEST = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "x86-guests", "linux-686");

describe("Linux with ACPI", () => {
  it("sees the memory map and the ACPI PM timer at 2 GiB, and poweroff stops the VM", () => {
    const r = spawnSync(
      process.execPath,
      [
        path.join(ROOT, "packages/cli/bin/vm.mjs"),
        "boot",
        ...["--kernel", path.join(GUEST, "bzImage"), "--initrd", path.join(GUEST, "initrd.gz")],
        ...["--append", "console=ttyS0", "--mem", "2048", "--apic", "--serial", "--timeout", "280"],
        ...["--until", "# ", "--type", "dmesg; cat /proc/interrupts; echo DMESG-$((1+1))\\r", "--until", "DMESG-2"],
        ...["--type", "poweroff -f\\r", "--until", "this never appears"],
      ],
      { encoding: "latin1", timeout: 300_000, maxBuffer: 1 << 26 },
    );
    expect(r.stderr).toContain("vm boot: guest powered off");
    expect(r.status).toBe(0);
    const log = r.stdout;
    expect(log).toContain("BIOS-e820: [mem 0x0000000000100000-0x000000007ffeffff] usable");
    expect(log).toContain("BIOS-e820: [mem 0x000000007fff0000-0x000000007fffffff] ACPI data");
    expect(log).toContain("BIOS-e820: [mem 0x00000000fec00000-0x00000000fec00fff] reserved");
    expect(log).toContain("BIOS-e820: [mem 0x00000000fee00000-0x00000000fee00fff] reserved");
    expect(log).toContain("BIOS-e820: [mem 0x00000000ffff0000-0x00000000ffffffff] reserved");
    expect(log).toMatch(/\[mem 0x80000000-0xfebfffff\] available for PCI devices/);
    expect(log).toContain("IOAPIC[0]: apic_id 1, version 17, address 0xfec00000, GSI 0-23");
    expect(log).toContain("..TIMER: vector=0x30 apic1=0 pin1=2 apic2=-1 pin2=-1");
    expect(log).toContain("ACPI: Using IOAPIC for interrupt routing");
    expect(log).toMatch(/^\s*0:\s+\d+\s+IO-APIC\s+2-edge\s+timer/m);
    expect(log).toMatch(/^\s*4:\s+[1-9]\d*\s+IO-APIC\s+4-edge\s+ttyS0/m);
    // The local APIC timer ticks.
    expect(Number(/^\s*LOC:\s+(\d+)/m.exec(log)?.[1])).toBeGreaterThan(1000);
    expect(log).toMatch(/ACPI: RSDP 0x00000000000F6000 000024 \(v02 X86VM \)/);
    expect(log).toContain("ACPI: PM-Timer IO Port: 0x608");
    expect(log).toMatch(/clocksource: acpi_pm: mask: 0xffffff/);
    expect(log).toContain("ACPI: PM: (supports S0 S5)");
    expect(log).not.toMatch(/ACPI Error|ACPI BIOS Error|Oops|Kernel panic/);
    expect(log).toContain("reboot: Power down");
  }, 320_000);
});
