; A boot sector for the test kit's examples (nasm -f bin -o hello.bin hello.asm).
;
; The BIOS loads it at 0000:7C00 and jumps to it. It prints a greeting and a "> " prompt, then
; echoes each key read with INT 16h: Enter starts a new line and a new prompt, Esc switches to
; VGA mode 13h (320x200, 256 colours) and draws sixteen colour bars with "GRAPHICS" at the top,
; so that a screenshot shows a graphics mode. It uses only the BIOS (INT 10h, INT 16h).

        bits 16
        org 0x7c00

start:  cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7c00
        sti
        cld
        mov si, greeting
        call print

.key:   xor ah, ah              ; INT 16h AH=0: wait for a key, AL = its character
        int 0x16
        cmp al, 0x1b
        je graphics
        cmp al, 0x0d
        je .enter
        call putc
        jmp .key
.enter: mov si, prompt          ; CR LF "> "
        call print
        jmp .key

; Mode 13h: sixteen bars of 20 pixels, colours 0-15 of the default palette, and a title.
graphics:
        mov ax, 0x0013
        int 0x10
        push 0xa000
        pop es
        xor di, di
        mov dx, 200             ; rows
.row:   xor al, al              ; colour of the first bar
        mov bx, 16              ; bars per row
.bar:   mov cx, 20
        rep stosb
        inc al
        dec bx
        jnz .bar
        dec dx
        jnz .row
        push cs
        pop es
        mov si, title
        call print
.stop:  hlt                     ; nothing more to do: idle (interrupts stay on)
        jmp .stop

; Prints the zero-terminated string at DS:SI with INT 10h teletype output.
print:  lodsb
        test al, al
        jz .done
        call putc
        jmp print
.done:  ret

putc:   mov ah, 0x0e
        mov bx, 0x000f          ; page 0, white (in graphics modes)
        int 0x10
        ret

greeting: db "Hello from a boot sector!", 13, 10, "Type, Enter for a new line, Esc for graphics."
prompt:   db 13, 10, "> ", 0
title:    db "GRAPHICS", 0

        times 510 - ($ - $$) db 0
        dw 0xaa55
