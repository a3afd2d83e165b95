; A DOS program for the test kit's examples (nasm -f bin -o HELLO.COM hello.asm).
;
; DOS loads a .COM file at offset 100h of a segment of its own, with CS = DS = ES = SS. It
; prints a greeting, asks for a name, reads a line with INT 21h AH=0Ah (buffered input, which
; echoes and allows Backspace), answers "Nice to meet you, NAME." and exits with status 0.

        bits 16
        org 0x100

        mov dx, greeting
        mov ah, 0x09            ; print a $-terminated string
        int 0x21
        mov dx, line
        mov ah, 0x0a            ; buffered keyboard input into `line`
        int 0x21
        ; Put the answer's end after the name: the count of characters read is at line+1.
        xor bx, bx
        mov bl, [line + 1]
        mov byte [name + bx], '$'
        mov dx, answer
        mov ah, 0x09
        int 0x21
        mov dx, name
        int 0x21
        mov dx, ending
        int 0x21
        mov ax, 0x4c00          ; exit, status 0
        int 0x21

greeting: db "Hello from DOS!", 13, 10, "What is your name? $"
answer:   db 13, 10, "Nice to meet you, $"
ending:   db ".", 13, 10, "$"
line:     db 40, 0              ; at most 40 characters (with the Enter), count read
name:     times 41 db 0
