// The opcode table: the one source of truth for instruction decoding (lengths), dispatch
// (which handler runs each opcode) and disassembly (STYLE.md 6, 7).
//
// One line per opcode, or per ModRM reg value of a group ("80/3"). Columns:
//   opcode     "8B", "0F AF" (two-byte), "80/3" (group 80, reg field 3), "F3 0F 10" (a mandatory
//              prefix: 66, F2 or F3 before 0F selects another instruction, SDM Vol. 2 §2.1.2)
//   mnemonic   "cbw|cwde" gives the 16- and 32-bit operand-size names
//   operands   Intel operand letters (SDM Vol. 2 appendix A.2), comma separated, "-" for none:
//                E  ModRM r/m operand        G  ModRM reg field (general register)
//                M  ModRM memory only        R  ModRM r/m as register only
//                S  segment register (reg)   C/D control/debug register (reg)
//                I  immediate  J  relative jump target  A  far pointer  O  moffs (address-size offset)
//                P  ModRM reg field (MMX register)   Q  ModRM r/m: MMX register or memory
//                N  ModRM r/m as MMX register only (memory forms #UD)
//                V  ModRM reg field (XMM register)   W  ModRM r/m: XMM register or memory
//                U  ModRM r/m as XMM register only (memory forms #UD)
//                Z  register in the opcode's low three bits
//                X  DS:eSI string source     Y  ES:eDI string destination
//              followed by a size: b byte, w word, d dword, v 16/32 by operand size,
//              bs byte sign-extended to operand size, p far pointer (16:16 or 16:32),
//              a/q memory pairs, ps/pd 128-bit packed singles/doubles, ss/sd a scalar single/double,
//              dq 128 bits; fixed registers and "1" are written as themselves.
//   attrs      L lockable; P prefix; pm #UD outside protected mode; np the form without a 66, F2 or
//              F3 prefix (the SDM's NP) of an opcode whose prefixed forms are other instructions
//              (rows with a mandatory prefix); a=N the CPU that introduced it (86 186 286 386 486
//              586 686); u=... flags the SDM leaves undefined (o s z a p c); "-" for none
//
// An opcode with np or mandatory-prefix rows dispatches on the prefix that selects the form: the
// last F2 or F3 if any, else 66, else none (SDM Vol. 2 §2.1.2: 66 with F2/F3 is ignored). A form
// with no row is #UD. Rows without np or a mandatory prefix take prefixes as modifiers.
//   handler    the handler's name, when not mnemonic+operands (groups share one handler)
//
// Handler names follow the operand letters (addEbGb, movGvEv); the handler table in
// exec-table.ts maps each name to a function, or a pair for 16- and 32-bit operand size.

export const OPCODE_TABLE = `
00     add        Eb,Gb     L
01     add        Ev,Gv     L
02     add        Gb,Eb     -
03     add        Gv,Ev     -
04     add        AL,Ib     -
05     add        eAX,Iv    -
06     push       ES        -                pushSeg
07     pop        ES        -                popSeg
08     or         Eb,Gb     L
09     or         Ev,Gv     L
0A     or         Gb,Eb     -
0B     or         Gv,Ev     -
0C     or         AL,Ib     -
0D     or         eAX,Iv    -
0E     push       CS        -                pushSeg
0F     (0f)       -         P                twoByte
10     adc        Eb,Gb     L
11     adc        Ev,Gv     L
12     adc        Gb,Eb     -
13     adc        Gv,Ev     -
14     adc        AL,Ib     -
15     adc        eAX,Iv    -
16     push       SS        -                pushSeg
17     pop        SS        -                popSeg
18     sbb        Eb,Gb     L
19     sbb        Ev,Gv     L
1A     sbb        Gb,Eb     -
1B     sbb        Gv,Ev     -
1C     sbb        AL,Ib     -
1D     sbb        eAX,Iv    -
1E     push       DS        -                pushSeg
1F     pop        DS        -                popSeg
20     and        Eb,Gb     L
21     and        Ev,Gv     L
22     and        Gb,Eb     -
23     and        Gv,Ev     -
24     and        AL,Ib     -
25     and        eAX,Iv    -
26     es         -         P                prefixSeg
27     daa        -         u=o
28     sub        Eb,Gb     L
29     sub        Ev,Gv     L
2A     sub        Gb,Eb     -
2B     sub        Gv,Ev     -
2C     sub        AL,Ib     -
2D     sub        eAX,Iv    -
2E     cs         -         P                prefixSeg
2F     das        -         u=o
30     xor        Eb,Gb     L
31     xor        Ev,Gv     L
32     xor        Gb,Eb     -
33     xor        Gv,Ev     -
34     xor        AL,Ib     -
35     xor        eAX,Iv    -
36     ss         -         P                prefixSeg
37     aaa        -         u=oszp
38     cmp        Eb,Gb     -
39     cmp        Ev,Gv     -
3A     cmp        Gb,Eb     -
3B     cmp        Gv,Ev     -
3C     cmp        AL,Ib     -
3D     cmp        eAX,Iv    -
3E     ds         -         P                prefixSeg
3F     aas        -         u=oszp
40     inc        Zv        -
41     inc        Zv        -
42     inc        Zv        -
43     inc        Zv        -
44     inc        Zv        -
45     inc        Zv        -
46     inc        Zv        -
47     inc        Zv        -
48     dec        Zv        -
49     dec        Zv        -
4A     dec        Zv        -
4B     dec        Zv        -
4C     dec        Zv        -
4D     dec        Zv        -
4E     dec        Zv        -
4F     dec        Zv        -
50     push       Zv        -
51     push       Zv        -
52     push       Zv        -
53     push       Zv        -
54     push       Zv        -
55     push       Zv        -
56     push       Zv        -
57     push       Zv        -
58     pop        Zv        -
59     pop        Zv        -
5A     pop        Zv        -
5B     pop        Zv        -
5C     pop        Zv        -
5D     pop        Zv        -
5E     pop        Zv        -
5F     pop        Zv        -
60     pusha|pushad -       a=186            pusha
61     popa|popad -         a=186            popa
62     bound      Gv,Ma     a=186
63     arpl       Ew,Gw     pm,a=286
64     fs         -         P,a=386          prefixSeg
65     gs         -         P,a=386          prefixSeg
66     (o16/o32)  -         P,a=386          prefixOsize
67     (a16/a32)  -         P,a=386          prefixAsize
68     push       Iv        a=186
69     imul       Gv,Ev,Iv  a=186,u=szap
6A     push       Ibs       a=186
6B     imul       Gv,Ev,Ibs a=186,u=szap
6C     insb       Yb,DX     a=186            ins
6D     insw|insd  Yv,DX     a=186            ins
6E     outsb      DX,Xb     a=186            outs
6F     outsw|outsd DX,Xv    a=186            outs
70     jo         Jb        -                jccJb
71     jno        Jb        -                jccJb
72     jb         Jb        -                jccJb
73     jae        Jb        -                jccJb
74     je         Jb        -                jccJb
75     jne        Jb        -                jccJb
76     jbe        Jb        -                jccJb
77     ja         Jb        -                jccJb
78     js         Jb        -                jccJb
79     jns        Jb        -                jccJb
7A     jp         Jb        -                jccJb
7B     jnp        Jb        -                jccJb
7C     jl         Jb        -                jccJb
7D     jge        Jb        -                jccJb
7E     jle        Jb        -                jccJb
7F     jg         Jb        -                jccJb
80/0   add        Eb,Ib     L                grp1EbIb
80/1   or         Eb,Ib     L                grp1EbIb
80/2   adc        Eb,Ib     L                grp1EbIb
80/3   sbb        Eb,Ib     L                grp1EbIb
80/4   and        Eb,Ib     L                grp1EbIb
80/5   sub        Eb,Ib     L                grp1EbIb
80/6   xor        Eb,Ib     L                grp1EbIb
80/7   cmp        Eb,Ib     -                grp1EbIb
81/0   add        Ev,Iv     L                grp1EvIv
81/1   or         Ev,Iv     L                grp1EvIv
81/2   adc        Ev,Iv     L                grp1EvIv
81/3   sbb        Ev,Iv     L                grp1EvIv
81/4   and        Ev,Iv     L                grp1EvIv
81/5   sub        Ev,Iv     L                grp1EvIv
81/6   xor        Ev,Iv     L                grp1EvIv
81/7   cmp        Ev,Iv     -                grp1EvIv
82/0   add        Eb,Ib     L                grp1EbIb
82/1   or         Eb,Ib     L                grp1EbIb
82/2   adc        Eb,Ib     L                grp1EbIb
82/3   sbb        Eb,Ib     L                grp1EbIb
82/4   and        Eb,Ib     L                grp1EbIb
82/5   sub        Eb,Ib     L                grp1EbIb
82/6   xor        Eb,Ib     L                grp1EbIb
82/7   cmp        Eb,Ib     -                grp1EbIb
83/0   add        Ev,Ibs    L                grp1EvIbs
83/1   or         Ev,Ibs    L                grp1EvIbs
83/2   adc        Ev,Ibs    L                grp1EvIbs
83/3   sbb        Ev,Ibs    L                grp1EvIbs
83/4   and        Ev,Ibs    L                grp1EvIbs
83/5   sub        Ev,Ibs    L                grp1EvIbs
83/6   xor        Ev,Ibs    L                grp1EvIbs
83/7   cmp        Ev,Ibs    -                grp1EvIbs
84     test       Eb,Gb     -
85     test       Ev,Gv     -
86     xchg       Eb,Gb     L
87     xchg       Ev,Gv     L
88     mov        Eb,Gb     -
89     mov        Ev,Gv     -
8A     mov        Gb,Eb     -
8B     mov        Gv,Ev     -
8C     mov        Ew,Sw     -
8D     lea        Gv,M      -
8E     mov        Sw,Ew     -
8F/0   pop        Ev        -
90     nop        -         -
91     xchg       Zv,eAX    -
92     xchg       Zv,eAX    -
93     xchg       Zv,eAX    -
94     xchg       Zv,eAX    -
95     xchg       Zv,eAX    -
96     xchg       Zv,eAX    -
97     xchg       Zv,eAX    -
98     cbw|cwde   -         -                cbw
99     cwd|cdq    -         -                cwd
9A     call       Ap        -                callAp
9B     wait       -         -
9C     pushf|pushfd -       -                pushf
9D     popf|popfd -         -                popf
9E     sahf       -         -
9F     lahf       -         -
A0     mov        AL,Ob     -
A1     mov        eAX,Ov    -
A2     mov        Ob,AL     -
A3     mov        Ov,eAX    -
A4     movsb      Yb,Xb     -                movs
A5     movsw|movsd Yv,Xv    -                movs
A6     cmpsb      Xb,Yb     -                cmps
A7     cmpsw|cmpsd Xv,Yv    -                cmps
A8     test       AL,Ib     -
A9     test       eAX,Iv    -
AA     stosb      Yb,AL     -                stos
AB     stosw|stosd Yv,eAX   -                stos
AC     lodsb      AL,Xb     -                lods
AD     lodsw|lodsd eAX,Xv   -                lods
AE     scasb      AL,Yb     -                scas
AF     scasw|scasd eAX,Yv   -                scas
B0     mov        Zb,Ib     -
B1     mov        Zb,Ib     -
B2     mov        Zb,Ib     -
B3     mov        Zb,Ib     -
B4     mov        Zb,Ib     -
B5     mov        Zb,Ib     -
B6     mov        Zb,Ib     -
B7     mov        Zb,Ib     -
B8     mov        Zv,Iv     -
B9     mov        Zv,Iv     -
BA     mov        Zv,Iv     -
BB     mov        Zv,Iv     -
BC     mov        Zv,Iv     -
BD     mov        Zv,Iv     -
BE     mov        Zv,Iv     -
BF     mov        Zv,Iv     -
C0/0   rol        Eb,Ib     a=186,u=o        grp2EbIb
C0/1   ror        Eb,Ib     a=186,u=o        grp2EbIb
C0/2   rcl        Eb,Ib     a=186,u=o        grp2EbIb
C0/3   rcr        Eb,Ib     a=186,u=o        grp2EbIb
C0/4   shl        Eb,Ib     a=186,u=oa       grp2EbIb
C0/5   shr        Eb,Ib     a=186,u=oa       grp2EbIb
C0/6   sal        Eb,Ib     a=186,u=oa       grp2EbIb
C0/7   sar        Eb,Ib     a=186,u=oa       grp2EbIb
C1/0   rol        Ev,Ib     a=186,u=o        grp2EvIb
C1/1   ror        Ev,Ib     a=186,u=o        grp2EvIb
C1/2   rcl        Ev,Ib     a=186,u=o        grp2EvIb
C1/3   rcr        Ev,Ib     a=186,u=o        grp2EvIb
C1/4   shl        Ev,Ib     a=186,u=oa       grp2EvIb
C1/5   shr        Ev,Ib     a=186,u=oa       grp2EvIb
C1/6   sal        Ev,Ib     a=186,u=oa       grp2EvIb
C1/7   sar        Ev,Ib     a=186,u=oa       grp2EvIb
C2     ret        Iw        -                retIw
C3     ret        -         -                ret
C4     les        Gv,Mp     -                lesGvMp
C5     lds        Gv,Mp     -                ldsGvMp
C6/0   mov        Eb,Ib     -
C7/0   mov        Ev,Iv     -
C8     enter      Iw,Ib     a=186
C9     leave      -         a=186
CA     retf       Iw        -                retfIw
CB     retf       -         -                retf
CC     int3       -         -
CD     int        Ib        -
CE     into       -         -
CF     iret|iretd -         -                iret
D0/0   rol        Eb,1      -                grp2Eb1
D0/1   ror        Eb,1      -                grp2Eb1
D0/2   rcl        Eb,1      -                grp2Eb1
D0/3   rcr        Eb,1      -                grp2Eb1
D0/4   shl        Eb,1      u=a              grp2Eb1
D0/5   shr        Eb,1      u=a              grp2Eb1
D0/6   sal        Eb,1      u=a              grp2Eb1
D0/7   sar        Eb,1      u=a              grp2Eb1
D1/0   rol        Ev,1      -                grp2Ev1
D1/1   ror        Ev,1      -                grp2Ev1
D1/2   rcl        Ev,1      -                grp2Ev1
D1/3   rcr        Ev,1      -                grp2Ev1
D1/4   shl        Ev,1      u=a              grp2Ev1
D1/5   shr        Ev,1      u=a              grp2Ev1
D1/6   sal        Ev,1      u=a              grp2Ev1
D1/7   sar        Ev,1      u=a              grp2Ev1
D2/0   rol        Eb,CL     u=o              grp2EbCL
D2/1   ror        Eb,CL     u=o              grp2EbCL
D2/2   rcl        Eb,CL     u=o              grp2EbCL
D2/3   rcr        Eb,CL     u=o              grp2EbCL
D2/4   shl        Eb,CL     u=oa             grp2EbCL
D2/5   shr        Eb,CL     u=oa             grp2EbCL
D2/6   sal        Eb,CL     u=oa             grp2EbCL
D2/7   sar        Eb,CL     u=oa             grp2EbCL
D3/0   rol        Ev,CL     u=o              grp2EvCL
D3/1   ror        Ev,CL     u=o              grp2EvCL
D3/2   rcl        Ev,CL     u=o              grp2EvCL
D3/3   rcr        Ev,CL     u=o              grp2EvCL
D3/4   shl        Ev,CL     u=oa             grp2EvCL
D3/5   shr        Ev,CL     u=oa             grp2EvCL
D3/6   sal        Ev,CL     u=oa             grp2EvCL
D3/7   sar        Ev,CL     u=oa             grp2EvCL
D4     aam        Ib        u=oac
D5     aad        Ib        u=oac
D6     salc       -         -
D7     xlat       -         -
D8     (esc)      Ex        -                esc
D9     (esc)      Ex        -                esc
DA     (esc)      Ex        -                esc
DB     (esc)      Ex        -                esc
DC     (esc)      Ex        -                esc
DD     (esc)      Ex        -                esc
DE     (esc)      Ex        -                esc
DF     (esc)      Ex        -                esc
E0     loopne     Jb        -                loop
E1     loope      Jb        -                loop
E2     loop       Jb        -                loop
E3     jcxz|jecxz Jb        -                jcxz
E4     in         AL,Ib     -                inIb
E5     in         eAX,Ib    -                inIb
E6     out        Ib,AL     -                outIb
E7     out        Ib,eAX    -                outIb
E8     call       Jv        -
E9     jmp        Jv        -
EA     jmp        Ap        -                jmpAp
EB     jmp        Jb        -
EC     in         AL,DX     -                inDX
ED     in         eAX,DX    -                inDX
EE     out        DX,AL     -                outDX
EF     out        DX,eAX    -                outDX
F0     lock       -         P                prefixLock
F1     int1       -         a=386
F2     repne      -         P                prefixRep
F3     rep        -         P                prefixRep
F4     hlt        -         -
F5     cmc        -         -
F6/0   test       Eb,Ib     -                grp3Eb
F6/1   test       Eb,Ib     -                grp3Eb
F6/2   not        Eb        L                grp3Eb
F6/3   neg        Eb        L                grp3Eb
F6/4   mul        Eb        u=szap           grp3Eb
F6/5   imul       Eb        u=szap           grp3Eb
F6/6   div        Eb        u=oszapc         grp3Eb
F6/7   idiv       Eb        u=oszapc         grp3Eb
F7/0   test       Ev,Iv     -                grp3Ev
F7/1   test       Ev,Iv     -                grp3Ev
F7/2   not        Ev        L                grp3Ev
F7/3   neg        Ev        L                grp3Ev
F7/4   mul        Ev        u=szap           grp3Ev
F7/5   imul       Ev        u=szap           grp3Ev
F7/6   div        Ev        u=oszapc         grp3Ev
F7/7   idiv       Ev        u=oszapc         grp3Ev
F8     clc        -         -
F9     stc        -         -
FA     cli        -         -
FB     sti        -         -
FC     cld        -         -
FD     std        -         -
FE/0   inc        Eb        L                grp4Eb
FE/1   dec        Eb        L                grp4Eb
FF/0   inc        Ev        L                grp5Ev
FF/1   dec        Ev        L                grp5Ev
FF/2   call       Ev        -                grp5Ev
FF/3   callf      Mp        -                grp5Ev
FF/4   jmp        Ev        -                grp5Ev
FF/5   jmpf       Mp        -                grp5Ev
FF/6   push       Ev        -                grp5Ev
0F 00/0 sldt      Ew        pm,a=286         grp6
0F 00/1 str       Ew        pm,a=286         grp6
0F 00/2 lldt      Ew        pm,a=286         grp6
0F 00/3 ltr       Ew        pm,a=286         grp6
0F 00/4 verr      Ew        pm,a=286         grp6
0F 00/5 verw      Ew        pm,a=286         grp6
0F 01/0 sgdt      M         a=286            grp7
0F 01/1 sidt      M         a=286            grp7
0F 01/2 lgdt      M         a=286            grp7
0F 01/3 lidt      M         a=286            grp7
0F 01/4 smsw      Ew        a=286            grp7
0F 01/6 lmsw      Ew        a=286            grp7
0F 01/7 invlpg    M         a=486            grp7
0F 02  lar        Gv,Ew     pm,a=286
0F 03  lsl        Gv,Ew     pm,a=286
0F 06  clts       -         a=286
0F 08  invd       -         a=486
0F 09  wbinvd     -         a=486
0F 0B  ud2        -         a=686
0F 10  movups     Vps,Wps   np,a=686
0F 11  movups     Wps,Vps   np,a=686
F3 0F 10 movss    Vss,Wss   a=686
F3 0F 11 movss    Wss,Vss   a=686
66 0F 10 movupd   Vpd,Wpd   a=686
66 0F 11 movupd   Wpd,Vpd   a=686
F2 0F 10 movsd    Vsd,Wsd   a=686
F2 0F 11 movsd    Wsd,Vsd   a=686
0F 12  movlps     Vq,Wq     np,a=686         movlpsVqMq
0F 13  movlps     Mq,Vq     np,a=686
66 0F 12 movlpd   Vq,Mq     a=686
66 0F 13 movlpd   Mq,Vq     a=686
0F 14  unpcklps   Vps,Wps   np,a=686
66 0F 14 unpcklpd Vpd,Wpd   a=686
0F 15  unpckhps   Vps,Wps   np,a=686
66 0F 15 unpckhpd Vpd,Wpd   a=686
0F 16  movhps     Vq,Wq     np,a=686         movhpsVqMq
0F 17  movhps     Mq,Vq     np,a=686
66 0F 16 movhpd   Vq,Mq     a=686
66 0F 17 movhpd   Mq,Vq     a=686
0F 18  nop        Ev        a=686            hintNop
0F 19  nop        Ev        a=686            hintNop
0F 1A  nop        Ev        a=686            hintNop
0F 1B  nop        Ev        a=686            hintNop
0F 1C  nop        Ev        a=686            hintNop
0F 1D  nop        Ev        a=686            hintNop
0F 1E  nop        Ev        a=686            hintNop
0F 1F  nop        Ev        a=686            hintNop
0F 20  mov        Rd,Cd     a=386            movRdCd
0F 21  mov        Rd,Dd     a=386            movRdDd
0F 22  mov        Cd,Rd     a=386            movCdRd
0F 23  mov        Dd,Rd     a=386            movDdRd
0F 28  movaps     Vps,Wps   np,a=686
0F 29  movaps     Wps,Vps   np,a=686
66 0F 28 movapd   Vpd,Wpd   a=686
66 0F 29 movapd   Wpd,Vpd   a=686
0F 2A  cvtpi2ps   Vps,Qq    np,a=686
66 0F 2A cvtpi2pd Vpd,Qq    a=686
F3 0F 2A cvtsi2ss Vss,Ed    a=686
F2 0F 2A cvtsi2sd Vsd,Ed    a=686
0F 2B  movntps    Mps,Vps   np,a=686
66 0F 2B movntpd  Mpd,Vpd   a=686
0F 2C  cvttps2pi  Pq,Wq     np,a=686
66 0F 2C cvttpd2pi Pq,Wpd   a=686
F3 0F 2C cvttss2si Gd,Wss   a=686
F2 0F 2C cvttsd2si Gd,Wsd   a=686
0F 2D  cvtps2pi   Pq,Wq     np,a=686
66 0F 2D cvtpd2pi Pq,Wpd    a=686
F3 0F 2D cvtss2si Gd,Wss    a=686
F2 0F 2D cvtsd2si Gd,Wsd    a=686
0F 2E  ucomiss    Vss,Wss   np,a=686
66 0F 2E ucomisd  Vsd,Wsd   a=686
0F 2F  comiss     Vss,Wss   np,a=686
66 0F 2F comisd   Vsd,Wsd   a=686
0F 30  wrmsr      -         a=586
0F 31  rdtsc      -         a=586
0F 32  rdmsr      -         a=586
0F 34  sysenter   -         a=686
0F 35  sysexit    -         a=686
0F 40  cmovo      Gv,Ev     a=686            cmovGvEv
0F 41  cmovno     Gv,Ev     a=686            cmovGvEv
0F 42  cmovb      Gv,Ev     a=686            cmovGvEv
0F 43  cmovae     Gv,Ev     a=686            cmovGvEv
0F 44  cmove      Gv,Ev     a=686            cmovGvEv
0F 45  cmovne     Gv,Ev     a=686            cmovGvEv
0F 46  cmovbe     Gv,Ev     a=686            cmovGvEv
0F 47  cmova      Gv,Ev     a=686            cmovGvEv
0F 48  cmovs      Gv,Ev     a=686            cmovGvEv
0F 49  cmovns     Gv,Ev     a=686            cmovGvEv
0F 4A  cmovp      Gv,Ev     a=686            cmovGvEv
0F 4B  cmovnp     Gv,Ev     a=686            cmovGvEv
0F 4C  cmovl      Gv,Ev     a=686            cmovGvEv
0F 4D  cmovge     Gv,Ev     a=686            cmovGvEv
0F 4E  cmovle     Gv,Ev     a=686            cmovGvEv
0F 4F  cmovg      Gv,Ev     a=686            cmovGvEv
0F 50  movmskps   Gd,Ups    np,a=686
66 0F 50 movmskpd Gd,Upd    a=686
0F 51  sqrtps      Vps,Wps   np,a=686
66 0F 51 sqrtpd Vpd,Wpd a=686
F3 0F 51 sqrtss Vss,Wss a=686
F2 0F 51 sqrtsd Vsd,Wsd a=686
0F 52  rsqrtps     Vps,Wps   np,a=686
F3 0F 52 rsqrtss Vss,Wss a=686
0F 53  rcpps       Vps,Wps   np,a=686
F3 0F 53 rcpss Vss,Wss a=686
0F 54  andps      Vps,Wps   np,a=686
0F 55  andnps     Vps,Wps   np,a=686
0F 56  orps       Vps,Wps   np,a=686
0F 57  xorps      Vps,Wps   np,a=686
66 0F 54 andpd    Vpd,Wpd   a=686
66 0F 55 andnpd   Vpd,Wpd   a=686
66 0F 56 orpd     Vpd,Wpd   a=686
66 0F 57 xorpd    Vpd,Wpd   a=686
0F 58  addps       Vps,Wps   np,a=686
66 0F 58 addpd Vpd,Wpd a=686
F3 0F 58 addss Vss,Wss a=686
F2 0F 58 addsd Vsd,Wsd a=686
0F 59  mulps       Vps,Wps   np,a=686
66 0F 59 mulpd Vpd,Wpd a=686
F3 0F 59 mulss Vss,Wss a=686
F2 0F 59 mulsd Vsd,Wsd a=686
0F 5A  cvtps2pd   Vpd,Wq    np,a=686
66 0F 5A cvtpd2ps Vps,Wpd  a=686
F3 0F 5A cvtss2sd Vsd,Wss  a=686
F2 0F 5A cvtsd2ss Vss,Wsd  a=686
0F 5B  cvtdq2ps   Vps,Wdq   np,a=686
66 0F 5B cvtps2dq Vdq,Wps  a=686
F3 0F 5B cvttps2dq Vdq,Wps a=686
0F 5C  subps       Vps,Wps   np,a=686
66 0F 5C subpd Vpd,Wpd a=686
F3 0F 5C subss Vss,Wss a=686
F2 0F 5C subsd Vsd,Wsd a=686
0F 5D  minps       Vps,Wps   np,a=686
66 0F 5D minpd Vpd,Wpd a=686
F3 0F 5D minss Vss,Wss a=686
F2 0F 5D minsd Vsd,Wsd a=686
0F 5E  divps       Vps,Wps   np,a=686
66 0F 5E divpd Vpd,Wpd a=686
F3 0F 5E divss Vss,Wss a=686
F2 0F 5E divsd Vsd,Wsd a=686
0F 5F  maxps       Vps,Wps   np,a=686
66 0F 5F maxpd Vpd,Wpd a=686
F3 0F 5F maxss Vss,Wss a=686
F2 0F 5F maxsd Vsd,Wsd a=686
0F 60  punpcklbw  Pq,Qd     np,a=586
66 0F 60 punpcklbw  Vdq,Wdq   a=686
0F 61  punpcklwd  Pq,Qd     np,a=586
66 0F 61 punpcklwd  Vdq,Wdq   a=686
0F 62  punpckldq  Pq,Qd     np,a=586
66 0F 62 punpckldq  Vdq,Wdq   a=686
0F 63  packsswb   Pq,Qq     np,a=586
66 0F 63 packsswb   Vdq,Wdq   a=686
0F 64  pcmpgtb    Pq,Qq     np,a=586
66 0F 64 pcmpgtb    Vdq,Wdq   a=686
0F 65  pcmpgtw    Pq,Qq     np,a=586
66 0F 65 pcmpgtw    Vdq,Wdq   a=686
0F 66  pcmpgtd    Pq,Qq     np,a=586
66 0F 66 pcmpgtd    Vdq,Wdq   a=686
0F 67  packuswb   Pq,Qq     np,a=586
66 0F 67 packuswb   Vdq,Wdq   a=686
0F 68  punpckhbw  Pq,Qq     np,a=586
66 0F 68 punpckhbw  Vdq,Wdq   a=686
0F 69  punpckhwd  Pq,Qq     np,a=586
66 0F 69 punpckhwd  Vdq,Wdq   a=686
0F 6A  punpckhdq  Pq,Qq     np,a=586
66 0F 6A punpckhdq  Vdq,Wdq   a=686
0F 6B  packssdw   Pq,Qq     np,a=586
66 0F 6B packssdw   Vdq,Wdq   a=686
66 0F 6C punpcklqdq Vdq,Wdq   a=686
66 0F 6D punpckhqdq Vdq,Wdq   a=686
0F 6E  movd       Pd,Ed     np,a=586
66 0F 6E movd       Vdq,Ed    a=686
0F 6F  movq       Pq,Qq     np,a=586
66 0F 6F movdqa     Vdq,Wdq   a=686
F3 0F 6F movdqu     Vdq,Wdq   a=686
0F 70    pshufw     Pq,Qq,Ib  np,a=686
66 0F 70 pshufd     Vdq,Wdq,Ib a=686
F3 0F 70 pshufhw    Vdq,Wdq,Ib a=686
F2 0F 70 pshuflw    Vdq,Wdq,Ib a=686
0F 71/2 psrlw     Nq,Ib     np,a=586
66 0F 71/2 psrlw      Udq,Ib    a=686
0F 71/4 psraw     Nq,Ib     np,a=586
66 0F 71/4 psraw      Udq,Ib    a=686
0F 71/6 psllw     Nq,Ib     np,a=586
66 0F 71/6 psllw      Udq,Ib    a=686
0F 72/2 psrld     Nq,Ib     np,a=586
66 0F 72/2 psrld      Udq,Ib    a=686
0F 72/4 psrad     Nq,Ib     np,a=586
66 0F 72/4 psrad      Udq,Ib    a=686
0F 72/6 pslld     Nq,Ib     np,a=586
66 0F 72/6 pslld      Udq,Ib    a=686
0F 73/2 psrlq     Nq,Ib     np,a=586
66 0F 73/2 psrlq      Udq,Ib    a=686
0F 73/6 psllq     Nq,Ib     np,a=586
66 0F 73/6 psllq      Udq,Ib    a=686
66 0F 73/3 psrldq     Udq,Ib    a=686
66 0F 73/7 pslldq     Udq,Ib    a=686
0F 74  pcmpeqb    Pq,Qq     np,a=586
66 0F 74 pcmpeqb    Vdq,Wdq   a=686
0F 75  pcmpeqw    Pq,Qq     np,a=586
66 0F 75 pcmpeqw    Vdq,Wdq   a=686
0F 76  pcmpeqd    Pq,Qq     np,a=586
66 0F 76 pcmpeqd    Vdq,Wdq   a=686
0F 77  emms       -         np,a=586
0F 7E  movd       Ed,Pd     np,a=586
66 0F 7E movd       Ed,Vdq    a=686
F3 0F 7E movq       Vdq,Wq    a=686
0F 7F  movq       Qq,Pq     np,a=586
66 0F 7F movdqa     Wdq,Vdq   a=686
F3 0F 7F movdqu     Wdq,Vdq   a=686
0F 80  jo         Jv        a=386            jccJv
0F 81  jno        Jv        a=386            jccJv
0F 82  jb         Jv        a=386            jccJv
0F 83  jae        Jv        a=386            jccJv
0F 84  je         Jv        a=386            jccJv
0F 85  jne        Jv        a=386            jccJv
0F 86  jbe        Jv        a=386            jccJv
0F 87  ja         Jv        a=386            jccJv
0F 88  js         Jv        a=386            jccJv
0F 89  jns        Jv        a=386            jccJv
0F 8A  jp         Jv        a=386            jccJv
0F 8B  jnp        Jv        a=386            jccJv
0F 8C  jl         Jv        a=386            jccJv
0F 8D  jge        Jv        a=386            jccJv
0F 8E  jle        Jv        a=386            jccJv
0F 8F  jg         Jv        a=386            jccJv
0F 90  seto      Eb        a=386            setccEb
0F 91  setno     Eb        a=386            setccEb
0F 92  setb      Eb        a=386            setccEb
0F 93  setae     Eb        a=386            setccEb
0F 94  sete      Eb        a=386            setccEb
0F 95  setne     Eb        a=386            setccEb
0F 96  setbe     Eb        a=386            setccEb
0F 97  seta      Eb        a=386            setccEb
0F 98  sets      Eb        a=386            setccEb
0F 99  setns     Eb        a=386            setccEb
0F 9A  setp      Eb        a=386            setccEb
0F 9B  setnp     Eb        a=386            setccEb
0F 9C  setl      Eb        a=386            setccEb
0F 9D  setge     Eb        a=386            setccEb
0F 9E  setle     Eb        a=386            setccEb
0F 9F  setg      Eb        a=386            setccEb
0F A0  push       FS        a=386            pushSeg
0F A1  pop        FS        a=386            popSeg
0F A2  cpuid      -         a=586
0F A3  bt         Ev,Gv     a=386,u=oszap
0F A4  shld       Ev,Gv,Ib  a=386,u=oa       shldEvGvIb
0F A5  shld       Ev,Gv,CL  a=386,u=oa       shldEvGvCL
0F A8  push       GS        a=386            pushSeg
0F A9  pop        GS        a=386            popSeg
0F AB  bts        Ev,Gv     L,a=386,u=oszap
0F AC  shrd       Ev,Gv,Ib  a=386,u=oa       shrdEvGvIb
0F AD  shrd       Ev,Gv,CL  a=386,u=oa       shrdEvGvCL
0F AE/0 fxsave    M         a=686            fxsave
0F AE/1 fxrstor   M         a=686            fxrstor
0F AE/2 ldmxcsr   Md        a=686            ldmxcsr
0F AE/3 stmxcsr   Md        a=686            stmxcsr
0F AE/5  lfence     U         np,a=686
0F AE/6  mfence     U         np,a=686
0F AE/7  clflush    Eb        np,a=686        clflush
0F AF  imul       Gv,Ev     a=386,u=szap
0F B0  cmpxchg    Eb,Gb     L,a=486
0F B1  cmpxchg    Ev,Gv     L,a=486
0F B2  lss        Gv,Mp     a=386            lssGvMp
0F B3  btr        Ev,Gv     L,a=386,u=oszap
0F B4  lfs        Gv,Mp     a=386            lfsGvMp
0F B5  lgs        Gv,Mp     a=386            lgsGvMp
0F B6  movzx      Gv,Eb     a=386
0F B7  movzx      Gv,Ew     a=386
0F BA/4 bt        Ev,Ib     a=386,u=oszap    grp8EvIb
0F BA/5 bts       Ev,Ib     L,a=386,u=oszap  grp8EvIb
0F BA/6 btr       Ev,Ib     L,a=386,u=oszap  grp8EvIb
0F BA/7 btc       Ev,Ib     L,a=386,u=oszap  grp8EvIb
0F BB  btc        Ev,Gv     L,a=386,u=oszap
0F BC  bsf        Gv,Ev     a=386,u=oscap
0F BD  bsr        Gv,Ev     a=386,u=oscap
0F BE  movsx      Gv,Eb     a=386
0F BF  movsx      Gv,Ew     a=386
0F C0  xadd       Eb,Gb     L,a=486
0F C1  xadd       Ev,Gv     L,a=486
0F C2  cmpps      Vps,Wps,Ib np,a=686
66 0F C2 cmppd    Vpd,Wpd,Ib a=686
F3 0F C2 cmpss    Vss,Wss,Ib a=686
F2 0F C2 cmpsd    Vsd,Wsd,Ib a=686
0F C6  shufps     Vps,Wps,Ib np,a=686
66 0F C6 shufpd   Vpd,Wpd,Ib a=686
0F C3    movnti     Md,Gd     np,a=686
0F C4    pinsrw     Pq,Ew,Ib  np,a=686
66 0F C4 pinsrw     Vdq,Ew,Ib a=686
0F C5    pextrw     Gd,Nq,Ib  np,a=686
66 0F C5 pextrw     Gd,Udq,Ib a=686
0F C7/1 cmpxchg8b Mq        L,a=586          cmpxchg8bMq
0F C8  bswap      Zd        a=486
0F C9  bswap      Zd        a=486
0F CA  bswap      Zd        a=486
0F CB  bswap      Zd        a=486
0F CC  bswap      Zd        a=486
0F CD  bswap      Zd        a=486
0F CE  bswap      Zd        a=486
0F CF  bswap      Zd        a=486
0F D1  psrlw      Pq,Qq     np,a=586
66 0F D1 psrlw      Vdq,Wdq   a=686
0F D2  psrld      Pq,Qq     np,a=586
66 0F D2 psrld      Vdq,Wdq   a=686
0F D3  psrlq      Pq,Qq     np,a=586
66 0F D3 psrlq      Vdq,Wdq   a=686
0F D4    paddq      Pq,Qq     np,a=686
66 0F D4 paddq      Vdq,Wdq   a=686
0F D5  pmullw     Pq,Qq     np,a=586
66 0F D5 pmullw     Vdq,Wdq   a=686
66 0F D6 movq       Wq,Vdq    a=686
F3 0F D6 movq2dq    Vdq,Nq    a=686
F2 0F D6 movdq2q    Pq,Udq    a=686
0F D7    pmovmskb   Gd,Nq     np,a=686
66 0F D7 pmovmskb   Gd,Udq    a=686
0F D8  psubusb    Pq,Qq     np,a=586
66 0F D8 psubusb    Vdq,Wdq   a=686
0F D9  psubusw    Pq,Qq     np,a=586
66 0F D9 psubusw    Vdq,Wdq   a=686
0F DA    pminub     Pq,Qq     np,a=686
66 0F DA pminub     Vdq,Wdq   a=686
0F DB  pand       Pq,Qq     np,a=586
66 0F DB pand       Vdq,Wdq   a=686
0F DC  paddusb    Pq,Qq     np,a=586
66 0F DC paddusb    Vdq,Wdq   a=686
0F DD  paddusw    Pq,Qq     np,a=586
66 0F DD paddusw    Vdq,Wdq   a=686
0F DE    pmaxub     Pq,Qq     np,a=686
66 0F DE pmaxub     Vdq,Wdq   a=686
0F DF  pandn      Pq,Qq     np,a=586
66 0F DF pandn      Vdq,Wdq   a=686
0F E0    pavgb      Pq,Qq     np,a=686
66 0F E0 pavgb      Vdq,Wdq   a=686
0F E1  psraw      Pq,Qq     np,a=586
66 0F E1 psraw      Vdq,Wdq   a=686
0F E2  psrad      Pq,Qq     np,a=586
66 0F E2 psrad      Vdq,Wdq   a=686
0F E3    pavgw      Pq,Qq     np,a=686
66 0F E3 pavgw      Vdq,Wdq   a=686
0F E4    pmulhuw    Pq,Qq     np,a=686
66 0F E4 pmulhuw    Vdq,Wdq   a=686
0F E5  pmulhw     Pq,Qq     np,a=586
66 0F E6 cvttpd2dq Vdq,Wpd  a=686
F2 0F E6 cvtpd2dq Vdq,Wpd   a=686
F3 0F E6 cvtdq2pd Vpd,Wq    a=686
66 0F E5 pmulhw     Vdq,Wdq   a=686
0F E7    movntq     Mq,Pq     np,a=686
66 0F E7 movntdq    Mdq,Vdq   a=686
0F E8  psubsb     Pq,Qq     np,a=586
66 0F E8 psubsb     Vdq,Wdq   a=686
0F E9  psubsw     Pq,Qq     np,a=586
66 0F E9 psubsw     Vdq,Wdq   a=686
0F EA    pminsw     Pq,Qq     np,a=686
66 0F EA pminsw     Vdq,Wdq   a=686
0F EB  por        Pq,Qq     np,a=586
66 0F EB por        Vdq,Wdq   a=686
0F EC  paddsb     Pq,Qq     np,a=586
66 0F EC paddsb     Vdq,Wdq   a=686
0F ED  paddsw     Pq,Qq     np,a=586
66 0F ED paddsw     Vdq,Wdq   a=686
0F EE    pmaxsw     Pq,Qq     np,a=686
66 0F EE pmaxsw     Vdq,Wdq   a=686
0F EF  pxor       Pq,Qq     np,a=586
66 0F EF pxor       Vdq,Wdq   a=686
0F F1  psllw      Pq,Qq     np,a=586
66 0F F1 psllw      Vdq,Wdq   a=686
0F F2  pslld      Pq,Qq     np,a=586
66 0F F2 pslld      Vdq,Wdq   a=686
0F F3  psllq      Pq,Qq     np,a=586
66 0F F3 psllq      Vdq,Wdq   a=686
0F F4    pmuludq    Pq,Qq     np,a=686
66 0F F4 pmuludq    Vdq,Wdq   a=686
0F F5  pmaddwd    Pq,Qq     np,a=586
66 0F F5 pmaddwd    Vdq,Wdq   a=686
0F F6    psadbw     Pq,Qq     np,a=686
66 0F F6 psadbw     Vdq,Wdq   a=686
0F F7    maskmovq   Pq,Nq     np,a=686
66 0F F7 maskmovdqu Vdq,Udq   a=686
0F F8  psubb      Pq,Qq     np,a=586
66 0F F8 psubb      Vdq,Wdq   a=686
0F F9  psubw      Pq,Qq     np,a=586
66 0F F9 psubw      Vdq,Wdq   a=686
0F FA  psubd      Pq,Qq     np,a=586
66 0F FA psubd      Vdq,Wdq   a=686
0F FB    psubq      Pq,Qq     np,a=686
66 0F FB psubq      Vdq,Wdq   a=686
0F FC  paddb      Pq,Qq     np,a=586
66 0F FC paddb      Vdq,Wdq   a=686
0F FD  paddw      Pq,Qq     np,a=586
66 0F FD paddw      Vdq,Wdq   a=686
0F FE  paddd      Pq,Qq     np,a=586
66 0F FE paddd      Vdq,Wdq   a=686
0F FF  (biostrap) Ib        -                biosTrapIb
`;

export interface OpcodeEntry {
  /** Dispatch index: the opcode byte, or 256 + second byte for 0F xx. */
  index: number;
  /** ModRM reg field for group entries, or -1. */
  reg: number;
  mnemonic16: string;
  mnemonic32: string;
  operands: string[];
  lockable: boolean;
  prefix: boolean;
  protectedOnly: boolean;
  /**
   * The prefix that selects this form of the opcode: 0 for np (none), 0x66, 0xF3 or 0xF2 for a
   * mandatory prefix; -1 for an ordinary row, whose prefixes are modifiers.
   */
  simdPrefix: number;
  arch: number;
  /** EFLAGS bits the SDM leaves undefined after this instruction. */
  undefinedFlags: number;
  handler: string;
  hasModrm: boolean;
}

const FLAG_LETTERS: Record<string, number> = { o: 0x800, s: 0x80, z: 0x40, a: 0x10, p: 0x4, c: 0x1 };
const MODRM_OPERAND = /^[EGMRSCDPQNVWU][a-z]*$/;

function parseTable(text: string): OpcodeEntry[] {
  const entries: OpcodeEntry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const cols = line.split(/\s+/);
    let opcodeText = cols.shift()!;
    let mandatory = -1;
    if (/^(66|F2|F3)$/.test(opcodeText) && cols[0] === "0F") {
      mandatory = parseInt(opcodeText, 16);
      opcodeText = cols.shift()!;
    }
    if (opcodeText === "0F" && /^[0-9A-F]{2}(\/[0-7])?$/.test(cols[0])) opcodeText += " " + cols.shift()!;
    const [mnemonic, operandText, attrText = "-", handlerName] = cols;
    const [opPart, regPart] = opcodeText.split("/");
    const bytes = opPart
      .trim()
      .split(" ")
      .map((b) => parseInt(b, 16));
    const index = bytes.length === 2 ? 256 + bytes[1] : bytes[0];
    const operands = operandText === "-" ? [] : operandText.split(",");
    const attrs = attrText === "-" ? [] : attrText.split(",");
    const [m16, m32 = m16] = mnemonic.split("|");
    let undefinedFlags = 0,
      arch = 86;
    for (const a of attrs) {
      if (a.startsWith("u=")) for (const ch of a.slice(2)) undefinedFlags |= FLAG_LETTERS[ch];
      if (a.startsWith("a=")) arch = Number(a.slice(2));
    }
    entries.push({
      index,
      reg: regPart === undefined ? -1 : Number(regPart),
      mnemonic16: m16,
      mnemonic32: m32,
      operands,
      lockable: attrs.includes("L"),
      prefix: attrs.includes("P"),
      protectedOnly: attrs.includes("pm"),
      simdPrefix: mandatory >= 0 ? mandatory : attrs.includes("np") ? 0 : -1,
      arch,
      undefinedFlags,
      handler: handlerName ?? m16 + operands.join(""),
      hasModrm: regPart !== undefined || operands.some((o) => MODRM_OPERAND.test(o)),
    });
  }
  return entries;
}

export const OPCODES: readonly OpcodeEntry[] = parseTable(OPCODE_TABLE);

/** Entries by dispatch index; groups hold one entry per defined reg value. */
export const OPCODES_BY_INDEX: readonly (readonly OpcodeEntry[])[] = (() => {
  const byIndex: OpcodeEntry[][] = Array.from({ length: 512 }, () => []);
  for (const e of OPCODES) byIndex[e.index].push(e);
  return byIndex;
})();

/** The prefix that selects an opcode's form: the last F2/F3 (rep), else 66, else 0 (none). */
export function selectedSimdPrefix(operandSizePrefix: boolean, rep: number): number {
  return rep !== 0 ? rep : operandSizePrefix ? 0x66 : 0;
}

/** Whether a row is the form that prefix (from selectedSimdPrefix) selects. */
export function formMatches(e: OpcodeEntry, prefix: number): boolean {
  return e.simdPrefix < 0 || e.simdPrefix === prefix;
}

/**
 * The entry for an opcode index, ModRM reg field and selected prefix (selectedSimdPrefix; it
 * matters only for opcodes with np or mandatory-prefix rows), or undefined when undefined.
 */
export function lookupOpcode(index: number, reg: number, prefix = 0): OpcodeEntry | undefined {
  return OPCODES_BY_INDEX[index].find((e) => (e.reg < 0 || e.reg === reg) && formMatches(e, prefix));
}
