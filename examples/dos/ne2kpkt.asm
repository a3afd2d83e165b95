; NE2KPKT.COM: a DOS packet driver for NE2000-compatible cards (a DP8390 behind the NE2000's
; remote DMA data port), such as the emulator's NE2000 on ISA and its RTL8029 on PCI.
;
;   NE2KPKT [INT [IRQ IO]]      e.g.  NE2KPKT 0x60 10 0x300   (an ISA card)
;                                     NE2KPKT 0x60            (the RTL8029, found by the PCI BIOS)
;
; Numbers are decimal, or hexadecimal after 0x. INT is the software interrupt (60h to 80h,
; default 60h). With IRQ and IO the card is an ISA NE2000 there; without them the driver asks
; the PCI BIOS (INT 1Ah, AX=B102h) for a Realtek RTL8029 (10ECh:8029h) and takes the I/O base
; from its BAR0 and the IRQ from its interrupt line register.
;
; The interface is the FTP Software / Crynwr Packet Driver Specification's (revision 1.09 and
; its 1.10 receiver registers): class 1 (DIX Ethernet), one interface (number 0), the basic
; functions driver_info (1), access_type (2), release_type (3), send_pkt (4), terminate (5),
; get_address (6) and reset_interface (7). The handler starts with a short jump and the
; signature "PKT DRVR" at offset 3. Errors: carry set, the error code in DH. A received frame
; goes to the first handle whose type (bytes 12 on of the frame, up to 8 bytes; none: every
; frame) matches: its receiver is called with AX=0, BX=handle, CX=length (DX=0: no look-ahead)
; and returns ES:DI (0:0 drops the frame), then with AX=1, BX=handle, CX=length and DS:SI the
; buffer the frame was copied to. Receivers run with interrupts off, on the driver's stack.
;
; The chip, from the DP8390D datasheet: buffer memory at remote DMA addresses 4000h-7FFFh, pages
; 40h-45h for one transmit frame, 46h-7Fh the receive ring; word-wide remote DMA through the
; data port (base+10h); the reset port at base+1Fh; the station address PROM at remote address 0
; (on an NE2000 each byte is read as a word, the address in the low bytes, 57h 57h at bytes 14
; and 15 of a 16-bit card). Interrupts: packet received, receive error, ring overflow (the
; datasheet's recovery: stop, clear the byte count, loopback, restart, empty the ring, normal).
; A frame is sent synchronously: send_pkt returns when the chip reports it transmitted.
;
; Not done: multicast and the extended functions (get_parameters, as_send_pkt, set_rcv_mode,
; statistics... answer BAD_COMMAND), more than one card, 8-bit cards (NE1000), the dummy read
; before a remote write some DP8390 revisions need.

        cpu     386
        bits    16
        org     100h

PD_VERSION      equ 1
PD_CLASS        equ 1           ; DIX Ethernet
PD_TYPE         equ 54          ; the interface type driver_info reports (clients ask for 0FFFFh: any)
PD_BASIC        equ 1           ; driver_info AL: basic functions only

; Error codes (DH).
E_BAD_HANDLE    equ 1
E_NO_CLASS      equ 2
E_NO_TYPE       equ 3
E_NO_NUMBER     equ 4
E_BAD_TYPE      equ 5
E_CANT_TERMINATE equ 7
E_NO_SPACE      equ 9
E_TYPE_INUSE    equ 10
E_BAD_COMMAND   equ 11
E_CANT_SEND     equ 12
E_CANT_RESET    equ 15

MAX_HANDLES     equ 4
MAX_TYPE        equ 8
; A handle's record.
H_USED          equ 0
H_TLEN          equ 1
H_TYPE          equ 2           ; MAX_TYPE bytes
H_RECV          equ 10          ; receiver, offset then segment
HANDLE_SIZE     equ 16

; DP8390 registers: offsets from the I/O base (page 0 unless noted).
R_CR            equ 00h
R_PSTART        equ 01h
R_PSTOP         equ 02h
R_BNRY          equ 03h
R_TPSR          equ 04h         ; write (read: TSR)
R_TBCR0         equ 05h
R_ISR           equ 07h
R_RSAR0         equ 08h
R_RBCR0         equ 0Ah
R_RCR           equ 0Ch
R_TCR           equ 0Dh
R_DCR           equ 0Eh
R_IMR           equ 0Fh
R_PAR0          equ 01h         ; page 1
R_CURR          equ 07h         ; page 1
R_MAR0          equ 08h         ; page 1
R_DATA          equ 10h         ; NE2000: the remote DMA data port
R_RESET         equ 1Fh         ; NE2000: the reset port

CR_STP          equ 01h
CR_STA          equ 02h
CR_TXP          equ 04h
CR_RREAD        equ 08h
CR_RWRITE       equ 10h
CR_NODMA        equ 20h
CR_PAGE1        equ 40h

ISR_PRX         equ 01h
ISR_PTX         equ 02h
ISR_RXE         equ 04h
ISR_TXE         equ 08h
ISR_OVW         equ 10h
ISR_RDC         equ 40h
ISR_RST         equ 80h
IMR_BITS        equ ISR_PRX | ISR_RXE | ISR_OVW

DCR_VALUE       equ 49h         ; FIFO threshold 8 bytes, normal (not loopback), word-wide DMA
RCR_NORMAL      equ 04h         ; this station's address and broadcasts
RCR_MONITOR     equ 20h
TCR_NORMAL      equ 00h
TCR_LOOPBACK    equ 02h         ; internal loopback (mode 1)

TX_PAGE         equ 40h         ; 6 pages: one frame of up to 1536 bytes
RX_START        equ 46h
RX_STOP         equ 80h
MIN_FRAME       equ 60
MAX_FRAME       equ 1514

; The frame the packet interrupt handler builds on the caller's stack.
F_AX            equ 0
F_BX            equ 2
F_CX            equ 4
F_DX            equ 6
F_SI            equ 8
F_DI            equ 10
F_ES            equ 12
F_DS            equ 14
F_FLAGS         equ 22

start:
        jmp     install

; ---------------------------------------------------------------------------------------------
; The resident part.

; Writes AL to register %1 (clobbers DX).
%macro OUTR 1
        mov     dx, [cs:io_base]
        add     dx, %1
        out     dx, al
%endmacro
; Reads register %1 into AL (clobbers DX).
%macro INR 1
        mov     dx, [cs:io_base]
        add     dx, %1
        in      al, dx
%endmacro

        align   2
pkt_int:
        jmp     short pkt_entry
        nop
        db      "PKT DRVR", 0
pkt_entry:
        push    bp
        push    ds
        push    es
        push    di
        push    si
        push    dx
        push    cx
        push    bx
        push    ax
        mov     bp, sp
        cld
        and     word [bp + F_FLAGS], 0FFFEh     ; carry clear: success
        mov     bl, ah
        cmp     bl, 7
        ja      f_bad_command
        xor     bh, bh
        shl     bx, 1
        jmp     [cs:functions + bx]

pkt_error:                      ; DH = the error code
        mov     [bp + F_DX + 1], dh
        or      word [bp + F_FLAGS], 1
pkt_return:
        pop     ax
        pop     bx
        pop     cx
        pop     dx
        pop     si
        pop     di
        pop     es
        pop     ds
        pop     bp
        iret

functions:
        dw      f_bad_command, f_driver_info, f_access_type, f_release_type
        dw      f_send_pkt, f_terminate, f_get_address, f_reset_interface

f_bad_command:
        mov     dh, E_BAD_COMMAND
        jmp     pkt_error

f_driver_info:
        mov     word [bp + F_BX], PD_VERSION
        mov     word [bp + F_CX], PD_CLASS << 8         ; CH class, CL interface number 0
        mov     word [bp + F_DX], PD_TYPE
        mov     word [bp + F_SI], driver_name
        mov     [bp + F_DS], cs
        mov     byte [bp + F_AX], PD_BASIC
        jmp     pkt_return

f_access_type:
        mov     dh, E_NO_CLASS
        cmp     byte [bp + F_AX], PD_CLASS
        jne     pkt_error
        mov     dh, E_NO_TYPE
        mov     ax, [bp + F_BX]
        cmp     ax, 0FFFFh
        je      .type_ok
        cmp     ax, PD_TYPE
        jne     pkt_error
.type_ok:
        mov     dh, E_NO_NUMBER
        cmp     byte [bp + F_DX], 0
        jne     pkt_error
        mov     dh, E_BAD_TYPE
        mov     cx, [bp + F_CX]
        cmp     cx, MAX_TYPE
        ja      pkt_error
        ; The same type taken twice is TYPE_INUSE; else the first free record.
        push    cs
        pop     es
        mov     ds, [bp + F_DS]
        xor     ax, ax                  ; the free record, 0 while none is found
        mov     bx, handles
.scan:
        cmp     byte [cs:bx + H_USED], 0
        jne     .in_use
        test    ax, ax
        jnz     .next
        mov     ax, bx
        jmp     .next
.in_use:
        cmp     [cs:bx + H_TLEN], cl
        jne     .next
        mov     si, [bp + F_SI]
        lea     di, [bx + H_TYPE]
        push    cx
        repe    cmpsb
        pop     cx
        mov     dh, E_TYPE_INUSE
        je      pkt_error
.next:
        add     bx, HANDLE_SIZE
        cmp     bx, handles + MAX_HANDLES * HANDLE_SIZE
        jb      .scan
        mov     dh, E_NO_SPACE
        test    ax, ax
        jz      pkt_error
        mov     bx, ax
        mov     byte [cs:bx + H_USED], 1
        mov     [cs:bx + H_TLEN], cl
        mov     si, [bp + F_SI]
        lea     di, [bx + H_TYPE]
        rep     movsb
        mov     ax, [bp + F_DI]
        mov     [cs:bx + H_RECV], ax
        mov     ax, [bp + F_ES]
        mov     [cs:bx + H_RECV + 2], ax
        ; The handle is the record's number, 1 onwards.
        mov     ax, bx
        sub     ax, handles
        shr     ax, 4
        inc     ax
        mov     [bp + F_AX], ax
        jmp     pkt_return

; BX (from the caller) to its record in BX; carry set when it is no handle in use.
handle_record:
        mov     bx, [bp + F_BX]
        dec     bx
        cmp     bx, MAX_HANDLES
        jae     .bad
        shl     bx, 4
        add     bx, handles
        cmp     byte [cs:bx + H_USED], 0
        je      .bad
        clc
        ret
.bad:
        stc
        ret

f_release_type:
        call    handle_record
        mov     dh, E_BAD_HANDLE
        jc      pkt_error
        mov     byte [cs:bx + H_USED], 0
        jmp     pkt_return

f_send_pkt:
        mov     cx, [bp + F_CX]
        mov     si, [bp + F_SI]
        mov     ds, [bp + F_DS]
        call    transmit
        mov     dh, E_CANT_SEND
        jc      pkt_error
        jmp     pkt_return

f_get_address:
        mov     dh, E_NO_SPACE
        cmp     word [bp + F_CX], 6
        jb      pkt_error
        push    cs
        pop     ds
        mov     es, [bp + F_ES]
        mov     di, [bp + F_DI]
        mov     si, station
        mov     cx, 6
        rep     movsb
        mov     word [bp + F_CX], 6
        jmp     pkt_return

f_reset_interface:
        call    handle_record
        mov     dh, E_BAD_HANDLE
        jc      pkt_error
        call    card_init
        mov     dh, E_CANT_RESET
        jc      pkt_error
        jmp     pkt_return

; Stops the card and leaves memory, when both vectors are still this driver's.
f_terminate:
        call    handle_record
        mov     dh, E_BAD_HANDLE
        jc      pkt_error
        xor     ax, ax
        mov     es, ax
        mov     dh, E_CANT_TERMINATE
        mov     bx, [cs:pkt_vector]
        cmp     word [es:bx], pkt_int
        jne     pkt_error
        mov     ax, cs
        cmp     [es:bx + 2], ax
        jne     pkt_error
        mov     bx, [cs:irq_vector]
        cmp     word [es:bx], irq_handler
        jne     pkt_error
        cmp     [es:bx + 2], ax
        jne     pkt_error
        ; The card: no interrupts, stopped.
        xor     al, al
        OUTR    R_IMR
        mov     al, CR_STP | CR_NODMA
        OUTR    R_CR
        ; The interrupt controller's mask bit back as it was.
        mov     ah, [cs:irq_mask_bit]
        mov     dx, [cs:pic_mask_port]
        in      al, dx
        and     ah, [cs:irq_was_masked]
        or      al, ah
        out     dx, al
        ; The vectors.
        mov     bx, [cs:pkt_vector]
        mov     ax, [cs:old_pkt]
        mov     [es:bx], ax
        mov     ax, [cs:old_pkt + 2]
        mov     [es:bx + 2], ax
        mov     bx, [cs:irq_vector]
        mov     ax, [cs:old_irq]
        mov     [es:bx], ax
        mov     ax, [cs:old_irq + 2]
        mov     [es:bx + 2], ax
        mov     cx, MAX_HANDLES
        mov     bx, handles
.free:
        mov     byte [cs:bx + H_USED], 0
        add     bx, HANDLE_SIZE
        loop    .free
        ; This program's memory (a .COM: CS is its PSP).
        push    cs
        pop     es
        mov     ah, 49h
        int     21h
        jmp     pkt_return

; ---- the card

; Resets and starts the card; the station address from its PROM. Carry set when no NE2000
; answers (no reset acknowledge, or no 57h 57h signature).
card_init:
        push    cs
        pop     es
        ; The reset port: a read starts the reset, a write ends it.
        INR     R_RESET
        out     dx, al
        mov     dx, [cs:io_base]
        add     dx, R_ISR
        xor     cx, cx
.reset_wait:
        in      al, dx
        test    al, ISR_RST
        jnz     .reset_done
        loop    .reset_wait
        stc
        ret
.reset_done:
        mov     al, 0FFh
        out     dx, al
        mov     al, CR_STP | CR_NODMA
        OUTR    R_CR
        mov     al, DCR_VALUE
        OUTR    R_DCR
        xor     al, al
        OUTR    R_RBCR0
        OUTR    R_RBCR0 + 1
        mov     al, RCR_MONITOR
        OUTR    R_RCR
        mov     al, TCR_LOOPBACK
        OUTR    R_TCR
        xor     al, al
        OUTR    R_IMR
        mov     al, 0FFh
        OUTR    R_ISR
        ; The PROM: 16 words, each one byte of it (in the low byte).
        mov     di, prom
        xor     ax, ax
        mov     cx, 32
        call    dma_read
        cmp     word [cs:prom + 28], 5757h
        jne     .no_card
        cmp     byte [cs:prom + 30], 57h
        jne     .no_card
        xor     bx, bx
.mac:
        mov     al, [cs:prom + bx]
        shr     bx, 1
        mov     [cs:station + bx], al
        shl     bx, 1
        add     bx, 2
        cmp     bx, 12
        jb      .mac
        ; The ring, stopped.
        mov     al, CR_STP | CR_NODMA
        OUTR    R_CR
        mov     al, RX_START
        OUTR    R_PSTART
        OUTR    R_BNRY
        mov     al, RX_STOP
        OUTR    R_PSTOP
        mov     al, TX_PAGE
        OUTR    R_TPSR
        ; Page 1: the station address, no multicast, CURR one page on from BNRY.
        mov     al, CR_PAGE1 | CR_STP | CR_NODMA
        OUTR    R_CR
        xor     bx, bx
.par:
        mov     al, [cs:station + bx]
        mov     dx, [cs:io_base]
        add     dx, R_PAR0
        add     dx, bx
        out     dx, al
        inc     bx
        cmp     bx, 6
        jb      .par
        xor     bx, bx
.mar:
        xor     al, al
        mov     dx, [cs:io_base]
        add     dx, R_MAR0
        add     dx, bx
        out     dx, al
        inc     bx
        cmp     bx, 8
        jb      .mar
        mov     al, RX_START + 1
        OUTR    R_CURR
        mov     [cs:next_packet], al
        ; Page 0, started, out of loopback; frames for this station and broadcasts.
        mov     al, CR_STA | CR_NODMA
        OUTR    R_CR
        mov     al, TCR_NORMAL
        OUTR    R_TCR
        mov     al, RCR_NORMAL
        OUTR    R_RCR
        mov     al, 0FFh
        OUTR    R_ISR
        mov     al, IMR_BITS
        OUTR    R_IMR
        clc
        ret
.no_card:
        mov     al, CR_STP | CR_NODMA
        OUTR    R_CR
        stc
        ret

; Sets the remote byte count (CX) and start address (AX), then the command AL.
; Clobbers BX, DX.
dma_setup:
        push    ax
        mov     bx, ax
        mov     al, CR_STA | CR_NODMA
        OUTR    R_CR
        mov     al, cl
        OUTR    R_RBCR0
        mov     al, ch
        OUTR    R_RBCR0 + 1
        mov     al, bl
        OUTR    R_RSAR0
        mov     al, bh
        OUTR    R_RSAR0 + 1
        pop     ax
        ret

; Reads CX bytes (rounded up to a word) of buffer memory from remote address AX into ES:DI
; (DI ends past them). Clobbers AX, BX, DX.
dma_read:
        push    cx
        inc     cx
        and     cx, 0FFFEh
        call    dma_setup
        mov     al, CR_RREAD | CR_STA
        OUTR    R_CR
        mov     dx, [cs:io_base]
        add     dx, R_DATA
        shr     cx, 1
        rep     insw
        call    dma_wait
        pop     cx
        ret

; Waits for the remote DMA's completion and acknowledges it.
dma_wait:
        push    cx
        mov     dx, [cs:io_base]
        add     dx, R_ISR
        xor     cx, cx
.poll:
        in      al, dx
        test    al, ISR_RDC
        jnz     .done
        loop    .poll
.done:
        mov     al, ISR_RDC
        out     dx, al
        pop     cx
        ret

; Sends the CX-byte frame at DS:SI (padded to 60 bytes with zeros); carry set when it is too
; long or the chip does not report it sent.
transmit:
        cmp     cx, MAX_FRAME
        ja      .fail
        push    cx
        mov     al, ISR_RDC
        OUTR    R_ISR
        ; Remote write of the frame, whole words, then zeros up to the shortest frame.
        mov     di, cx
        inc     di
        and     di, 0FFFEh              ; the frame's words, in bytes
        mov     cx, di
        cmp     cx, MIN_FRAME
        jae     .count
        mov     cx, MIN_FRAME
.count:
        push    cx
        mov     ax, TX_PAGE << 8
        call    dma_setup
        mov     al, CR_RWRITE | CR_STA
        OUTR    R_CR
        mov     dx, [cs:io_base]
        add     dx, R_DATA
        mov     cx, di
        shr     cx, 1
        rep     outsw
        pop     cx
        sub     cx, di
        jbe     .written
        shr     cx, 1
        xor     ax, ax
.pad:
        out     dx, ax
        loop    .pad
.written:
        call    dma_wait
        pop     cx
        cmp     cx, MIN_FRAME
        jae     .length
        mov     cx, MIN_FRAME
.length:
        mov     al, TX_PAGE
        OUTR    R_TPSR
        mov     al, cl
        OUTR    R_TBCR0
        mov     al, ch
        OUTR    R_TBCR0 + 1
        mov     al, ISR_PTX | ISR_TXE
        OUTR    R_ISR
        mov     al, CR_TXP | CR_STA | CR_NODMA
        OUTR    R_CR
        ; Until sent or aborted (a 1514-byte frame takes 1.2 ms at 10 Mbit/s).
        mov     dx, [cs:io_base]
        add     dx, R_ISR
        mov     bx, 8
.outer:
        xor     cx, cx
.poll:
        in      al, dx
        test    al, ISR_PTX | ISR_TXE
        jnz     .sent
        loop    .poll
        dec     bx
        jnz     .outer
        jmp     .fail
.sent:
        mov     ah, al
        mov     al, ISR_PTX | ISR_TXE
        out     dx, al
        test    ah, ISR_TXE
        jnz     .fail
        clc
        ret
.fail:
        stc
        ret

; ---- receiving

irq_handler:
        push    ax
        push    dx
        INR     R_ISR
        test    al, IMR_BITS
        jnz     .ours
        pop     dx
        pop     ax
        jmp     far [cs:old_irq]        ; a shared line: someone else's interrupt
.ours:
        ; On the driver's own stack (receivers are called from here).
        mov     [cs:saved_sp], sp
        mov     [cs:saved_ss], ss
        mov     ax, cs
        mov     ss, ax
        mov     sp, stack_top
        push    bx
        push    cx
        push    si
        push    di
        push    bp
        push    ds
        push    es
        push    cs
        pop     ds
        cld
        ; No interrupts from the card while it is served: the line falls, and rises again
        ; when the mask comes back with something left to do (a new edge for an ISA line).
        xor     al, al
        OUTR    R_IMR
.again:
        INR     R_ISR
        test    al, ISR_OVW
        jz      .no_overflow
        call    overflow
        jmp     .again
.no_overflow:
        and     al, ISR_PRX | ISR_RXE
        jz      .done
        out     dx, al
        call    drain
        jmp     .again
.done:
        mov     al, IMR_BITS
        OUTR    R_IMR
        mov     al, 20h                 ; non-specific EOI, to the slave first for IRQ 8-15
        cmp     byte [cs:irq], 8
        jb      .master
        out     0A0h, al
.master:
        out     20h, al
        pop     es
        pop     ds
        pop     bp
        pop     di
        pop     si
        pop     cx
        pop     bx
        mov     ss, [cs:saved_ss]
        mov     sp, [cs:saved_sp]
        pop     dx
        pop     ax
        iret

; The ring is full: the datasheet's recovery from a receive buffer overflow.
overflow:
        mov     al, CR_STP | CR_NODMA
        OUTR    R_CR
        mov     dx, [cs:io_base]
        add     dx, R_ISR
        xor     cx, cx
.stopping:
        in      al, dx
        test    al, ISR_RST
        jnz     .stopped
        loop    .stopping
.stopped:
        xor     al, al
        OUTR    R_RBCR0
        OUTR    R_RBCR0 + 1
        mov     al, TCR_LOOPBACK
        OUTR    R_TCR
        mov     al, CR_STA | CR_NODMA
        OUTR    R_CR
        call    drain
        mov     al, ISR_OVW
        OUTR    R_ISR
        mov     al, TCR_NORMAL
        OUTR    R_TCR
        ret

; Hands every frame in the ring to its receiver and moves BNRY on.
drain:
        mov     al, CR_PAGE1 | CR_STA | CR_NODMA
        OUTR    R_CR
        INR     R_CURR
        mov     [cs:curr], al
        mov     al, CR_STA | CR_NODMA
        OUTR    R_CR
        mov     al, [cs:curr]
        cmp     al, [cs:next_packet]
        je      .empty
        ; The 4-byte header: receive status, next page, byte count (with the header).
        push    cs
        pop     es
        mov     di, rx_header
        mov     ah, [cs:next_packet]
        xor     al, al
        mov     cx, 4
        call    dma_read
        mov     al, [cs:rx_header + 1]
        cmp     al, RX_START
        jb      .bad
        cmp     al, RX_STOP
        jae     .bad
        mov     cx, [cs:rx_header + 2]
        sub     cx, 4
        jb      .bad
        cmp     cx, MAX_FRAME
        ja      .bad
        cmp     cx, 14
        jb      .bad
        test    byte [cs:rx_header], 01h
        jz      .skip
        mov     [cs:rx_length], cx
        ; The frame, in two pieces when it wraps past the ring's end.
        mov     di, rx_buffer
        mov     ah, [cs:next_packet]
        mov     al, 4
        mov     bx, RX_STOP << 8
        sub     bx, ax                  ; bytes before the end of the ring
        cmp     cx, bx
        jbe     .one_piece
        push    cx
        push    bx
        mov     cx, bx
        call    dma_read
        pop     bx
        pop     cx
        sub     cx, bx
        mov     ax, RX_START << 8
.one_piece:
        call    dma_read
        call    deliver
.skip:
        mov     al, [cs:rx_header + 1]
        mov     [cs:next_packet], al
        call    set_boundary
        jmp     drain
.bad:
        ; A header that makes no sense: drop all that is in the ring.
        mov     al, [cs:curr]
        mov     [cs:next_packet], al
        call    set_boundary
.empty:
        ret

; BNRY one page behind the next packet to read (AL).
set_boundary:
        dec     al
        cmp     al, RX_START
        jae     .set
        mov     al, RX_STOP - 1
.set:
        OUTR    R_BNRY
        ret

; The frame in rx_buffer (rx_length bytes) to the first handle whose type matches.
deliver:
        push    cs
        pop     es
        mov     bx, handles
        mov     dx, 1
.scan:
        cmp     byte [cs:bx + H_USED], 0
        je      .next
        xor     cx, cx
        mov     cl, [cs:bx + H_TLEN]
        jcxz    .match
        mov     si, rx_buffer + 12
        lea     di, [bx + H_TYPE]
        repe    cmpsb
        je      .match
.next:
        add     bx, HANDLE_SIZE
        inc     dx
        cmp     dx, MAX_HANDLES
        jbe     .scan
        ret
.match:
        mov     [cs:rx_record], bx
        mov     [cs:rx_handle], dx
        mov     si, bx
        mov     bx, dx
        xor     ax, ax
        mov     cx, [cs:rx_length]
        xor     dx, dx
        xor     di, di
        call    far [cs:si + H_RECV]
        mov     ax, es
        or      ax, di
        jz      .dropped
        push    cs
        pop     ds
        cld
        push    es
        push    di
        mov     si, rx_buffer
        mov     cx, [cs:rx_length]
        rep     movsb
        pop     si
        pop     ds
        mov     ax, 1
        mov     bx, [cs:rx_handle]
        mov     cx, [cs:rx_length]
        mov     di, [cs:rx_record]
        call    far [cs:di + H_RECV]
.dropped:
        push    cs
        pop     ds
        cld
        ret

; ---- resident data

driver_name     db      "NE2KPKT", 0
io_base         dw      0
irq             db      0
pkt_vector      dw      0               ; the vector's address in segment 0
irq_vector      dw      0
old_pkt         dd      0
old_irq         dd      0
pic_mask_port   dw      21h
irq_mask_bit    db      0
irq_was_masked  db      0
saved_sp        dw      0
saved_ss        dw      0
next_packet     db      0
curr            db      0
rx_length       dw      0
rx_handle       dw      0
rx_record       dw      0
rx_header       times 4 db 0
station         times 6 db 0
        align   2
prom            times 32 db 0
handles         times MAX_HANDLES * HANDLE_SIZE db 0
rx_buffer       times MAX_FRAME + 2 db 0
        align   2
stack           times 512 db 0
stack_top:
resident_end:

; ---------------------------------------------------------------------------------------------
; Installation (not resident).

install:
        cld
        mov     si, 81h
        mov     cl, [80h]
        xor     ch, ch
        mov     [args_end], si
        add     [args_end], cx
        call    parse_number
        jc      .default_int
        mov     [int_no], ax
.default_int:
        call    parse_number
        jc      .pci
        mov     [irq_arg], ax
        call    parse_number
        jc      usage
        mov     [io_base], ax
        mov     ax, [irq_arg]
        cmp     ax, 2
        jne     .irq_ok
        mov     ax, 9                   ; IRQ 2 of an ISA card is the slave's IRQ 9
.irq_ok:
        cmp     ax, 15
        ja      usage
        mov     [irq], al
        jmp     .have_card
.pci:
        push    si
        call    pci_find
        pop     si
        jnc     .have_card
        mov     dx, msg_no_pci
        jmp     fail
.have_card:
        call    skip_blanks
        cmp     si, [args_end]
        jb      usage
        mov     ax, [int_no]
        cmp     ax, 60h
        jb      usage
        cmp     ax, 80h
        ja      usage
        ; The packet interrupt must be free of another packet driver.
        mov     ah, 35h
        int     21h                     ; ES:BX = the vector
        mov     [old_pkt], bx
        mov     [old_pkt + 2], es
        lea     di, [bx + 3]
        mov     si, signature
        mov     cx, 8
        repe    cmpsb
        jne     .int_free
        mov     dx, msg_taken
        jmp     fail
.int_free:
        ; The interrupt controller.
        mov     cl, [irq]
        mov     al, cl
        cmp     cl, 8
        jb      .master
        mov     word [pic_mask_port], 0A1h
        sub     cl, 8
        add     al, 70h - 8 - 8
.master:
        add     al, 8
        mov     ah, 1
        shl     ah, cl
        mov     [irq_mask_bit], ah
        mov     [irq_number], al
        xor     ah, ah
        shl     ax, 2
        mov     [irq_vector], ax
        mov     al, [int_no]
        xor     ah, ah
        shl     ax, 2
        mov     [pkt_vector], ax
        ; The IRQ's handler first, then the card (it may interrupt at once), then the mask.
        mov     al, [irq_number]
        mov     ah, 35h
        int     21h
        mov     [old_irq], bx
        mov     [old_irq + 2], es
        mov     dx, irq_handler
        mov     ah, 25h
        int     21h
        cli
        call    card_init
        sti
        jnc     .card_ok
        push    ds
        lds     dx, [old_irq]
        mov     al, [cs:irq_number]
        mov     ah, 25h
        int     21h
        pop     ds
        mov     dx, msg_no_card
        call    puts
        mov     ax, [io_base]
        call    put_hex16
        mov     dx, msg_h_crlf
        call    puts
        mov     ax, 4C01h
        int     21h
.card_ok:
        mov     dx, pkt_int
        mov     al, [int_no]
        mov     ah, 25h
        int     21h
        cli
        mov     dx, [pic_mask_port]
        in      al, dx
        mov     ah, [irq_mask_bit]
        and     ah, al
        mov     [irq_was_masked], ah
        mov     ah, [irq_mask_bit]
        not     ah
        and     al, ah
        out     dx, al
        cmp     dx, 0A1h
        jne     .unmasked
        in      al, 21h                 ; the slave's cascade input on the master
        and     al, 0FBh
        out     21h, al
.unmasked:
        sti
        ; "NE2KPKT: NE2000 at I/O 0300h IRQ 10, INT 60h, address 52:54:00:12:34:56"
        mov     dx, msg_installed
        call    puts
        mov     ax, [io_base]
        call    put_hex16
        mov     dx, msg_irq
        call    puts
        mov     al, [irq]
        xor     ah, ah
        call    put_dec
        mov     dx, msg_int
        call    puts
        mov     al, [int_no]
        call    put_hex8
        mov     dx, msg_address
        call    puts
        mov     si, station
        mov     cx, 6
.mac:
        lodsb
        call    put_hex8
        dec     cx
        jz      .mac_done
        mov     dl, ':'
        mov     ah, 2
        int     21h
        jmp     .mac
.mac_done:
        mov     dx, msg_crlf
        call    puts
        ; Resident: the environment is freed, the code and buffers stay.
        mov     es, [2Ch]
        mov     ah, 49h
        int     21h
        mov     dx, (resident_end - $$ + 100h + 15) >> 4
        mov     ax, 3100h
        int     21h

usage:
        mov     dx, msg_usage
fail:
        call    puts
        mov     ax, 4C01h
        int     21h

; The RTL8029 through the PCI BIOS: its I/O base and IRQ. Carry set when there is none.
pci_find:
        mov     ax, 0B101h
        xor     edi, edi
        int     1Ah
        jc      .none
        test    ah, ah
        jnz     .none
        cmp     edx, 20494350h          ; "PCI "
        jne     .none
        mov     ax, 0B102h
        mov     cx, 8029h
        mov     dx, 10ECh
        xor     si, si
        int     1Ah
        jc      .none
        test    ah, ah
        jnz     .none
        mov     ax, 0B10Ah              ; BAR0
        mov     di, 10h
        int     1Ah
        jc      .none
        test    cl, 1                   ; an I/O BAR
        jz      .none
        and     cx, 0FFFCh
        jz      .none
        mov     [io_base], cx
        mov     ax, 0B108h              ; the interrupt line register
        mov     di, 3Ch
        int     1Ah
        jc      .none
        cmp     cl, 15
        ja      .none
        cmp     cl, 0
        je      .none
        mov     [irq], cl
        mov     ax, 0B109h              ; the command register: I/O space on
        mov     di, 04h
        int     1Ah
        jc      .none
        or      cx, 1
        mov     ax, 0B10Ch
        mov     di, 04h
        int     1Ah
        clc
        ret
.none:
        stc
        ret

skip_blanks:
        cmp     si, [args_end]
        jae     .done
        cmp     byte [si], ' '
        je      .skip
        cmp     byte [si], 9
        jne     .done
.skip:
        inc     si
        jmp     skip_blanks
.done:
        ret

; The next number on the command line (decimal, or hexadecimal after 0x) in AX; carry set
; when there is none (a malformed one is a usage error).
parse_number:
        call    skip_blanks
        cmp     si, [args_end]
        jae     .none
        xor     bx, bx
        mov     cx, 10
        cmp     byte [si], '0'
        jne     .digits
        mov     al, [si + 1]
        or      al, 20h
        cmp     al, 'x'
        jne     .digits
        add     si, 2
        mov     cx, 16
.digits:
        mov     di, si                  ; where the digits start
.digit:
        cmp     si, [args_end]
        jae     .end
        mov     al, [si]
        cmp     al, ' '
        je      .end
        cmp     al, 9
        je      .end
        sub     al, '0'
        cmp     al, 9
        jbe     .value
        or      al, 20h                 ; 'a'-'0' etc., either case
        sub     al, 'a' - '0'
        cmp     al, 5
        ja      usage
        add     al, 10
.value:
        xor     ah, ah
        cmp     ax, cx
        jae     usage
        xchg    ax, bx
        mul     cx
        jc      usage
        add     ax, bx
        jc      usage
        mov     bx, ax
        inc     si
        jmp     .digit
.end:
        cmp     si, di
        je      usage
        mov     ax, bx
        clc
        ret
.none:
        stc
        ret

puts:
        mov     ah, 9
        int     21h
        ret

put_hex16:
        push    ax
        mov     al, ah
        call    put_hex8
        pop     ax
put_hex8:
        push    ax
        shr     al, 4
        call    .nibble
        pop     ax
.nibble:
        push    ax
        and     al, 0Fh
        add     al, '0'
        cmp     al, '9'
        jbe     .out
        add     al, 'A' - '9' - 1
.out:
        mov     dl, al
        mov     ah, 2
        int     21h
        pop     ax
        ret

put_dec:                                ; AX, unsigned
        xor     cx, cx
        mov     bx, 10
.divide:
        xor     dx, dx
        div     bx
        push    dx
        inc     cx
        test    ax, ax
        jnz     .divide
.print:
        pop     dx
        add     dl, '0'
        mov     ah, 2
        int     21h
        loop    .print
        ret

int_no          dw      60h
irq_arg         dw      0
irq_number      db      0
args_end        dw      0
signature       db      "PKT DRVR"
msg_usage       db      "usage: NE2KPKT [INT [IRQ IO]]   e.g. NE2KPKT 0x60 10 0x300 (ISA),", 13, 10
                db      "       NE2KPKT 0x60 (an RTL8029 on PCI)", 13, 10, "$"
msg_no_pci      db      "NE2KPKT: no RTL8029 on PCI: give the IRQ and I/O base of an ISA card", 13, 10, "$"
msg_taken       db      "NE2KPKT: a packet driver is already on that interrupt", 13, 10, "$"
msg_no_card     db      "NE2KPKT: no NE2000 at I/O $"
msg_h_crlf      db      "h"
msg_crlf        db      13, 10, "$"
msg_installed   db      "NE2KPKT: NE2000 at I/O $"
msg_irq         db      "h IRQ $"
msg_int         db      ", INT $"
msg_address     db      "h, address $"
