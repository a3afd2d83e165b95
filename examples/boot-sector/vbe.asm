; A boot sector that draws in a VESA mode through the linear framebuffer
; (nasm -f bin -o vbe.bin vbe.asm).
;
; It asks the BIOS for the VBE controller information (INT 10h AX=4F00h), walks the mode list
; with AX=4F01h until it finds 800x600 at 32 bits a pixel with a linear framebuffer, sets that
; mode with the LFB bit (AX=4F02h, BX=mode|4000h), enters 32-bit protected mode with flat
; segments and fills the screen through PhysBasePtr, one row every BytesPerScanLine bytes:
;
;   red = x & FFh, green = y & FFh, blue = FFh where (x xor y) & 40h, else 40h
;   and a white frame one pixel wide around the edge
;
; then idles with every interrupt line masked. On any failure it prints "VBE failed" in text mode and halts.

        bits 16
        org 0x7c00

WIDTH   equ 800
HEIGHT  equ 600
CTRL    equ 0x8000              ; VbeInfoBlock (512 bytes)
INFO    equ 0x8200              ; ModeInfoBlock (256 bytes)

start:  cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7c00
        sti
        cld
        mov dword [CTRL], "VBE2"
        mov ax, 0x4f00
        mov di, CTRL
        int 0x10
        cmp ax, 0x004f
        jne fail
        lfs si, [CTRL + 0x0e]   ; VideoModePtr
.next:  mov cx, [fs:si]
        add si, 2
        cmp cx, 0xffff
        je fail
        mov ax, 0x4f01
        mov di, INFO
        int 0x10
        cmp ax, 0x004f
        jne .next
        test byte [INFO], 0x80  ; ModeAttributes: linear framebuffer available
        jz .next
        cmp word [INFO + 0x12], WIDTH
        jne .next
        cmp word [INFO + 0x14], HEIGHT
        jne .next
        cmp byte [INFO + 0x19], 32
        jne .next
        mov bx, cx
        or bx, 0x4000           ; use the LFB
        mov ax, 0x4f02
        int 0x10
        cmp ax, 0x004f
        jne fail

        cli
        lgdt [gdtr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp 0x08:pm

fail:   mov si, failed
.putc:  lodsb
        test al, al
        jz halt
        mov ah, 0x0e
        mov bx, 7
        int 0x10
        jmp .putc
halt:   hlt                     ; interrupts on: the BIOS's timer ticks on
        jmp halt

        bits 32
pm:     mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, 0x7c00
        mov ebx, [INFO + 0x28]  ; PhysBasePtr
        movzx ebp, word [INFO + 0x10] ; BytesPerScanLine
        xor edx, edx            ; y
.row:   mov edi, ebx
        xor ecx, ecx            ; x
.pixel: mov eax, ecx            ; red = x & FFh
        and eax, 0xff
        shl eax, 8
        mov al, dl              ; green = y & FFh
        shl eax, 8
        mov al, 0x40
        mov esi, ecx
        xor esi, edx
        test esi, 0x40
        jz .blue
        mov al, 0xff
.blue:  test ecx, ecx           ; the frame: x = 0, x = WIDTH-1, y = 0, y = HEIGHT-1
        jz .white
        cmp ecx, WIDTH - 1
        je .white
        test edx, edx
        jz .white
        cmp edx, HEIGHT - 1
        jne .store
.white: mov eax, 0x00ffffff
.store: stosd
        inc ecx
        cmp ecx, WIDTH
        jb .pixel
        add ebx, ebp
        inc edx
        cmp edx, HEIGHT
        jb .row
        mov al, 0xff            ; mask every 8259 line, so the CPU idles with interrupts on
        out 0x21, al            ; (there is no protected-mode IDT to take them)
        out 0xa1, al
        sti
.stop:  hlt
        jmp .stop

gdt:    dq 0
        dq 0x00cf9a000000ffff   ; 08h: code, base 0, 4 GiB, 32-bit
        dq 0x00cf92000000ffff   ; 10h: data, base 0, 4 GiB
gdtr:   dw gdtr - gdt - 1
        dd gdt

failed: db "VBE failed", 13, 10, 0

        times 510 - ($ - $$) db 0
        dw 0xaa55
