// Scheduling and placement fields of a config, turned into helper ops (pure): process.scheduler,
// process.ioPriority, process.execCPUAffinity, linux.personality, linux.memoryPolicy.
import type { Spec } from '../config/gen/config.js';
import { fail } from '../errors.js';
import type { PlanWriter } from './build.js';

const SCHED_POLICIES: Record<string, number> = { SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_IDLE: 5, SCHED_DEADLINE: 6 };
const SCHED_FLAGS: Record<string, number> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01, SCHED_FLAG_RECLAIM: 0x02, SCHED_FLAG_DL_OVERRUN: 0x04, SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10, SCHED_FLAG_UTIL_CLAMP_MIN: 0x20, SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};
const IOPRIO_CLASSES: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
const PERSONALITY_DOMAINS: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };
export const MPOL_MODES: Record<string, number> = {
  MPOL_DEFAULT: 0, MPOL_PREFERRED: 1, MPOL_BIND: 2, MPOL_INTERLEAVE: 3, MPOL_LOCAL: 4, MPOL_PREFERRED_MANY: 5, MPOL_WEIGHTED_INTERLEAVE: 6,
};
export const MPOL_FLAGS: Record<string, number> = { MPOL_F_NUMA_BALANCING: 1 << 13, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_STATIC_NODES: 1 << 15 };

function lookup(table: Record<string, number>, name: string, path: string, what: string): number {
  const v = table[name];
  if (v === undefined) throw fail(`unsupported ${what} "${name}"`, { configPath: path, hint: `use one of ${Object.keys(table).join(', ')}` });
  return v;
}

/** "0-3,7" -> a little-endian bitmap in whole 64-bit words (what sched_setaffinity/set_mempolicy take). */
export function listToBitmap(list: string, path: string): Uint8Array {
  const bits: number[] = [];
  for (const part of list.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw fail(`invalid list "${list}": use numbers and ranges such as 0-3,7`, { configPath: path });
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (b < a || b > 8191) throw fail(`invalid range "${part}" in "${list}"`, { configPath: path });
    for (let i = a; i <= b; i++) bits.push(i);
  }
  if (!bits.length) throw fail(`empty list "${list}"`, { configPath: path });
  const out = new Uint8Array(Math.ceil((Math.max(...bits) + 1) / 64) * 8);
  for (const i of bits) out[i >> 3] |= 1 << (i & 7);
  return out;
}

/** Ops that run early in the helper: initial CPU affinity (before anything else, as runc does). */
export function initialAffinitySteps(w: PlanWriter, spec: Spec): void {
  const initial = spec.process?.execCPUAffinity?.initial;
  if (initial) w.add({ op: 'sched_setaffinity', mask: listToBitmap(initial, 'process.execCPUAffinity.initial') }, `set the initial CPU affinity to ${initial}`, 'process.execCPUAffinity.initial');
}

/** Scheduler and I/O priority of the process. */
export function schedulingSteps(w: PlanWriter, spec: Spec): void {
  const p = spec.process;
  const s = p?.scheduler;
  if (s) {
    const flags = (s.flags ?? []).reduce((acc, f, i) => acc | lookup(SCHED_FLAGS, f, `process.scheduler.flags[${i}]`, 'scheduler flag'), 0);
    w.add({
      op: 'sched_setattr', policy: lookup(SCHED_POLICIES, s.policy, 'process.scheduler.policy', 'scheduler policy'), flags,
      nice: BigInt(s.nice ?? 0), priority: s.priority ?? 0, runtime: BigInt(s.runtime ?? 0), deadline: BigInt(s.deadline ?? 0), period: BigInt(s.period ?? 0),
    }, `set the scheduler to ${s.policy}`, 'process.scheduler');
  }
  const io = p?.ioPriority;
  if (io) {
    const cls = lookup(IOPRIO_CLASSES, io.class, 'process.ioPriority.class', 'I/O priority class');
    w.add({ op: 'ioprio_set', value: (cls << 13) | (io.priority & 0x1fff) }, `set the I/O priority to ${io.class}/${io.priority}`, 'process.ioPriority');
  }
}

/** The final CPU affinity, applied last before the program runs. */
export function finalAffinitySteps(w: PlanWriter, spec: Spec): void {
  const final = spec.process?.execCPUAffinity?.final;
  if (final) w.add({ op: 'sched_setaffinity', mask: listToBitmap(final, 'process.execCPUAffinity.final') }, `set the final CPU affinity to ${final}`, 'process.execCPUAffinity.final');
}

/** Container-wide: personality and NUMA memory policy. */
export function containerAttrSteps(w: PlanWriter, spec: Spec): void {
  const pers = spec.linux?.personality;
  if (pers) {
    if (pers.flags?.length) throw fail('personality flags are not supported (the runtime-spec defines none yet)', { configPath: 'linux.personality.flags' });
    w.add({ op: 'personality', persona: lookup(PERSONALITY_DOMAINS, pers.domain, 'linux.personality.domain', 'personality domain') }, `set the personality to ${pers.domain}`, 'linux.personality');
  }
  const mp = spec.linux?.memoryPolicy;
  if (mp) {
    const flags = (mp.flags ?? []).reduce((acc, f, i) => acc | lookup(MPOL_FLAGS, f, `linux.memoryPolicy.flags[${i}]`, 'memory policy flag'), 0);
    const mask = mp.nodes ? listToBitmap(mp.nodes, 'linux.memoryPolicy.nodes') : new Uint8Array(0);
    w.add({ op: 'set_mempolicy', mode: lookup(MPOL_MODES, mp.mode, 'linux.memoryPolicy.mode', 'memory policy mode') | flags, nodemask: mask, maxnode: mask.length * 8 + 1 }, `set the memory policy to ${mp.mode}`, 'linux.memoryPolicy');
  }
}
