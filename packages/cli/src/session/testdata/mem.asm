; MEM.COM for the FreeDOS boot test (the FreeDOS floppy has no MEM): prints the conventional
; memory the BIOS reports (INT 12h) and the largest block DOS can allocate (INT 21h/48h with
; BX=FFFFh fails and returns the largest free block in paragraphs).
bits 16
org 100h
start:
    mov dx, msg_total
    call puts
    int 12h
    call putdec
    mov dx, msg_kib
    call puts
    mov ah, 4Ah             ; shrink this program's block (ES = PSP) to 4 KiB first
    mov bx, 100h
    int 21h
    mov ah, 48h
    mov bx, 0FFFFh
    int 21h
    mov ax, bx
    mov cl, 6               ; paragraphs / 64 = KiB
    shr ax, cl
    push ax
    mov dx, msg_free
    call puts
    pop ax
    call putdec
    mov dx, msg_kib
    call puts
    mov ax, 4C00h
    int 21h

puts:                       ; DS:DX -> '$'-terminated string
    mov ah, 09h
    int 21h
    ret

putdec:                     ; prints AX in decimal
    mov bx, 10
    xor cx, cx
.div:
    xor dx, dx
    div bx
    push dx
    inc cx
    test ax, ax
    jnz .div
.out:
    pop dx
    add dl, '0'
    mov ah, 02h
    int 21h
    loop .out
    ret

msg_total: db "Conventional memory: $"
msg_free:  db 13, 10, "Largest free block: $"
msg_kib:   db " KiB$"
