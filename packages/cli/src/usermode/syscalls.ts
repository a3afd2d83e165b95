// The Linux i386 system calls a static glibc program makes, emulated in TypeScript (numbers
// from arch/x86/entry/syscalls/syscall_32.tbl; arguments in EBX ECX EDX ESI EDI EBP, result or
// -errno in EAX). One process, one thread, no files: stdout and stderr are captured, stdin is
// empty, everything else answers as a kernel would for a missing file or feature. Calls not
// listed return -ENOSYS and are recorded by number, so a report names them.
//
// Memory is the flat machine's physical RAM (paging is off): a user pointer is an index into
// it, checked against the RAM size (-EFAULT beyond it).

import type { Cpu } from "@x86vm/core";
import {
  descriptor,
  FlatMachine,
  GDT_TLS_ENTRIES,
  GDT_TLS_MIN,
  MMAP_BASE,
  RAM_BYTES,
  STACK_LIMIT,
} from "./flat-machine.ts";

const ENOENT = 2,
  EBADF = 9,
  ENOMEM = 12,
  EFAULT = 14,
  EBUSY = 16,
  EINVAL = 22,
  ENOTTY = 25,
  ESPIPE = 29;
const ENOSYS = 38;

/** System call names for reports (the ones emulated and a few that might appear). */
export const SYSCALL_NAMES: Record<number, string> = {
  1: "exit",
  3: "read",
  4: "write",
  5: "open",
  6: "close",
  13: "time",
  19: "lseek",
  20: "getpid",
  33: "access",
  37: "kill",
  45: "brk",
  54: "ioctl",
  78: "gettimeofday",
  85: "readlink",
  90: "mmap",
  91: "munmap",
  122: "uname",
  125: "mprotect",
  140: "_llseek",
  146: "writev",
  163: "mremap",
  174: "rt_sigaction",
  175: "rt_sigprocmask",
  186: "sigaltstack",
  191: "ugetrlimit",
  192: "mmap2",
  195: "stat64",
  196: "lstat64",
  197: "fstat64",
  199: "getuid32",
  200: "getgid32",
  201: "geteuid32",
  202: "getegid32",
  219: "madvise",
  224: "gettid",
  238: "tkill",
  240: "futex",
  243: "set_thread_area",
  244: "get_thread_area",
  252: "exit_group",
  258: "set_tid_address",
  265: "clock_gettime",
  270: "tgkill",
  295: "openat",
  311: "set_robust_list",
  340: "prlimit64",
  355: "getrandom",
  383: "statx",
  384: "arch_prctl",
  386: "rseq",
  403: "clock_gettime64",
};

const TID = 1000;
/** A fixed wall-clock time (2026-01-01T00:00:00Z): runs are reproducible. */
const FAKE_EPOCH = 1767225600;

export interface SyscallState {
  exited: boolean;
  exitCode: number;
  /** Set when the program was killed (abort): the signal number. */
  signal: number | null;
  stdout: Uint8Array[];
  stderr: Uint8Array[];
  /** Numbers of the calls answered with -ENOSYS because they are not emulated, with counts. */
  unknown: Map<number, number>;
  /** Every call made, by number, with counts (for reports). */
  counts: Map<number, number>;
}

export class LinuxSyscalls {
  readonly state: SyscallState = {
    exited: false,
    exitCode: 0,
    signal: null,
    stdout: [],
    stderr: [],
    unknown: new Map(),
    counts: new Map(),
  };
  machine!: FlatMachine;
  private brkStart = 0;
  private brkCur = 0;
  private mmapNext = MMAP_BASE;
  private random = 0x9e3779b9;
  private readonly exePath: string;

  constructor(exePath: string) {
    this.exePath = exePath;
  }

  /** Sets the initial program break (the page-aligned end of the loaded image). */
  setBrk(addr: number): void {
    this.brkStart = this.brkCur = addr;
  }

  private get ram(): Uint8Array {
    return this.machine.ram;
  }
  private get dv(): DataView {
    return this.machine.dv;
  }

  private ok(ptr: number, len: number): boolean {
    return ptr >>> 0 === ptr && len >= 0 && ptr + len <= RAM_BYTES && ptr >= 0x1000;
  }

  /** Checks a buffer the call will write, and tells the memory so (compiled code there is dropped). */
  private dest(ptr: number, len: number): boolean {
    if (!this.ok(ptr, len)) return false;
    this.machine.mem.noteWrite(ptr, len);
    return true;
  }

  private cString(ptr: number, max = 4096): string | null {
    if (!this.ok(ptr, 1)) return null;
    let end = ptr;
    while (end < RAM_BYTES && end - ptr < max && this.ram[end] !== 0) end++;
    return new TextDecoder().decode(this.ram.subarray(ptr, end));
  }

  /** Entry point from the INT 80h stub: reads the call from the registers, writes EAX. */
  handle(cpu: Cpu): void {
    const r = cpu.r32;
    const nr = r[0];
    const a = [r[3] >>> 0, r[1] >>> 0, r[2] >>> 0, r[6] >>> 0, r[7] >>> 0, r[5] >>> 0];
    const s = this.state;
    s.counts.set(nr, (s.counts.get(nr) ?? 0) + 1);
    const res = this.dispatch(nr, a, cpu);
    r[0] = res;
  }

  private dispatch(nr: number, a: number[], cpu: Cpu): number {
    switch (nr) {
      case 1:
      case 252: // exit, exit_group
        this.state.exited = true;
        this.state.exitCode = a[0] & 0xff;
        cpu.requestStop();
        return 0;
      case 3: // read: stdin is empty
        return a[0] === 0 ? 0 : -EBADF;
      case 4:
        return this.write(a[0], a[1], a[2]);
      case 146:
        return this.writev(a[0], a[1], a[2]);
      case 5:
      case 295:
        return -ENOENT; // open, openat
      case 6:
        return a[0] <= 2 ? 0 : -EBADF; // close
      case 19:
      case 140:
        return a[0] <= 2 ? -ESPIPE : -EBADF; // lseek, _llseek
      case 13: // time
        if (a[0] !== 0) {
          if (!this.dest(a[0], 4)) return -EFAULT;
          this.dv.setUint32(a[0], FAKE_EPOCH, true);
        }
        return FAKE_EPOCH;
      case 20:
      case 224:
        return TID; // getpid, gettid
      case 33:
        return -ENOENT; // access
      case 37:
      case 238:
      case 270: {
        // kill, tkill, tgkill: a program signalling itself (abort, raise)
        const sig = nr === 270 ? a[2] : a[1];
        if (sig === 0) return 0;
        this.state.exited = true;
        this.state.signal = sig;
        this.state.exitCode = 128 + sig;
        cpu.requestStop();
        return 0;
      }
      case 45:
        return this.brk(a[0]);
      case 54:
        return a[0] <= 2 ? -ENOTTY : -EBADF; // ioctl: TCGETS and friends; no terminal
      case 78: // gettimeofday
        if (a[0] !== 0) {
          if (!this.dest(a[0], 8)) return -EFAULT;
          this.dv.setUint32(a[0], FAKE_EPOCH, true);
          this.dv.setUint32(a[0] + 4, 0, true);
        }
        return 0;
      case 85:
        return this.readlink(a[0], a[1], a[2]);
      case 90: {
        // old mmap: one pointer to six arguments
        if (!this.ok(a[0], 24)) return -EFAULT;
        const dv = this.dv,
          p = a[0];
        const args = [0, 4, 8, 12, 16, 20].map((o) => dv.getUint32(p + o, true));
        if ((args[5] & 0xfff) !== 0) return -EINVAL;
        return this.mmap(args[0], args[1], args[2], args[3], args[4] | 0, args[5] >>> 12);
      }
      case 192:
        return this.mmap(a[0], a[1], a[2], a[3], a[4] | 0, a[5]);
      case 91:
        return 0; // munmap: the bump allocator does not reuse space
      case 163:
        return -ENOMEM; // mremap: glibc falls back to malloc, copy, free
      case 122:
        return this.uname(a[0]);
      case 125:
      case 219:
        return 0; // mprotect, madvise: no paging, nothing to protect
      case 174:
      case 175:
      case 186:
        return 0; // rt_sigaction, rt_sigprocmask, sigaltstack
      case 191:
      case 340:
        return this.rlimit(nr === 191 ? a[1] : a[3]);
      case 195:
      case 196:
        return -ENOENT; // stat64, lstat64
      case 197:
        return this.fstat64(a[0], a[1]);
      case 383:
        return this.statx(a[0], a[2], a[4]);
      case 199:
      case 200:
      case 201:
      case 202:
        return 0; // uid/gid: root
      case 240:
        return 0; // futex: one thread, nothing to wait for
      case 243:
        return this.setThreadArea(a[0]);
      case 258:
        return TID; // set_tid_address
      case 311:
        return 0; // set_robust_list
      case 265:
      case 403:
        return this.clockGettime(a[1], nr === 403);
      case 355:
        return this.getrandom(a[0], a[1]);
      case 384:
        return -ENOSYS; // arch_prctl: x86-64 only
      case 386:
        return -ENOSYS; // rseq: glibc carries on without it
      default:
        this.state.unknown.set(nr, (this.state.unknown.get(nr) ?? 0) + 1);
        return -ENOSYS;
    }
  }

  private write(fd: number, buf: number, len: number): number {
    if (fd !== 1 && fd !== 2) return -EBADF;
    if (!this.ok(buf, len)) return -EFAULT;
    (fd === 1 ? this.state.stdout : this.state.stderr).push(this.ram.slice(buf, buf + len));
    return len;
  }

  private writev(fd: number, iov: number, cnt: number): number {
    if (fd !== 1 && fd !== 2) return -EBADF;
    if (cnt > 1024 || !this.ok(iov, cnt * 8)) return -EFAULT;
    let total = 0;
    for (let i = 0; i < cnt; i++) {
      const base = this.dv.getUint32(iov + i * 8, true),
        len = this.dv.getUint32(iov + i * 8 + 4, true);
      if (len === 0) continue;
      const n = this.write(fd, base, len);
      if (n < 0) return total > 0 ? total : n;
      total += n;
    }
    return total;
  }

  private brk(addr: number): number {
    if (addr === 0 || addr < this.brkStart || addr > MMAP_BASE) return this.brkCur;
    // Memory handed out again after a shrink must read as zero, as fresh pages do.
    if (addr > this.brkCur) {
      this.machine.mem.noteWrite(this.brkCur, addr - this.brkCur);
      this.ram.fill(0, this.brkCur, addr);
    }
    this.brkCur = addr;
    return addr;
  }

  /** Anonymous mappings only (there are no files to map). */
  private mmap(addr: number, len: number, _prot: number, flags: number, _fd: number, _pgoff: number): number {
    const MAP_FIXED = 0x10,
      MAP_ANONYMOUS = 0x20;
    if (!(flags & MAP_ANONYMOUS)) return -EBADF;
    if (len === 0) return -EINVAL;
    const size = (len + 0xfff) & ~0xfff;
    let at: number;
    if (flags & MAP_FIXED) {
      if ((addr & 0xfff) !== 0 || !this.ok(addr, size)) return -ENOMEM;
      at = addr;
    } else {
      if (this.mmapNext + size > STACK_LIMIT) return -ENOMEM;
      at = this.mmapNext;
      this.mmapNext += size;
    }
    this.machine.mem.noteWrite(at, size);
    this.ram.fill(0, at, at + size);
    return at;
  }

  private readlink(path: number, buf: number, size: number): number {
    const p = this.cString(path);
    if (p === null) return -EFAULT;
    if (p !== "/proc/self/exe") return -ENOENT;
    const bytes = new TextEncoder().encode(this.exePath);
    const n = Math.min(bytes.length, size);
    if (!this.dest(buf, n)) return -EFAULT;
    this.ram.set(bytes.subarray(0, n), buf);
    return n;
  }

  private uname(buf: number): number {
    if (!this.dest(buf, 6 * 65)) return -EFAULT;
    const fields = ["Linux", "x86vm", "6.1.0", "#1 SMP x86vm user mode", "i686", "(none)"];
    this.ram.fill(0, buf, buf + 6 * 65);
    fields.forEach((f, i) => this.ram.set(new TextEncoder().encode(f), buf + i * 65));
    return 0;
  }

  private rlimit(ptr: number): number {
    if (ptr === 0) return 0;
    if (!this.dest(ptr, 8)) return -EFAULT;
    // Every limit reported as 8 MiB soft (what glibc asks for: RLIMIT_STACK), unlimited hard.
    this.dv.setUint32(ptr, 8 << 20, true);
    this.dv.setUint32(ptr + 4, 0xffffffff, true);
    return 0;
  }

  /** struct stat64 (i386, 96 bytes) for the standard streams: a pipe. */
  private fstat64(fd: number, buf: number): number {
    if (fd > 2) return -EBADF;
    if (!this.dest(buf, 96)) return -EFAULT;
    const dv = this.dv;
    this.ram.fill(0, buf, buf + 96);
    dv.setUint32(buf + 16, 0o010600, true); // st_mode: S_IFIFO | 0600
    dv.setUint32(buf + 20, 1, true); // st_nlink
    dv.setUint32(buf + 52, 4096, true); // st_blksize
    dv.setUint32(buf + 88, 3 + fd, true); // st_ino
    return 0;
  }

  /** statx(fd, "", AT_EMPTY_PATH, mask, buf) for the standard streams. */
  private statx(fd: number, flags: number, buf: number): number {
    const AT_EMPTY_PATH = 0x1000;
    if (!(flags & AT_EMPTY_PATH)) return -ENOENT;
    if ((fd | 0) < 0 || fd > 2) return -EBADF;
    if (!this.dest(buf, 256)) return -EFAULT;
    const dv = this.dv;
    this.ram.fill(0, buf, buf + 256);
    dv.setUint32(buf, 0x7ff, true); // stx_mask: STATX_BASIC_STATS
    dv.setUint32(buf + 4, 4096, true); // stx_blksize
    dv.setUint32(buf + 16, 1, true); // stx_nlink
    dv.setUint16(buf + 28, 0o010600, true); // stx_mode: S_IFIFO | 0600
    dv.setUint32(buf + 32, 3 + fd, true); // stx_ino
    return 0;
  }

  /**
   * set_thread_area(struct user_desc *): installs a TLS descriptor in GDT entries 12..14 the way
   * arch/x86/kernel/tls.c (fill_ldt) builds it, and writes the chosen entry number back.
   */
  private setThreadArea(ptr: number): number {
    if (!this.dest(ptr, 16)) return -EFAULT;
    const dv = this.dv;
    let entry = dv.getInt32(ptr, true);
    const base = dv.getUint32(ptr + 4, true),
      limit = dv.getUint32(ptr + 8, true),
      bits = dv.getUint32(ptr + 12, true);
    if (entry === -1) {
      entry = -1;
      for (let i = GDT_TLS_MIN; i < GDT_TLS_MIN + GDT_TLS_ENTRIES; i++) {
        if (this.machine.gdtEntry(i)[1] === 0 && this.machine.gdtEntry(i)[0] === 0) {
          entry = i;
          break;
        }
      }
      if (entry === -1) return -EBUSY;
      dv.setInt32(ptr, entry, true);
    }
    if (entry < GDT_TLS_MIN || entry >= GDT_TLS_MIN + GDT_TLS_ENTRIES) return -EINVAL;
    const seg32 = bits & 1,
      contents = (bits >> 1) & 3,
      readExecOnly = (bits >> 3) & 1;
    const limitInPages = (bits >> 4) & 1,
      notPresent = (bits >> 5) & 1,
      useable = (bits >> 6) & 1;
    // "Empty" descriptor (clear_user_desc): base, limit and flags all zero with read_exec_only and seg_not_present.
    if (
      base === 0 &&
      limit === 0 &&
      contents === 0 &&
      readExecOnly === 1 &&
      seg32 === 0 &&
      limitInPages === 0 &&
      notPresent === 1 &&
      useable === 0
    ) {
      this.machine.setGdtEntry(entry, [0, 0]);
      return 0;
    }
    const type = ((readExecOnly ^ 1) << 1) | (contents << 2) | 1;
    const access = ((notPresent ^ 1) << 7) | (3 << 5) | 0x10 | type;
    const flags = (limitInPages << 3) | (seg32 << 2) | useable;
    this.machine.setGdtEntry(entry, descriptor(base, limit, access, flags));
    return 0;
  }

  private clockGettime(ptr: number, time64: boolean): number {
    if (!this.dest(ptr, time64 ? 16 : 8)) return -EFAULT;
    const dv = this.dv;
    if (time64) {
      dv.setUint32(ptr, FAKE_EPOCH, true);
      dv.setUint32(ptr + 4, 0, true);
      dv.setUint32(ptr + 8, 0, true);
      dv.setUint32(ptr + 12, 0, true);
    } else {
      dv.setUint32(ptr, FAKE_EPOCH, true);
      dv.setUint32(ptr + 4, 0, true);
    }
    return 0;
  }

  /** getrandom: deterministic bytes (xorshift32), so runs are reproducible. */
  private getrandom(buf: number, len: number): number {
    if (!this.dest(buf, len)) return -EFAULT;
    for (let i = 0; i < len; i++) {
      let x = this.random;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.random = x >>> 0;
      this.ram[buf + i] = x & 0xff;
    }
    return len;
  }
}
