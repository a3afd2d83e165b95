; A boot sector that triple-faults: with an interrupt table of limit 0, INT 3 raises #GP, whose
; vector is also outside the table (#DF), and so is #DF's: the CPU shuts down.
        bits 16
        org 0x7c00
        cli
        lidt [cs:empty_idt]
        int 3
        jmp $
empty_idt:
        dw 0                    ; limit
        dd 0                    ; base
        times 510 - ($ - $$) db 0
        dw 0xaa55
