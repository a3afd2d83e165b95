; PKTTEST.COM: checks a network through a packet driver (the FTP Software / Crynwr Packet Driver
; Specification's basic functions) and nothing else: finds the driver on INT 60h-80h, asks for
; the ARP and IPv4 frame types, prints the station address, then
;   - sends a DHCP DISCOVER (broadcast) and waits for the OFFER: the address it offers is ours;
;   - sends an ARP request for the gateway (10.0.2.2) and waits for the reply;
;   - sends it an ICMP echo request and waits for the echo of the same identifier, sequence
;     and data, with correct checksums; then 20 more of 1,000 bytes, whose replies go round
;     the driver's receive ring, across its end;
; and prints "PKTTEST OK", or "PKTTEST FAIL: ..." at the first step that fails (exit code 1).
; Each request is sent up to 3 times, one second apart. With /U it then unloads the driver
; (terminate).
;
; Output, on the emulator's user network:
;   Packet driver NE2KPKT on INT 60h, class 1, type 54
;   MAC 52:54:00:12:34:56
;   DHCP offer 10.0.2.15 from 10.0.2.2
;   ARP 10.0.2.2 is 52:55:0A:00:02:02
;   PING reply from 10.0.2.2: 32 bytes, seq 1
;   PING 20 of 20 replies, 1000 bytes each
;   PKTTEST OK

        cpu     386
        bits    16
        org     100h

; A 16-bit value in network order, as the little-endian word that stores it.
%define NET16(x) ((((x) >> 8) & 0FFh) | (((x) & 0FFh) << 8))

ETH_TYPE        equ 12
ETH_HDR         equ 14
IP_HDR          equ 20
PING_DATA       equ 32
BIG             equ 1000
BURST           equ 20
TICKS_PER_TRY   equ 18              ; about a second
TRIES           equ 3

start:
        cld
        call    find_driver
        jnc     .found
        mov     dx, msg_no_driver
        jmp     fail
.found:
        ; "Packet driver NE2KPKT on INT 60h, class 1, type 54"
        mov     ax, 01FFh
        call    pkt                     ; DS:SI = the driver's name
        mov     [cs:info_name + 2], ds
        push    cs
        pop     ds
        jc      .no_info
        mov     [info_name], si
        mov     [info_class], ch
        mov     [info_type], dx
        mov     dx, msg_driver
        call    puts
        push    ds
        lds     si, [info_name]
        call    puts_z
        pop     ds
        mov     dx, msg_on_int
        call    puts
        mov     al, [pkt_int_no]
        call    put_hex8
        mov     dx, msg_class
        call    puts
        mov     al, [info_class]
        xor     ah, ah
        call    put_dec
        mov     dx, msg_type
        call    puts
        mov     ax, [info_type]
        call    put_dec
        call    crlf
        jmp     .types
.no_info:
        mov     dx, msg_no_info
        jmp     fail

.types:
        ; The two frame types, one receiver.
        mov     si, type_arp
        call    access
        mov     dx, msg_no_access
        jc      fail
        mov     [h_arp], ax
        mov     si, type_ip
        call    access
        mov     dx, msg_no_access
        jc      fail
        mov     [h_ip], ax

        mov     ah, 6
        mov     bx, [h_ip]
        mov     di, my_mac
        push    ds
        pop     es
        mov     cx, 6
        call    pkt
        mov     dx, msg_no_address
        jc      fail
        mov     dx, msg_mac
        call    puts
        mov     si, my_mac
        call    put_mac
        call    crlf

        ; DHCP.
        call    build_discover
        mov     word [check], check_offer
        call    exchange
        mov     dx, msg_no_offer
        jc      fail
        mov     dx, msg_offer
        call    puts
        mov     si, my_ip
        call    put_ip
        mov     dx, msg_from
        call    puts
        mov     si, server_ip
        call    put_ip
        call    crlf

        ; ARP for the gateway.
        call    build_arp
        mov     word [check], check_arp
        call    exchange
        mov     dx, msg_no_arp
        jc      fail
        mov     dx, msg_arp
        call    puts
        mov     si, gateway_ip
        call    put_ip
        mov     dx, msg_is
        call    puts
        mov     si, gateway_mac
        call    put_mac
        call    crlf

        ; Ping it: once with 32 bytes, then BURST times with BIG bytes (the replies go round
        ; the driver's receive ring several times).
        mov     word [ping_seq], 1
        mov     word [ping_len], PING_DATA
        call    ping
        mov     dx, msg_no_echo
        jc      fail
        mov     dx, msg_ping
        call    puts
        mov     si, gateway_ip
        call    put_ip
        mov     dx, msg_bytes
        call    puts
        mov     ax, PING_DATA
        call    put_dec
        mov     dx, msg_seq
        call    puts
        mov     ax, 1
        call    put_dec
        call    crlf
        mov     word [ping_len], BIG
.burst:
        inc     word [ping_seq]
        call    ping
        jc      .burst_done
        inc     word [replies]
        cmp     word [ping_seq], BURST + 1
        jb      .burst
.burst_done:
        mov     dx, msg_burst
        call    puts
        mov     ax, [replies]
        call    put_dec
        mov     dx, msg_of
        call    puts
        mov     ax, BURST
        call    put_dec
        mov     dx, msg_big
        call    puts
        mov     ax, BIG
        call    put_dec
        mov     dx, msg_bytes_each
        call    puts
        mov     dx, msg_lost
        cmp     word [replies], BURST
        jne     fail

        call    release
        mov     dx, msg_ok
        call    puts
        ; /U: unload the driver.
        mov     si, 81h
.arg:
        lodsb
        cmp     al, 13
        je      .exit
        or      al, 20h
        cmp     al, 'u'
        jne     .arg
        mov     si, type_arp
        call    access                  ; terminate takes a handle
        mov     dx, msg_no_access
        jc      fail
        mov     bx, ax
        mov     ah, 5
        call    pkt
        mov     dx, msg_cant_unload
        jc      fail
        mov     dx, msg_unloaded
        call    puts
.exit:
        mov     ax, 4C00h
        int     21h

fail:
        push    dx
        call    release
        mov     dx, msg_fail
        call    puts
        pop     dx
        call    puts
        call    crlf
        mov     ax, 4C01h
        int     21h

; The packet driver's interrupt, as INT would call it (AX.. as the function takes them).
pkt:
        pushf
        cli
        call    far [cs:pkt_vec]
        ret

; The first vector of 60h-80h whose handler has "PKT DRVR" at offset 3; carry set if none.
find_driver:
        mov     bl, 60h
.try:
        xor     ax, ax
        mov     es, ax
        xor     bh, bh
        shl     bx, 2
        les     di, [es:bx]
        shr     bx, 2
        add     di, 3
        mov     si, signature
        mov     cx, 8
        repe    cmpsb
        je      .found
        inc     bl
        cmp     bl, 80h
        jbe     .try
        stc
        ret
.found:
        mov     [pkt_int_no], bl
        xor     ax, ax
        mov     es, ax
        xor     bh, bh
        shl     bx, 2
        mov     ax, [es:bx]
        mov     [pkt_vec], ax
        mov     ax, [es:bx + 2]
        mov     [pkt_vec + 2], ax
        clc
        ret

; access_type for the 2-byte type at SI, class 1, any type, interface 0; AX = the handle.
access:
        mov     ax, 0201h
        mov     bx, 0FFFFh
        xor     dl, dl
        mov     cx, 2
        push    ds
        pop     es
        mov     di, receiver
        jmp     pkt

release:
        mov     bx, [h_arp]
        call    .one
        mov     bx, [h_ip]
.one:
        test    bx, bx
        jz      .done
        mov     ah, 3
        call    pkt
.done:
        ret

; The receiver: one frame at a time into rx_frame; the main loop empties it.
receiver:
        test    ax, ax
        jnz     .copied
        cmp     byte [cs:rx_full], 0
        jne     .drop
        cmp     cx, RX_SIZE
        ja      .drop
        push    cs
        pop     es
        mov     di, rx_frame
        retf
.drop:
        xor     di, di
        mov     es, di
        retf
.copied:
        mov     [cs:rx_length], cx
        mov     byte [cs:rx_full], 1
        retf

; Sends the frame in tx_frame (tx_length bytes) and waits for a frame [check] accepts (carry
; clear on return from it), up to TRIES times; carry set when none came.
exchange:
        mov     byte [tries], TRIES
.send:
        mov     ah, 4
        mov     si, tx_frame
        mov     cx, [tx_length]
        call    pkt
        jc      .fail
        push    es
        push    40h
        pop     es
        mov     ax, [es:6Ch]
        pop     es
        mov     [t_start], ax
.wait:
        cli
        cmp     byte [rx_full], 0
        jne     .got
        sti
        hlt
        push    es
        push    40h
        pop     es
        mov     ax, [es:6Ch]
        pop     es
        sub     ax, [t_start]
        cmp     ax, TICKS_PER_TRY
        jb      .wait
        dec     byte [tries]
        jnz     .send
.fail:
        stc
        ret
.got:
        sti
        call    [check]
        mov     byte [rx_full], 0
        jc      .wait
        ret

; ---- frames out

; The Ethernet header: to DI (6 bytes), from us, of type AX (network order word).
eth_header:
        push    ax
        push    ds
        pop     es
        mov     si, di
        mov     di, tx_frame
        movsw
        movsw
        movsw
        mov     si, my_mac
        movsw
        movsw
        movsw
        pop     ax
        stosw
        ret

clear_tx:
        push    ds
        pop     es
        mov     di, tx_frame
        mov     cx, TX_SIZE / 2
        xor     ax, ax
        rep     stosw
        ret

; An IPv4 header at tx_frame + 14: protocol AL, payload CX bytes, from SI to DI (addresses).
ip_header:
        push    di
        push    si
        mov     bx, tx_frame + ETH_HDR
        mov     byte [bx], 45h
        mov     byte [bx + 1], 0
        add     cx, IP_HDR
        xchg    cl, ch
        mov     [bx + 2], cx
        mov     word [bx + 4], NET16(1234h)     ; identification
        mov     word [bx + 6], 0
        mov     byte [bx + 8], 64               ; TTL
        mov     [bx + 9], al
        mov     word [bx + 10], 0
        pop     si
        mov     ax, [si]
        mov     [bx + 12], ax
        mov     ax, [si + 2]
        mov     [bx + 14], ax
        pop     si
        mov     ax, [si]
        mov     [bx + 16], ax
        mov     ax, [si + 2]
        mov     [bx + 18], ax
        mov     si, bx
        mov     cx, IP_HDR
        call    checksum
        mov     [bx + 10], ax
        ret

build_discover:
        call    clear_tx
        mov     di, broadcast_mac
        mov     ax, NET16(0800h)
        call    eth_header
        DHCP_LEN equ 300
        mov     al, 17
        mov     cx, 8 + DHCP_LEN
        mov     si, zero_ip
        mov     di, broadcast_ip
        call    ip_header
        mov     bx, tx_frame + ETH_HDR + IP_HDR
        mov     word [bx], NET16(68)
        mov     word [bx + 2], NET16(67)
        mov     word [bx + 4], NET16(8 + DHCP_LEN)
        mov     word [bx + 6], 0                ; no UDP checksum
        add     bx, 8
        mov     byte [bx], 1                    ; BOOTREQUEST
        mov     byte [bx + 1], 1                ; Ethernet
        mov     byte [bx + 2], 6
        mov     eax, [xid]
        mov     [bx + 4], eax
        mov     word [bx + 10], NET16(8000h)    ; broadcast the reply
        lea     di, [bx + 28]                   ; chaddr
        mov     si, my_mac
        movsw
        movsw
        movsw
        mov     dword [bx + 236], 63538263h     ; the magic cookie 99.130.83.99
        mov     dword [bx + 240], 0FF010135h    ; message type DISCOVER, end
        mov     word [tx_length], ETH_HDR + IP_HDR + 8 + DHCP_LEN
        ret

build_arp:
        call    clear_tx
        mov     di, broadcast_mac
        mov     ax, NET16(0806h)
        call    eth_header
        mov     bx, tx_frame + ETH_HDR
        mov     word [bx], NET16(1)             ; Ethernet
        mov     word [bx + 2], NET16(0800h)     ; IPv4
        mov     byte [bx + 4], 6
        mov     byte [bx + 5], 4
        mov     word [bx + 6], NET16(1)         ; request
        lea     di, [bx + 8]
        mov     si, my_mac
        movsw
        movsw
        movsw
        mov     si, my_ip
        movsw
        movsw
        add     di, 6                           ; target hardware address: unknown (zero)
        mov     si, gateway_ip
        movsw
        movsw
        mov     word [tx_length], ETH_HDR + 28
        ret

; An echo request of [ping_len] bytes (byte i is i + sequence), sequence [ping_seq]; carry
; clear when its reply came.
ping:
        call    clear_tx
        mov     di, gateway_mac
        mov     ax, NET16(0800h)
        call    eth_header
        mov     al, 1
        mov     cx, [ping_len]
        add     cx, 8
        mov     si, my_ip
        mov     di, gateway_ip
        call    ip_header
        mov     bx, tx_frame + ETH_HDR + IP_HDR
        mov     byte [bx], 8                    ; echo request
        mov     byte [bx + 1], 0
        mov     word [bx + 4], NET16(0DC5h)     ; identifier
        mov     ax, [ping_seq]
        xchg    al, ah
        mov     [bx + 6], ax
        lea     di, [bx + 8]
        mov     cx, [ping_len]
        mov     al, [ping_seq]
.data:
        stosb
        inc     al
        loop    .data
        mov     si, bx
        mov     cx, [ping_len]
        add     cx, 8
        call    checksum
        mov     [bx + 2], ax
        mov     ax, [ping_len]
        add     ax, ETH_HDR + IP_HDR + 8
        mov     [tx_length], ax
        mov     word [check], check_echo
        jmp     exchange

; ---- frames in (rx_frame, rx_length bytes): carry clear when it is the one awaited

; An IPv4 frame for us with protocol AL: BX = its payload, CX = the payload's length.
ip_in:
        cmp     word [rx_frame + ETH_TYPE], NET16(0800h)
        jne     .no
        mov     si, rx_frame + ETH_HDR
        mov     ah, [si]
        cmp     ah, 45h                         ; no options
        jne     .no
        cmp     [si + 9], al
        jne     .no
        mov     cx, [si + 2]
        xchg    cl, ch
        cmp     cx, IP_HDR
        jb      .no
        mov     ax, [rx_length]
        sub     ax, ETH_HDR
        cmp     cx, ax
        ja      .no
        push    cx
        mov     cx, IP_HDR
        call    checksum
        pop     cx
        test    ax, ax
        jnz     .no
        sub     cx, IP_HDR
        mov     bx, rx_frame + ETH_HDR + IP_HDR
        clc
        ret
.no:
        stc
        ret

check_offer:
        mov     al, 17
        call    ip_in
        jc      .no
        cmp     cx, 8 + 240
        jb      .no
        cmp     word [bx + 2], NET16(68)
        jne     .no
        add     bx, 8
        cmp     byte [bx], 2                    ; BOOTREPLY
        jne     .no
        mov     eax, [xid]
        cmp     [bx + 4], eax
        jne     .no
        cmp     dword [bx + 236], 63538263h
        jne     .no
        ; The options: message type 2 (OFFER) must be there.
        lea     si, [bx + 240]
        lea     di, [bx - 8]
        add     di, cx                          ; the end of the UDP data
.option:
        cmp     si, di
        jae     .no
        lodsb
        cmp     al, 0FFh
        je      .no
        test    al, al
        jz      .option
        cmp     al, 53
        je      .type
        lodsb
        xor     ah, ah
        add     si, ax
        jmp     .option
.type:
        cmp     byte [si], 1
        jne     .no
        cmp     byte [si + 1], 2
        jne     .no
        mov     eax, [bx + 16]                  ; yiaddr
        mov     [my_ip], eax
        mov     eax, [rx_frame + ETH_HDR + 12]  ; the server: the datagram's source
        mov     [server_ip], eax
        clc
        ret
.no:
        stc
        ret

check_arp:
        cmp     word [rx_frame + ETH_TYPE], NET16(0806h)
        jne     .no
        mov     bx, rx_frame + ETH_HDR
        cmp     word [bx + 6], NET16(2)         ; reply
        jne     .no
        mov     eax, [bx + 14]                  ; sender protocol address
        cmp     eax, [gateway_ip]
        jne     .no
        mov     eax, [bx + 24]                  ; target protocol address: us
        cmp     eax, [my_ip]
        jne     .no
        lea     si, [bx + 8]
        push    ds
        pop     es
        mov     di, gateway_mac
        movsw
        movsw
        movsw
        clc
        ret
.no:
        stc
        ret

check_echo:
        mov     al, 1
        call    ip_in
        jc      .no
        mov     eax, [rx_frame + ETH_HDR + 12]
        cmp     eax, [gateway_ip]
        jne     .no
        mov     eax, [rx_frame + ETH_HDR + 16]
        cmp     eax, [my_ip]
        jne     .no
        mov     ax, [ping_len]
        add     ax, 8
        cmp     cx, ax
        jne     .no
        cmp     byte [bx], 0                    ; echo reply
        jne     .no
        cmp     word [bx + 4], NET16(0DC5h)
        jne     .no
        mov     ax, [ping_seq]
        xchg    al, ah
        cmp     [bx + 6], ax
        jne     .no
        mov     si, bx
        call    checksum
        test    ax, ax
        jnz     .no
        ; The same data as the request (still in tx_frame).
        lea     si, [bx + 8]
        push    ds
        pop     es
        mov     di, tx_frame + ETH_HDR + IP_HDR + 8
        mov     cx, [ping_len]
        repe    cmpsb
        jne     .no
        clc
        ret
.no:
        stc
        ret

; The Internet checksum of CX bytes (even) at SI, as the word to store (0 over a whole header
; whose checksum is right).
checksum:
        push    si
        push    cx
        xor     ax, ax
        shr     cx, 1
.add:
        add     ax, [si]
        adc     ax, 0
        add     si, 2
        loop    .add
        not     ax
        pop     cx
        pop     si
        ret

; ---- output

puts:
        mov     ah, 9
        int     21h
        ret

puts_z:                                 ; DS:SI, zero-terminated
        lodsb
        test    al, al
        jz      .done
        mov     dl, al
        mov     ah, 2
        int     21h
        jmp     puts_z
.done:
        ret

crlf:
        mov     dx, msg_crlf
        jmp     puts

put_mac:                                ; SI
        mov     cx, 6
.byte:
        lodsb
        call    put_hex8
        dec     cx
        jz      .done
        mov     dl, ':'
        mov     ah, 2
        int     21h
        jmp     .byte
.done:
        ret

put_ip:                                 ; SI
        mov     cx, 4
.byte:
        lodsb
        xor     ah, ah
        push    cx
        push    si
        call    put_dec
        pop     si
        pop     cx
        dec     cx
        jz      .done
        mov     dl, '.'
        mov     ah, 2
        int     21h
        jmp     .byte
.done:
        ret

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

; ---- data

signature       db      "PKT DRVR"
type_arp        db      08h, 06h
type_ip         db      08h, 00h
broadcast_mac   db      0FFh, 0FFh, 0FFh, 0FFh, 0FFh, 0FFh
broadcast_ip    db      255, 255, 255, 255
zero_ip         db      0, 0, 0, 0
gateway_ip      db      10, 0, 2, 2
xid             db      "x86d"

msg_driver      db      "Packet driver $"
msg_on_int      db      " on INT $"
msg_class       db      "h, class $"
msg_type        db      ", type $"
msg_mac         db      "MAC $"
msg_offer       db      "DHCP offer $"
msg_from        db      " from $"
msg_arp         db      "ARP $"
msg_is          db      " is $"
msg_ping        db      "PING reply from $"
msg_bytes       db      ": $"
msg_seq         db      " bytes, seq $"
msg_burst       db      "PING $"
msg_of          db      " of $"
msg_big         db      " replies, $"
msg_bytes_each  db      " bytes each", 13, 10, "$"
msg_lost        db      "echo replies lost$"
msg_ok          db      "PKTTEST OK", 13, 10, "$"
msg_unloaded    db      "packet driver unloaded", 13, 10, "$"
msg_fail        db      "PKTTEST FAIL: $"
msg_no_driver   db      "no packet driver on INT 60h-80h$"
msg_no_info     db      "driver_info failed$"
msg_no_access   db      "access_type failed$"
msg_no_address  db      "get_address failed$"
msg_no_offer    db      "no DHCP offer$"
msg_no_arp      db      "no ARP reply from 10.0.2.2$"
msg_no_echo     db      "no echo reply from 10.0.2.2$"
msg_cant_unload db      "terminate failed$"
msg_crlf        db      13, 10, "$"

        align   4
pkt_vec         dd      0
info_name       dd      0
my_ip           dd      0
server_ip       dd      0
pkt_int_no      db      0
info_class      db      0
rx_full         db      0
tries           db      0
        align   2
h_arp           dw      0
info_type       dw      0
h_ip            dw      0
check           dw      0
ping_seq        dw      0
ping_len        dw      0
replies         dw      0
t_start         dw      0
tx_length       dw      0
rx_length       dw      0
my_mac          times 6 db 0
gateway_mac     times 6 db 0

RX_SIZE         equ 1514
TX_SIZE         equ 1514
        align   2
rx_frame        times RX_SIZE + 2 db 0
tx_frame        times TX_SIZE db 0
