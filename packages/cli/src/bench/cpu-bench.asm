; CPU-bound real-mode benchmark for `pnpm bench:cpu` (assembled with nasm by
; gen-cpu-bench.mjs into cpu-bench-image.ts). Loaded at 0000:1000 and entered in real mode
; with nothing but RAM present. Each pass runs four kernels over a 64 KiB buffer at
; segment 2000h; the results fold into a checksum left in EDX, and the program halts.
; The checksum is also computed natively by the test, so a wrong result cannot pass.
;   1. sieve of Eratosthenes over 0..65535 (byte flags), counting primes
;   2. Fletcher-style checksum of the buffer with 16-bit adds, rotates and xors
;   3. a byte-at-a-time copy with LODSB/STOSB and a compare loop with CMPSW
;   4. integer multiply/divide chain (MUL, DIV, IMUL) in 16 and 32 bits
bits 16
org 0x1000

PASSES equ 200

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x0ffe
    mov dword [checksum], 0
    mov word [passes], PASSES
pass:
    ; ---- 1. sieve: flags[i] = 1 for composite
    mov ax, 0x2000
    mov es, ax
    xor di, di
    xor ax, ax
    mov cx, 0x8000
    rep stosw                   ; clear 64 KiB
    mov bx, 2                   ; candidate
.next:
    mov si, bx
    cmp byte [es:si], 0
    jne .skip
    mov ax, bx                  ; mark multiples starting at 2*bx
    add ax, bx
    jc .skip
    mov di, ax
.mark:
    mov byte [es:di], 1
    add di, bx
    jnc .mark
.skip:
    inc bx
    cmp bx, 256                 ; sqrt(65536)
    jb .next
    ; count primes in 2..65535
    xor cx, cx
    mov si, 2
.count:
    cmp byte [es:si], 0
    jne .notp
    inc cx
.notp:
    inc si
    jnz .count
    movzx ecx, cx
    add [checksum], ecx         ; 6542 primes per pass

    ; ---- 2. checksum over the buffer after filling it with a pattern
    xor di, di
    mov ax, 0x1234
.fill:
    mov [es:di], ax
    rol ax, 3
    xor ax, di
    add di, 2
    jnz .fill
    xor si, si
    xor ax, ax                  ; sum1
    xor bx, bx                  ; sum2
.sum:
    add ax, [es:si]
    adc ax, 0
    add bx, ax
    rol bx, 1
    xor bx, si
    add si, 2
    jnz .sum
    movzx eax, ax
    movzx ebx, bx
    shl ebx, 16
    or eax, ebx
    mov edx, [checksum]
    xor edx, eax
    rol edx, 5
    mov [checksum], edx

    ; ---- 3. copy the first 32 KiB to the second half, then compare
    push ds
    mov ax, es
    mov ds, ax
    xor si, si
    mov di, 0x8000
    mov cx, 0x8000
    cld
.copy:
    lodsb
    not al
    stosb
    loop .copy
    xor si, si
    mov di, 0x8000
    mov cx, 0x4000
    xor bp, bp
.cmp:
    cmpsw
    je .same
    inc bp
.same:
    loop .cmp
    pop ds
    movzx ebp, bp
    add [checksum], ebp

    ; ---- 4. arithmetic chain
    mov cx, 20000
    mov eax, 12345
    mov ebx, 0x10001
.arith:
    mul ebx                     ; edx:eax = eax * ebx
    mov esi, edx
    xor edx, edx
    mov edi, 7919
    div edi                     ; eax = quotient, edx = remainder
    add eax, esi
    imul eax, eax, 31
    add eax, edx
    and eax, 0x00ffffff
    inc eax
    loop .arith
    add [checksum], eax

    dec word [passes]
    jnz pass
    mov edx, [checksum]
    hlt
    jmp $

passes:   dw 0
checksum: dd 0
