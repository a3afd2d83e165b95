; A boot sector that prints a line and halts with interrupts off: nothing can wake the CPU.
        bits 16
        org 0x7c00
        xor ax, ax
        mov ds, ax
        mov si, msg
.next:  lodsb
        test al, al
        jz .stop
        mov ah, 0x0e
        int 0x10
        jmp .next
.stop:  cli
        hlt
        jmp .stop
msg:    db "Halting now", 0
        times 510 - ($ - $$) db 0
        dw 0xaa55
