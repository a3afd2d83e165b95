// BIOS Data Area (segment 40h, physical 0x400) and related fixed locations, as an IBM PC/AT
// compatible BIOS lays them out (IBM PC/AT Technical Reference; Ralf Brown's memory map).

export const BDA = 0x400;

export const BDA_COM_PORTS = 0x400; // 4 words
export const BDA_LPT_PORTS = 0x408; // 3 words
export const BDA_EBDA_SEGMENT = 0x40e; // word
export const BDA_EQUIPMENT = 0x410; // word
export const BDA_MEMORY_KIB = 0x413; // word: conventional memory below the EBDA
export const BDA_KBD_FLAGS1 = 0x417; // shift/ctrl/alt/lock states
export const BDA_KBD_FLAGS2 = 0x418; // keys held (left ctrl/alt, sysreq, pause, locks pressed)
export const BDA_KBD_ALT_NUMPAD = 0x419; // Alt+numpad accumulator
export const BDA_KBD_HEAD = 0x41a; // word: offset from 400h of the next key to read
export const BDA_KBD_TAIL = 0x41c; // word: offset of the next free slot
export const BDA_KBD_BUFFER = 0x41e; // 16 words
export const BDA_FLOPPY_RECAL = 0x43e; // bit 7: interrupt occurred
export const BDA_FLOPPY_MOTOR = 0x43f;
export const BDA_FLOPPY_MOTOR_TIMEOUT = 0x440;
export const BDA_FLOPPY_STATUS = 0x441; // last INT 13h status for floppies
export const BDA_VIDEO_MODE = 0x449;
export const BDA_VIDEO_COLUMNS = 0x44a; // word
export const BDA_VIDEO_PAGE_SIZE = 0x44c; // word
export const BDA_VIDEO_PAGE_OFFSET = 0x44e; // word
export const BDA_CURSOR_POS = 0x450; // 8 words: (row << 8) | column
export const BDA_CURSOR_SHAPE = 0x460; // word: end scan line, start scan line
export const BDA_VIDEO_PAGE = 0x462;
export const BDA_CRTC_PORT = 0x463; // word
export const BDA_VIDEO_MODE_CTL = 0x465;
export const BDA_VIDEO_PALETTE = 0x466;
export const BDA_TICKS = 0x46c; // dword: timer ticks since midnight
export const BDA_MIDNIGHT = 0x470;
export const BDA_BREAK_FLAG = 0x471;
export const BDA_RESET_FLAG = 0x472; // word: 1234h = warm boot
export const BDA_HD_STATUS = 0x474;
export const BDA_HD_COUNT = 0x475;
export const BDA_COM_TIMEOUT = 0x47c; // 4 bytes: INT 14h timeout per serial port (seconds here)
export const BDA_KBD_START = 0x480; // word: buffer start offset
export const BDA_KBD_END = 0x482; // word: buffer end offset
export const BDA_VIDEO_ROWS = 0x484; // rows - 1
export const BDA_CHAR_HEIGHT = 0x485; // word
export const BDA_VIDEO_EGA_MISC = 0x487;
export const BDA_VIDEO_EGA_SWITCHES = 0x488;
export const BDA_VIDEO_VGA_FLAGS = 0x489;
export const BDA_VIDEO_DCC_INDEX = 0x48a;
export const BDA_FLOPPY_MEDIA = 0x490; // 2 bytes: media state per drive
export const BDA_KBD_FLAGS3 = 0x496; // E0/E1 prefix seen, 101-key keyboard
export const BDA_KBD_LEDS = 0x497;
export const BDA_VIDEO_SAVE_PTR = 0x4a8; // far pointer

/** Ticks per day of the 18.2 Hz timer (0x1800B0). */
export const TICKS_PER_DAY = 0x1800b0;

/** Extended BIOS Data Area: the top 1 KiB of conventional memory. */
export const EBDA_SEGMENT = 0x9fc0;
export const EBDA_SIZE_KIB = 1;

// The BIOS's own working state lives in the EBDA, as a real BIOS keeps it in its data areas:
// it is then part of guest RAM, so a snapshot carries it and a restored machine continues
// exactly. Offsets from the EBDA segment (which 40:0E names).
export const EBDA_KBD_IDLE_POLLS = 0x100; // word: empty INT 16h polls in the current streak
export const EBDA_KBD_IDLE_FLAGS = 0x102; // byte: bit 0 streak has halted, bit 1 next poll is the retry
export const EBDA_KBD_LAST_POLL = 0x104; // dword: instruction count (low 32 bits) at the last empty poll
export const EBDA_WAIT_UNTIL = 0x108; // 2 dwords: machine ns at which the INT 15h/86h wait ends
export const EBDA_WAIT_FLAGS = 0x110; // byte: bit 0 waiting, bit 1 the wait turned the RTC periodic interrupt on
export const EBDA_CD_FLAGS = 0x120; // byte: bit 0 booted from CD, bit 1 floppy emulation active
export const EBDA_CD_MEDIA = 0x121; // byte: boot media type of the catalog entry
export const EBDA_CD_DRIVE = 0x122; // byte: drive number of the boot (E0h, or 00h when emulating)
export const EBDA_CD_LOAD_RBA = 0x124; // dword: CD sector of the boot image
export const EBDA_CD_LOAD_SEGMENT = 0x128; // word
export const EBDA_CD_SECTOR_COUNT = 0x12a; // word: 512-byte sectors loaded
export const EBDA_SERIAL_UNTIL = 0x130; // 2 dwords: machine ns at which an INT 14h send or receive times out
export const EBDA_SERIAL_FLAGS = 0x138; // byte: bit 0 waiting, bit 1 the wait turned the RTC periodic interrupt on
export const EBDA_APM_FLAGS = 0x140; // byte: bit 0 APM real-mode interface connected, bit 1 power management disabled
