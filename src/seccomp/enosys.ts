// The ENOSYS stub (runc's libcontainer/seccomp/patchbpf): a few classic-BPF instructions put in front
// of libseccomp's program so that a syscall numbered above the highest one the profile names (for
// the calling arch) fails with ENOSYS instead of getting the default action. A libc then falls back
// from a syscall newer than the profile (clone3, faccessat2, ...) as it would on an older kernel,
// instead of taking the EPERM as a real refusal. PURE: numbers in, bytes out.
import { endianness } from 'node:os';
import { ACTIONS, ARCHES, ENOSYS } from './tables.js';

/** Highest syscall number the profile names, per arch token in the filter (-1 or 0: none). */
export interface LastSyscall { arch: number; nr: number }

// Classic BPF opcodes (<linux/filter.h>).
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGT_K = 0x25;
const JSET_K = 0x45;
const JA = 0x05;
const RET_K = 0x06;
/** seccomp_data offsets. */
const NR = 0;
const ARCH = 4;
const X32_BIT = 0x40000000;
const MAX_INSNS = 4096;

const RET_ENOSYS = (ACTIONS.SCMP_ACT_ERRNO | ENOSYS) >>> 0;

type Label = string;
/** An instruction whose jump targets are labels; 'next' is the following instruction. */
interface Insn { code: number; k: number; jt?: Label; jf?: Label; label?: Label }

/**
 * The stub as instructions with labels, ending where the original filter starts (label 'filter').
 * Empty when no arch has a known highest syscall.
 */
function stubInsns(last: LastSyscall[]): Insn[] {
  // Group the filter's arches by what the kernel reports in seccomp_data.arch: x86_64 and x32 share one.
  const byAudit = new Map<number, Map<number, number>>();
  for (const { arch, nr } of last) {
    if (nr <= 0) continue;
    const info = Object.values(ARCHES).find((a) => a.token === arch);
    const audit = info?.audit ?? arch;
    if (!byAudit.has(audit)) byAudit.set(audit, new Map());
    byAudit.get(audit)!.set(arch, nr);
  }
  if (!byAudit.size) return [];
  const out: Insn[] = [{ code: LD_W_ABS, k: ARCH }];
  const sections: Insn[] = [];
  let n = 0;
  for (const [audit, maxes] of byAudit) {
    const sec = `arch${n++}`;
    out.push({ code: JEQ_K, k: audit, jt: sec, jf: 'next' });
    sections.push({ code: LD_W_ABS, k: NR, label: sec });
    const x86_64 = maxes.get(ARCHES.SCMP_ARCH_X86_64.token);
    const x32 = maxes.get(ARCHES.SCMP_ARCH_X32.token);
    if (audit === ARCHES.SCMP_ARCH_X86_64.audit && (x86_64 !== undefined || x32 !== undefined)) {
      // Bit 30 of the number tells x32 from x86_64 calls; a mode absent from the filter goes on to
      // the filter, which gives it libseccomp's bad-arch action.
      const x32sec = `${sec}x32`;
      sections.push({ code: JSET_K, k: X32_BIT, jt: x32 !== undefined ? x32sec : 'filter', jf: 'next' });
      if (x86_64 !== undefined) sections.push({ code: JGT_K, k: x86_64, jt: 'enosys', jf: 'filter' });
      else sections.push({ code: JA, k: 0, jt: 'filter' });
      if (x32 !== undefined) sections.push({ code: JGT_K, k: x32, jt: 'enosys', jf: 'filter', label: x32sec });
      continue;
    }
    // s390(x) multiplexes syscalls it does not know onto number 0 (setup): ENOSYS for it too.
    if (audit === ARCHES.SCMP_ARCH_S390.audit || audit === ARCHES.SCMP_ARCH_S390X.audit) sections.push({ code: JEQ_K, k: 0, jt: 'enosys', jf: 'next' });
    sections.push({ code: JGT_K, k: Math.max(...maxes.values()), jt: 'enosys', jf: 'filter' });
  }
  out.push({ code: JA, k: 0, jt: 'filter' });
  out.push(...sections);
  out.push({ code: RET_K, k: RET_ENOSYS, label: 'enosys' });
  return out;
}

/** Encodes labelled instructions followed by the original program (label 'filter' = its start). */
function assemble(insns: Insn[]): Uint8Array {
  const at = new Map<Label, number>();
  insns.forEach((x, i) => x.label && at.set(x.label, i));
  at.set('filter', insns.length);
  const buf = new Uint8Array(insns.length * 8);
  const dv = new DataView(buf.buffer);
  const le = endianness() === 'LE';
  insns.forEach((x, i) => {
    const off = (l: Label | undefined) => {
      if (l === undefined || l === 'next') return 0;
      const d = at.get(l)! - (i + 1);
      if (!(d >= 0)) throw new Error(`seccomp stub: bad jump to ${l}`);
      return d;
    };
    let { k } = x;
    let jt = 0;
    let jf = 0;
    if (x.code === JA) k = off(x.jt);
    else if (x.code !== LD_W_ABS && x.code !== RET_K) {
      jt = off(x.jt);
      jf = off(x.jf);
      if (jt > 255 || jf > 255) throw new Error('seccomp stub: conditional jump too long');
    }
    dv.setUint16(i * 8, x.code, le);
    dv.setUint8(i * 8 + 2, jt);
    dv.setUint8(i * 8 + 3, jf);
    dv.setUint32(i * 8 + 4, k >>> 0, le);
  });
  return buf;
}

/** The stub alone (tests disassemble it). */
export function enosysStub(last: LastSyscall[]): Uint8Array {
  return assemble(stubInsns(last));
}

/** libseccomp's program with the ENOSYS stub in front. */
export function withEnosysStub(bpf: Uint8Array, last: LastSyscall[]): Uint8Array {
  const stub = enosysStub(last);
  const out = new Uint8Array(stub.length + bpf.length);
  out.set(stub);
  out.set(bpf, stub.length);
  return out;
}

export { MAX_INSNS };
