// linux.seccomp -> the BPF program and flags of the plan's `seccomp` op. The policy (src/seccomp/policy.ts)
// resolves every name; the addon runs libseccomp; the ENOSYS stub (enosys.ts) goes in front.
import type { Spec } from '../config/gen/config.js';
import { fail, TsrunError } from '../errors.js';
import { sys } from '../sys/index.js';
import type { Native } from '../sys/native.js';
import { MAX_INSNS, withEnosysStub } from './enosys.js';
import { resolveSeccomp } from './policy.js';
import { archName } from './tables.js';
import { cacheGet, cacheKey, cachePut } from './cache.js';

export interface CompiledSeccomp {
  bpf: Uint8Array;
  /** SECCOMP_FILTER_FLAG_* bits. */
  flags: number;
  /** Syscall names libseccomp does not know (skipped as runc does), each once. */
  skipped: string[];
  /** Read from the cache of compiled filters. */
  fromCache?: boolean;
}

/**
 * The compiled filter for spec.linux.seccomp, or undefined when there is none. cache: a folder of
 * compiled filters (cache.ts) to read first and fill after a compile.
 */
export function compileForSpec(spec: Spec, native: Pick<Native, 'compileSeccomp'> = sys(), cache?: string): CompiledSeccomp | undefined {
  const sc = spec.linux?.seccomp;
  if (!sc) return undefined;
  // The profile as written is the key: the same profile on the same host (and tsrun) compiles the same.
  const key = cache ? cacheKey(sc, process.arch) : '';
  const hit = cache ? cacheGet(cache, key) : undefined;
  if (hit) return hit;
  const out = compileNow(sc, native);
  if (cache) cachePut(cache, key, out);
  return out;
}

function compileNow(sc: NonNullable<NonNullable<Spec['linux']>['seccomp']>, native: Pick<Native, 'compileSeccomp'>): CompiledSeccomp {
  const r = resolveSeccomp(sc);
  let out: ReturnType<Native['compileSeccomp']>;
  try {
    out = native.compileSeccomp(r.input);
  } catch (e) {
    throw addonError(e, r.input.arches, r.rulePaths);
  }
  const bpf = r.enosysStub ? withEnosysStub(out.bpf, out.lastSyscalls) : out.bpf;
  if (bpf.length / 8 > MAX_INSNS) {
    throw fail(`the seccomp filter has ${bpf.length / 8} instructions, more than the kernel's ${MAX_INSNS}`, { configPath: 'linux.seccomp.syscalls', hint: 'merge rules or use fewer argument conditions' });
  }
  return { bpf, flags: r.flags, skipped: [...new Set(out.skipped)] };
}

function addonError(e: unknown, arches: number[], rulePaths: string[]): TsrunError {
  const err = e as { syscall?: string; errno?: number; index?: number; path?: string; message?: string };
  if (e instanceof TsrunError) return e;
  if (err.syscall === 'seccomp_arch_add' && err.index !== undefined) {
    return fail(`libseccomp cannot add the architecture ${archName(arches[err.index])}`, { configPath: `linux.seccomp.architectures[${err.index}]`, errno: err.errno, hint: 'this libseccomp does not know it' });
  }
  if (err.syscall === 'seccomp_rule_add' && err.index !== undefined) {
    const hint = err.errno === 17 ? 'another rule gives this syscall a different action' : undefined;
    return fail(`add the seccomp rule for "${err.path}"`, { configPath: rulePaths[err.index], errno: err.errno, ...(hint ? { hint } : {}) });
  }
  return fail('compile the seccomp filter', { configPath: 'linux.seccomp', ...(err.errno ? { errno: err.errno } : { detail: err.message ?? String(e) }) });
}
