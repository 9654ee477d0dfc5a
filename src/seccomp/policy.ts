// linux.seccomp -> the addon's input, with runc's semantics. PURE: validation, name resolution and
// rule shaping only; every error is a TsrunError naming the config path.
import type { LinuxSeccomp, LinuxSeccompArg } from '../config/gen/config.js';
import { fail } from '../errors.js';
import type { SeccompInput } from '../sys/native.js';
import { ACTIONS, ALLOWING_ACTIONS, ARCHES, DEFAULT_FLAGS, ENOSYS, EPERM, ERRNO_ACTIONS, FLAG_NEW_LISTENER, FLAGS, MAX_ARGS, OPERATORS, OPTIMIZE_ABOVE, UNSUPPORTED_ACTIONS, type ActionName } from './tables.js';

export interface ResolvedSeccomp {
  input: SeccompInput;
  /** SECCOMP_FILTER_FLAG_* bits for seccomp(2). */
  flags: number;
  /** Config path of each input rule (for errors from the addon). */
  rulePaths: string[];
  /** Whether new syscalls (above the profile's highest) get ENOSYS instead of the default action (runc patchbpf). */
  enosysStub: boolean;
}

const U64_MAX = (1n << 64n) - 1n;
const known = (o: object) => Object.keys(o).join(', ');

/** The SCMP_ACT_* value of an action with its errno; `path` names the action field. */
export function actionValue(action: string, errnoRet: number | undefined, path: string, errnoPath: string): number {
  if (UNSUPPORTED_ACTIONS.has(action)) {
    throw fail(`seccomp action ${action} (user notification) is not supported yet`, { configPath: path, hint: 'use another action, or runc/crun for seccomp agents' });
  }
  if (!Object.hasOwn(ACTIONS, action)) throw fail(`unknown seccomp action "${action}"`, { configPath: path, hint: `known actions: ${known(ACTIONS)}` });
  const base = ACTIONS[action as ActionName];
  if (!ERRNO_ACTIONS.has(action)) {
    if (errnoRet !== undefined) throw fail(`an errno return is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (the action is ${action})`, { configPath: errnoPath });
    return base;
  }
  const e = errnoRet ?? EPERM;
  if (!Number.isInteger(e) || e < 0 || e > 0xffff) throw fail(`errno ${String(e)} does not fit the 16 bits of a seccomp action`, { configPath: errnoPath });
  return (base | e) >>> 0;
}

/** A u64 from the lossless parser (number or BigInt), kept exact. */
export function u64(v: unknown, path: string): bigint {
  if (typeof v === 'bigint') {
    if (v < 0n || v > U64_MAX) throw fail(`${v} is not a 64-bit unsigned value`, { configPath: path });
    return v;
  }
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw fail(`${String(v)} is not a 64-bit unsigned integer`, { configPath: path, hint: 'values above 2^53 are read exactly; write them as plain integers' });
}

function condition(a: LinuxSeccompArg, path: string): SeccompInput['rules'][number]['args'][number] {
  if (!Number.isInteger(a.index) || a.index < 0 || a.index >= MAX_ARGS) throw fail(`argument index ${a.index} is out of range (a syscall has ${MAX_ARGS} arguments: 0-${MAX_ARGS - 1})`, { configPath: `${path}.index` });
  if (!Object.hasOwn(OPERATORS, a.op)) throw fail(`unknown seccomp operator "${a.op}"`, { configPath: `${path}.op`, hint: `known operators: ${known(OPERATORS)}` });
  return { index: a.index, op: OPERATORS[a.op], a: u64(a.value, `${path}.value`), b: a.valueTwo === undefined ? 0n : u64(a.valueTwo, `${path}.valueTwo`) };
}

export function resolveSeccomp(sc: LinuxSeccomp, base = 'linux.seccomp'): ResolvedSeccomp {
  // The agent could not answer its own syscalls, nor tsrun-init its last ones.
  if (sc.defaultAction === 'SCMP_ACT_NOTIFY') throw fail('SCMP_ACT_NOTIFY cannot be the default action', { configPath: `${base}.defaultAction` });
  const defaultAction = actionValue(sc.defaultAction, sc.defaultErrnoRet, `${base}.defaultAction`, `${base}.defaultErrnoRet`);

  const arches = (sc.architectures ?? []).map((name, i) => {
    if (!Object.hasOwn(ARCHES, name)) throw fail(`unknown seccomp architecture "${name}"`, { configPath: `${base}.architectures[${i}]`, hint: `known architectures: ${known(ARCHES)}` });
    return ARCHES[name].token;
  });

  let flags = 0;
  const flagNames: readonly string[] = sc.flags ?? DEFAULT_FLAGS;
  for (const [i, name] of flagNames.entries()) {
    const path = `${base}.flags[${i}]`;
    if (!Object.hasOwn(FLAGS, name)) throw fail(`unknown seccomp flag "${name}"`, { configPath: path, hint: `known flags: ${known(FLAGS)}` });
    // The kernel refuses it without SECCOMP_FILTER_FLAG_NEW_LISTENER, i.e. without SCMP_ACT_NOTIFY.
    if (name === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' && !(sc.syscalls ?? []).some((s) => s.action === 'SCMP_ACT_NOTIFY')) {
      throw fail(`${name} only applies with an SCMP_ACT_NOTIFY rule`, { configPath: path });
    }
    flags |= FLAGS[name as keyof typeof FLAGS];
  }

  const rules: SeccompInput['rules'] = [];
  const rulePaths: string[] = [];
  const probe = new Set<string>();
  let named = 0;
  for (const [i, s] of (sc.syscalls ?? []).entries()) {
    const path = `${base}.syscalls[${i}]`;
    const action = actionValue(s.action, s.errnoRet, `${path}.action`, `${path}.errnoRet`);
    const conds = (s.args ?? []).map((a, j) => condition(a, `${path}.args[${j}]`));
    for (const [j, name] of s.names.entries()) {
      if (!name) throw fail('an empty string is not a syscall name', { configPath: `${path}.names[${j}]` });
      probe.add(name);
      named++;
    }
    // runc: a rule with the default action is redundant (libseccomp would refuse it).
    if (action === defaultAction) continue;
    // runc: conditions on distinct arguments form one rule (all must match); when an argument is
    // named twice, each condition becomes a rule of its own (any may match).
    const counts = new Array<number>(MAX_ARGS).fill(0);
    for (const c of conds) counts[c.index]++;
    const groups = counts.some((n) => n > 1) ? conds.map((c) => [c]) : [conds];
    for (const [j, name] of s.names.entries()) {
      for (const args of groups) {
        rules.push({ name, action, args });
        rulePaths.push(`${path}.names[${j}]`);
      }
    }
  }

  const noStub = ALLOWING_ACTIONS.has(sc.defaultAction) || (sc.defaultAction === 'SCMP_ACT_ERRNO' && sc.defaultErrnoRet === ENOSYS);
  // A NOTIFY rule needs a listener fd from the kernel, which tsrun hands to linux.seccomp.listenerPath.
  if ((sc.syscalls ?? []).some((s) => s.action === 'SCMP_ACT_NOTIFY')) flags |= FLAG_NEW_LISTENER;
  return {
    input: { defaultAction, arches, rules, probe: [...probe], optimize: named > OPTIMIZE_ABOVE },
    flags,
    rulePaths,
    enosysStub: !noStub,
  };
}
