// Name -> value tables for linux.seccomp: libseccomp's action values, comparison operators and arch
// tokens, and the kernel's seccomp(2) filter flag bits. The addon receives only these numbers.

/** SCMP_ACT_* base values (libseccomp's seccomp.h); ERRNO and TRACE carry 16 bits of data. */
export const ACTIONS = {
  // runc maps KILL to KILL_THREAD, as libseccomp does (SCMP_ACT_KILL == SCMP_ACT_KILL_THREAD).
  SCMP_ACT_KILL: 0x00000000,
  SCMP_ACT_KILL_THREAD: 0x00000000,
  SCMP_ACT_KILL_PROCESS: 0x80000000,
  SCMP_ACT_TRAP: 0x00030000,
  SCMP_ACT_ERRNO: 0x00050000,
  SCMP_ACT_TRACE: 0x7ff00000,
  SCMP_ACT_LOG: 0x7ffc0000,
  SCMP_ACT_ALLOW: 0x7fff0000,
  // The syscall waits for the container's seccomp agent (linux.seccomp.listenerPath) to answer.
  SCMP_ACT_NOTIFY: 0x7fc00000,
} as const;
export type ActionName = keyof typeof ACTIONS;

/** Known to the spec, not implemented by tsrun yet. */
export const UNSUPPORTED_ACTIONS = new Set<string>();

/** seccomp(2): return a notification listener fd (set by tsrun when an action is SCMP_ACT_NOTIFY). */
export const FLAG_NEW_LISTENER = 1 << 3;

/** Actions whose low 16 bits are an errno (errnoRet). */
export const ERRNO_ACTIONS = new Set<string>(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE']);

/**
 * Default actions after which new syscalls still run (runc patchbpf isAllowAction): no ENOSYS stub
 * for them. TRACE counts as allowing: a good tracer handles unknown syscalls itself.
 */
export const ALLOWING_ACTIONS = new Set<string>(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE']);

/** errno when errnoRet/defaultErrnoRet is not given (runc: EPERM for both ERRNO and TRACE). */
export const EPERM = 1;
export const ENOSYS = 38;

/** enum scmp_compare. */
export const OPERATORS = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
} as const;

// <linux/audit.h>
const ARCH_64BIT = 0x80000000;
const ARCH_LE = 0x40000000;
const MIPS64_N32 = 0x20000000;
const EM = { I386: 3, X86_64: 62, ARM: 40, AARCH64: 183, MIPS: 8, PPC: 20, PPC64: 21, S390: 22, PARISC: 15, RISCV: 243, LOONGARCH: 258, M68K: 4, SH: 42 };
const u32 = (n: number) => n >>> 0;

export interface ArchInfo {
  /** libseccomp's arch token (SCMP_ARCH_*). */
  token: number;
  /** The kernel's AUDIT_ARCH_* (seccomp_data.arch): differs from the token for x32 only. */
  audit: number;
}

const arch = (token: number, audit = token): ArchInfo => ({ token: u32(token), audit: u32(audit) });

/** SCMP_ARCH_* as libseccomp defines them. Whether this libseccomp knows one is found out when it is added. */
export const ARCHES: Record<string, ArchInfo> = {
  SCMP_ARCH_X86: arch(EM.I386 | ARCH_LE),
  SCMP_ARCH_X86_64: arch(EM.X86_64 | ARCH_64BIT | ARCH_LE),
  // x32 is x86_64 to the kernel (with bit 30 set in the syscall number); libseccomp drops the 64BIT
  // bit from its token to tell them apart.
  SCMP_ARCH_X32: arch(EM.X86_64 | ARCH_LE, EM.X86_64 | ARCH_64BIT | ARCH_LE),
  SCMP_ARCH_ARM: arch(EM.ARM | ARCH_LE),
  SCMP_ARCH_AARCH64: arch(EM.AARCH64 | ARCH_64BIT | ARCH_LE),
  SCMP_ARCH_MIPS: arch(EM.MIPS),
  SCMP_ARCH_MIPS64: arch(EM.MIPS | ARCH_64BIT),
  SCMP_ARCH_MIPS64N32: arch(EM.MIPS | ARCH_64BIT | MIPS64_N32),
  SCMP_ARCH_MIPSEL: arch(EM.MIPS | ARCH_LE),
  SCMP_ARCH_MIPSEL64: arch(EM.MIPS | ARCH_64BIT | ARCH_LE),
  SCMP_ARCH_MIPSEL64N32: arch(EM.MIPS | ARCH_64BIT | ARCH_LE | MIPS64_N32),
  SCMP_ARCH_PPC: arch(EM.PPC),
  SCMP_ARCH_PPC64: arch(EM.PPC64 | ARCH_64BIT),
  SCMP_ARCH_PPC64LE: arch(EM.PPC64 | ARCH_64BIT | ARCH_LE),
  SCMP_ARCH_S390: arch(EM.S390),
  SCMP_ARCH_S390X: arch(EM.S390 | ARCH_64BIT),
  SCMP_ARCH_PARISC: arch(EM.PARISC),
  SCMP_ARCH_PARISC64: arch(EM.PARISC | ARCH_64BIT),
  SCMP_ARCH_RISCV64: arch(EM.RISCV | ARCH_64BIT | ARCH_LE),
  SCMP_ARCH_LOONGARCH64: arch(EM.LOONGARCH | ARCH_64BIT | ARCH_LE),
  SCMP_ARCH_M68K: arch(EM.M68K),
  SCMP_ARCH_SH: arch(EM.SH | ARCH_LE),
  SCMP_ARCH_SHEB: arch(EM.SH),
};

/** The arch name of a token (for messages). */
export const archName = (token: number): string => Object.entries(ARCHES).find(([, a]) => a.token === token)?.[0] ?? `0x${token.toString(16)}`;

/**
 * seccomp(2) SECCOMP_FILTER_FLAG_* bits. TSYNC is known but contributes nothing, as in runc:
 * tsrun-init is single-threaded when it loads the filter.
 */
export const FLAGS = {
  SECCOMP_FILTER_FLAG_TSYNC: 0,
  SECCOMP_FILTER_FLAG_LOG: 1 << 1,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 1 << 2,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 1 << 5,
} as const;

/** Flags when linux.seccomp.flags is absent (runc: SPEC_ALLOW; an explicit [] means none). */
export const DEFAULT_FLAGS = ['SECCOMP_FILTER_FLAG_SPEC_ALLOW'] as const;

/** Syscalls take at most 6 arguments. */
export const MAX_ARGS = 6;

/** runc enables libseccomp's binary-tree optimization above this many rules. */
export const OPTIMIZE_ABOVE = 32;
