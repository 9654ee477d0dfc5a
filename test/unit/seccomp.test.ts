// seccomp: the policy tables and validation (pure), and the compiled filter run through a small
// classic-BPF interpreter, so what is checked is what the kernel would decide for a syscall.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LinuxSeccomp, Spec } from '../../src/config/gen/config.js';
import { parseLossless } from '../../src/config/json.js';
import { compileForSpec } from '../../src/seccomp/compile.js';
import { enosysStub } from '../../src/seccomp/enosys.js';
import { actionValue, resolveSeccomp } from '../../src/seccomp/policy.js';
import { ACTIONS, ARCHES, FLAGS } from '../../src/seccomp/tables.js';
import { addonPath } from '../../src/sys/paths.js';
import { FIXTURE_CONFIGS } from '../helpers/env.js';

const ALLOW = 0x7fff0000;
const ERRNO = (e: number) => (0x00050000 | e) >>> 0;
const EPERM = ERRNO(1);
const ENOSYS = ERRNO(38);
const X86_64 = ARCHES.SCMP_ARCH_X86_64.audit;
const I386 = ARCHES.SCMP_ARCH_X86.audit;
const NR = { mkdir: 83, chmod: 90, personality: 135, kexec_load: 246, mkdirat: 258, clone3: 435, mkdir_i386: 39 };

const spec = (sc: LinuxSeccomp): Spec => ({ ociVersion: '1.2.0', root: { path: 'rootfs' }, linux: { seccomp: sc } }) as Spec;
const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('no error');
};

/** Runs a classic BPF seccomp program on seccomp_data {nr, arch, args}; returns the SECCOMP_RET_* value. */
function runBpf(bpf: Uint8Array, nr: number, arch: number, args: bigint[] = []): number {
  const dv = new DataView(bpf.buffer, bpf.byteOffset, bpf.byteLength);
  const data = new DataView(new ArrayBuffer(64));
  data.setUint32(0, nr, true);
  data.setUint32(4, arch, true);
  args.forEach((a, i) => data.setBigUint64(16 + 8 * i, a, true));
  const mem = new Uint32Array(16);
  let A = 0;
  let X = 0;
  for (let pc = 0; pc < bpf.length / 8; pc++) {
    const code = dv.getUint16(pc * 8, true);
    const jt = dv.getUint8(pc * 8 + 2);
    const jf = dv.getUint8(pc * 8 + 3);
    const k = dv.getUint32(pc * 8 + 4, true);
    const src = code & 0x08 ? X : k;
    switch (code & 0x07) {
      case 0x00: // LD
        if ((code & 0xe0) === 0x20) A = data.getUint32(k, true);
        else if ((code & 0xe0) === 0x60) A = mem[k];
        else if ((code & 0xe0) === 0x00) A = k;
        else throw new Error(`ld ${code.toString(16)}`);
        break;
      case 0x01: X = (code & 0xe0) === 0x60 ? mem[k] : k; break;
      case 0x02: mem[k] = A; break;
      case 0x03: mem[k] = X; break;
      case 0x04: // ALU
        switch (code & 0xf0) {
          case 0x50: A = (A & src) >>> 0; break;
          case 0x40: A = (A | src) >>> 0; break;
          default: throw new Error(`alu ${code.toString(16)}`);
        }
        break;
      case 0x05: { // JMP
        const op = code & 0xf0;
        if (op === 0x00) { pc += k; break; }
        const cond = op === 0x10 ? A === src : op === 0x20 ? A > src : op === 0x30 ? A >= src : op === 0x40 ? (A & src) !== 0 : (() => { throw new Error(`jmp ${code.toString(16)}`); })();
        pc += cond ? jt : jf;
        break;
      }
      case 0x06: return (code & 0x18) === 0x10 ? A : k;
      case 0x07: if (code === 0x07) X = A; else A = X; break;
    }
  }
  throw new Error('ran off the end of the program');
}

describe('seccomp tables', () => {
  it('maps actions to libseccomp values, errno defaulting to EPERM for ERRNO and TRACE (as runc)', () => {
    expect(actionValue('SCMP_ACT_KILL', undefined, 'a', 'e')).toBe(0);
    expect(actionValue('SCMP_ACT_KILL_THREAD', undefined, 'a', 'e')).toBe(0);
    expect(actionValue('SCMP_ACT_KILL_PROCESS', undefined, 'a', 'e')).toBe(0x80000000);
    expect(actionValue('SCMP_ACT_TRAP', undefined, 'a', 'e')).toBe(0x00030000);
    expect(actionValue('SCMP_ACT_ERRNO', undefined, 'a', 'e')).toBe(0x00050001);
    expect(actionValue('SCMP_ACT_ERRNO', 38, 'a', 'e')).toBe(0x00050026);
    expect(actionValue('SCMP_ACT_TRACE', undefined, 'a', 'e')).toBe(0x7ff00001);
    expect(actionValue('SCMP_ACT_TRACE', 0, 'a', 'e')).toBe(0x7ff00000);
    expect(actionValue('SCMP_ACT_LOG', undefined, 'a', 'e')).toBe(0x7ffc0000);
    expect(actionValue('SCMP_ACT_ALLOW', undefined, 'a', 'e')).toBe(ALLOW);
    expect(actionValue('SCMP_ACT_NOTIFY', undefined, 'a', 'e')).toBe(0x7fc00000);
  });

  it('has the kernel flag bits and libseccomp arch tokens', () => {
    expect(FLAGS).toEqual({ SECCOMP_FILTER_FLAG_TSYNC: 0, SECCOMP_FILTER_FLAG_LOG: 2, SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32 });
    expect(ARCHES.SCMP_ARCH_X86_64).toEqual({ token: 0xc000003e, audit: 0xc000003e });
    expect(ARCHES.SCMP_ARCH_X86).toEqual({ token: 0x40000003, audit: 0x40000003 });
    expect(ARCHES.SCMP_ARCH_X32).toEqual({ token: 0x4000003e, audit: 0xc000003e });
    expect(ARCHES.SCMP_ARCH_AARCH64.token).toBe(0xc00000b7);
  });
});

describe('seccomp validation', () => {
  const base: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
  const withRule = (r: object): LinuxSeccomp => ({ ...base, syscalls: [base.syscalls![0], r as never] });

  it('names the config path of an unknown action, arch, operator or flag', () => {
    expect(errorOf(() => resolveSeccomp(withRule({ names: ['x'], action: 'SCMP_ACT_NOPE' })))).toMatch(/unknown seccomp action "SCMP_ACT_NOPE" \(linux\.seccomp\.syscalls\[1\]\.action\)/);
    expect(errorOf(() => resolveSeccomp({ ...base, defaultAction: 'BAD' as never }))).toMatch(/\(linux\.seccomp\.defaultAction\)/);
    expect(errorOf(() => resolveSeccomp({ ...base, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_VAX' as never] }))).toMatch(/unknown seccomp architecture "SCMP_ARCH_VAX" \(linux\.seccomp\.architectures\[1\]\)/);
    expect(errorOf(() => resolveSeccomp(withRule({ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 1, op: 'SCMP_CMP_ABOUT' }] })))).toMatch(/unknown seccomp operator "SCMP_CMP_ABOUT" \(linux\.seccomp\.syscalls\[1\]\.args\[1\]\.op\)/);
    expect(errorOf(() => resolveSeccomp({ ...base, flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_FAST' as never] }))).toMatch(/unknown seccomp flag "SECCOMP_FILTER_FLAG_FAST" \(linux\.seccomp\.flags\[1\]\)/);
  });

  it('SCMP_ACT_NOTIFY rules ask the kernel for a listener; NOTIFY cannot be the default; WAIT_KILLABLE_RECV needs a NOTIFY rule', () => {
    expect(resolveSeccomp({ ...withRule({ names: ['x'], action: 'SCMP_ACT_NOTIFY' }), flags: [] }).flags).toBe(1 << 3);
    expect(errorOf(() => resolveSeccomp({ ...base, defaultAction: 'SCMP_ACT_NOTIFY' }))).toMatch(/cannot be the default action \(linux\.seccomp\.defaultAction\)/);
    expect(errorOf(() => resolveSeccomp({ ...base, flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }))).toMatch(/only applies with an SCMP_ACT_NOTIFY rule \(linux\.seccomp\.flags\[0\]\)/);
  });

  it('rejects bad argument indexes, values and errnos', () => {
    expect(errorOf(() => resolveSeccomp(withRule({ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] })))).toMatch(/\(linux\.seccomp\.syscalls\[1\]\.args\[0\]\.index\)/);
    expect(errorOf(() => resolveSeccomp(withRule({ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] })))).toMatch(/\(linux\.seccomp\.syscalls\[1\]\.args\[0\]\.value\)/);
    expect(errorOf(() => resolveSeccomp(withRule({ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1n << 64n, op: 'SCMP_CMP_EQ' }] })))).toMatch(/\.args\[0\]\.value\)/);
    expect(errorOf(() => resolveSeccomp(withRule({ names: ['x'], action: 'SCMP_ACT_ERRNO', errnoRet: 70000 })))).toMatch(/\(linux\.seccomp\.syscalls\[1\]\.errnoRet\)/);
    expect(errorOf(() => resolveSeccomp(withRule({ names: ['x'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 })))).toMatch(/only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE .*\(linux\.seccomp\.syscalls\[1\]\.errnoRet\)/);
    expect(errorOf(() => resolveSeccomp(withRule({ names: [''], action: 'SCMP_ACT_ERRNO' })))).toMatch(/\(linux\.seccomp\.syscalls\[1\]\.names\[0\]\)/);
  });

  it('keeps 64-bit values exact from the lossless parser to the addon input', () => {
    const sc = (parseLossless('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["personality"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":18446744073709551615,"valueTwo":9007199254740993,"op":"SCMP_CMP_MASKED_EQ"},{"index":1,"value":4294967295,"op":"SCMP_CMP_EQ"}]}]}') as LinuxSeccomp);
    const [rule] = resolveSeccomp(sc).input.rules;
    expect(rule.args).toEqual([
      { index: 0, op: 7, a: 18446744073709551615n, b: 9007199254740993n },
      { index: 1, op: 4, a: 4294967295n, b: 0n },
    ]);
  });

  it('defaults flags to SPEC_ALLOW like runc; an explicit list is taken as is', () => {
    expect(resolveSeccomp(base).flags).toBe(4);
    expect(resolveSeccomp({ ...base, flags: [] }).flags).toBe(0);
    expect(resolveSeccomp({ ...base, flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_TSYNC'] }).flags).toBe(2);
    expect(resolveSeccomp({ ...base, flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] }).flags).toBe(6);
  });

  it('shapes rules like runc: one per name, split per condition when an argument repeats, default-action rules dropped', () => {
    const r = resolveSeccomp({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 2, op: 'SCMP_CMP_NE' }] },
        { names: ['chmod'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 1, op: 'SCMP_CMP_GE' }, { index: 1, value: 9, op: 'SCMP_CMP_LE' }] },
        { names: ['kexec_load'], action: 'SCMP_ACT_ERRNO' },
      ],
    });
    expect(r.input.rules.map((x) => [x.name, x.args.length])).toEqual([['read', 2], ['write', 2], ['chmod', 1], ['chmod', 1]]);
    expect(r.rulePaths).toEqual(['linux.seccomp.syscalls[0].names[0]', 'linux.seccomp.syscalls[0].names[1]', 'linux.seccomp.syscalls[1].names[0]', 'linux.seccomp.syscalls[1].names[0]']);
    expect(r.input.probe).toEqual(['read', 'write', 'chmod', 'kexec_load']);
    expect(r.enosysStub).toBe(true);
    expect(resolveSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' }).enosysStub).toBe(false);
    expect(resolveSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38 }).enosysStub).toBe(false);
  });

  it('builds an ENOSYS stub per arch, x86_64 and x32 split on bit 30', () => {
    const stub = enosysStub([{ arch: ARCHES.SCMP_ARCH_X86_64.token, nr: 300 }, { arch: ARCHES.SCMP_ARCH_X32.token, nr: 0x40000000 + 200 }, { arch: ARCHES.SCMP_ARCH_X86.token, nr: 100 }]);
    const withTail = new Uint8Array(stub.length + 8);
    withTail.set(stub);
    // The "filter" after the stub: ret 0x12345678.
    new DataView(withTail.buffer).setUint16(stub.length, 0x06, true);
    new DataView(withTail.buffer).setUint32(stub.length + 4, 0x12345678, true);
    const run = (nr: number, arch: number) => runBpf(withTail, nr, arch);
    expect(run(300, X86_64)).toBe(0x12345678);
    expect(run(301, X86_64)).toBe(ENOSYS);
    expect(run(0x40000000 + 201, X86_64)).toBe(ENOSYS);
    expect(run(0x40000000 + 200, X86_64)).toBe(0x12345678);
    expect(run(101, I386)).toBe(ENOSYS);
    expect(run(5000, 0xdead)).toBe(0x12345678);
    expect(enosysStub([{ arch: ARCHES.SCMP_ARCH_X86_64.token, nr: -1 }]).length).toBe(0);
  });
});

const haveAddon = existsSync(addonPath());

describe.skipIf(!haveAddon)('seccomp compile (libseccomp)', () => {
  it('is undefined without linux.seccomp', () => {
    expect(compileForSpec({ ociVersion: '1.2.0', root: { path: 'r' } } as Spec)).toBeUndefined();
  });

  it('compiles Docker\'s default profile: new syscalls get ENOSYS, unlisted ones EPERM, clone3 its errnoRet', () => {
    const docker = parseLossless(readFileSync(join(FIXTURE_CONFIGS, 'docker.json'), 'utf8')) as Spec;
    const c = compileForSpec(docker)!;
    expect(c.bpf.length % 8).toBe(0);
    expect(c.bpf.length / 8).toBeGreaterThan(50);
    expect(c.flags).toBe(FLAGS.SECCOMP_FILTER_FLAG_SPEC_ALLOW);
    expect(Array.isArray(c.skipped)).toBe(true);
    expect(runBpf(c.bpf, NR.mkdir, X86_64)).toBe(ALLOW);
    expect(runBpf(c.bpf, NR.clone3, X86_64)).toBe(ERRNO(38));
    expect(runBpf(c.bpf, NR.kexec_load, X86_64)).toBe(EPERM);
    expect(runBpf(c.bpf, 1000, X86_64)).toBe(ENOSYS);
    expect(runBpf(c.bpf, 2000, I386)).toBe(ENOSYS);
    expect(runBpf(c.bpf, NR.mkdir_i386, I386)).toBe(ALLOW);
    // personality: only the listed personas.
    expect(runBpf(c.bpf, NR.personality, X86_64, [0n])).toBe(ALLOW);
    expect(runBpf(c.bpf, NR.personality, X86_64, [0xffffffffn])).toBe(ALLOW);
    expect(runBpf(c.bpf, NR.personality, X86_64, [1n])).toBe(EPERM);
  });

  it('compares arguments on all 64 bits, exactly', () => {
    const big = 9007199254740993n; // 2^53 + 1: a double would make it 2^53
    const c = compileForSpec(spec({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 0, value: big, op: 'SCMP_CMP_EQ' }] },
        { names: ['chmod'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0o7777, valueTwo: 0o777, op: 'SCMP_CMP_MASKED_EQ' }] },
        { names: ['mkdir'], action: 'SCMP_ACT_KILL_PROCESS', args: [{ index: 1, value: 0x100000000n, op: 'SCMP_CMP_GE' }] },
      ],
    }))!;
    expect(runBpf(c.bpf, NR.personality, X86_64, [big])).toBe(ERRNO(22));
    expect(runBpf(c.bpf, NR.personality, X86_64, [big - 1n])).toBe(ALLOW);
    expect(runBpf(c.bpf, NR.personality, X86_64, [big + 1n])).toBe(ALLOW);
    expect(runBpf(c.bpf, NR.chmod, X86_64, [0n, 0o100777n])).toBe(EPERM);
    expect(runBpf(c.bpf, NR.chmod, X86_64, [0n, 0o755n])).toBe(ALLOW);
    expect(runBpf(c.bpf, NR.mkdir, X86_64, [0n, 0xffffffffn])).toBe(ALLOW);
    expect(runBpf(c.bpf, NR.mkdir, X86_64, [0n, 0x100000000n])).toBe(0x80000000);
    // Default ALLOW: no ENOSYS stub, new syscalls are allowed.
    expect(runBpf(c.bpf, 1000, X86_64)).toBe(ALLOW);
  });

  it('runc semantics for repeated argument conditions: any of them matches', () => {
    const c = compileForSpec(spec({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 2, op: 'SCMP_CMP_EQ' }] }],
    }))!;
    expect(runBpf(c.bpf, NR.personality, X86_64, [1n])).toBe(EPERM);
    expect(runBpf(c.bpf, NR.personality, X86_64, [2n])).toBe(EPERM);
    expect(runBpf(c.bpf, NR.personality, X86_64, [3n])).toBe(ALLOW);
  });

  it('skips syscalls libseccomp does not know and reports them once', () => {
    const c = compileForSpec(spec({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'no_such_syscall'], action: 'SCMP_ACT_ERRNO' }, { names: ['no_such_syscall'], action: 'SCMP_ACT_KILL' }] }))!;
    expect(c.skipped).toEqual(['no_such_syscall']);
    expect(runBpf(c.bpf, NR.mkdir, X86_64)).toBe(EPERM);
  });

  it('names the architecture libseccomp refuses (one newer than this libseccomp)', () => {
    let msg = '';
    try {
      compileForSpec(spec({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_LOONGARCH64'] }));
    } catch (e) {
      msg = (e as Error).message;
    }
    // libseccomp >= 2.6 knows loongarch64; older ones refuse it.
    if (msg) expect(msg).toMatch(/SCMP_ARCH_LOONGARCH64 \(linux\.seccomp\.architectures\[1\]\): invalid argument/);
  });
});
