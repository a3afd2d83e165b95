; A boot sector for the fixture's own tests: prints "x86vm testing ready" and a prompt on the
; screen and COM1, then echoes each key it reads (INT 16h) to both; Enter starts a new prompt
; line, F1 prints "[F1]" and Ctrl+C prints "[Ctrl+C]". nasm -f bin echo-boot.asm
bits 16
org 7C00h

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 7C00h
    sti
    mov si, ready
    call print
key:
    xor ah, ah
    int 16h
    cmp ah, 3Bh             ; F1 (AL = 0)
    je .f1
    cmp al, 3               ; Ctrl+C
    je .ctrlc
    cmp al, 13              ; Enter
    je .enter
    call putc
    jmp key
.f1:
    mov si, msg_f1
    jmp .say
.ctrlc:
    mov si, msg_ctrlc
    jmp .say
.enter:
    mov si, prompt
.say:
    call print
    jmp key

; Prints the zero-terminated string at DS:SI.
print:
    lodsb
    test al, al
    jz .done
    call putc
    jmp print
.done:
    ret

; Writes AL to the screen (INT 10h teletype) and to COM1.
putc:
    push ax
    mov ah, 0Eh
    mov bx, 7
    int 10h
    pop ax
    mov dx, 3F8h
    out dx, al
    ret

ready     db "x86vm testing ready"
prompt    db 13, 10, "> ", 0
msg_f1    db "[F1]", 0
msg_ctrlc db "[Ctrl+C]", 0

times 510 - ($ - $$) db 0
dw 0AA55h
