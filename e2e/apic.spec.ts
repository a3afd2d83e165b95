// The New VM form's APIC setting: on by default (a local APIC and an I/O APIC, CPUID leaf 1
// EDX bit 9), off for a machine with the 8259s only. A boot sector (assembled here with nasm)
// prints what CPUID says and then takes BIOS timer ticks through whichever interrupt path
// the machine has (the 8259 through the local APIC's virtual wire, or the 8259 alone).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { createFromFile, openShell, waitForScreen } from "./helpers.ts";

const SOURCE = `
        bits 16
        org 0x7c00
        xor ax, ax
        mov ds, ax
        mov eax, 1
        cpuid
        mov si, yes
        test edx, 1 << 9
        jnz print
        mov si, no
print:  call puts
        sti
        mov ah, 0               ; INT 1Ah AH=0: the BIOS tick count, which IRQ0 advances
        int 0x1a
        mov bp, dx
tick:   hlt
        mov ah, 0
        int 0x1a
        sub dx, bp
        cmp dx, 18              ; about a second of timer interrupts
        jb tick
        mov si, ticks
        call puts
halt:   hlt
        jmp halt
puts:   lodsb
        test al, al
        jz .done
        mov ah, 0x0e
        mov bx, 7
        int 0x10
        jmp puts
.done:  ret
yes:    db "CPUID APIC: yes", 13, 10, 0
no:     db "CPUID APIC: no", 13, 10, 0
ticks:  db "timer ticks OK", 13, 10, 0
        times 510 - ($ - $$) db 0
        dw 0xaa55
`;

function floppy(): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-apic-spec-"));
  try {
    fs.writeFileSync(path.join(dir, "apic.asm"), SOURCE);
    execFileSync("nasm", ["-f", "bin", "-o", path.join(dir, "apic.bin"), path.join(dir, "apic.asm")]);
    const img = Buffer.alloc(1474560);
    fs.readFileSync(path.join(dir, "apic.bin")).copy(img);
    return img;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("a new VM has APICs unless the form's APIC box is cleared; both take timer interrupts", async ({ page }) => {
  const buffer = floppy();
  await openShell(page);
  await expect(page.getByTestId("new-apic")).toBeChecked();
  await createFromFile(page, "with-apic", { name: "apic.img", buffer });
  await waitForScreen(page, "with-apic", "CPUID APIC: yes");
  await waitForScreen(page, "with-apic", "timer ticks OK");

  await page.getByTestId("new-apic").uncheck();
  await createFromFile(page, "8259-only", { name: "apic.img", buffer });
  await waitForScreen(page, "8259-only", "CPUID APIC: no");
  await waitForScreen(page, "8259-only", "timer ticks OK");

  // The page API's option does the same.
  await page.evaluate(
    async (sector) => {
      const bytes = new Uint8Array(1474560);
      bytes.set(sector);
      await window.x86vm.create({
        name: "api-no-apic",
        media: [{ role: "fda", name: "apic.img", bytes }],
        apic: false,
      });
    },
    Array.from(buffer.subarray(0, 512)),
  );
  await waitForScreen(page, "api-no-apic", "CPUID APIC: no");
});
