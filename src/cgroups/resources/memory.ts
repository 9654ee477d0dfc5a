// memory: limit, reservation, swap (memory+swap in the spec), swappiness, OOM killer; kernel/kernelTCP
// ignored with runc's warning. 0 means "unset" (Docker) and is skipped.
import type { LinuxMemory } from '../../config/gen/config.js';
import { fail } from '../../errors.js';
import { big, memorySwapToV2, v2Limit } from '../values.js';
import { F, type ApplyCtx } from './context.js';

const M = `${F}.memory`;

function warnIgnored(m: LinuxMemory, ctx: ApplyCtx): void {
  if (m.kernel !== undefined || m.kernelTCP !== undefined) ctx.log.warn('Kernel memory settings are ignored and will be removed');
}

function isSet(m: LinuxMemory): boolean {
  return [m.limit, m.reservation, m.swap].some((v) => (big(v) ?? 0n) !== 0n) || (m.swappiness !== undefined && m.swappiness !== -1) || !!m.disableOOMKiller;
}

export function setV1(m: LinuxMemory | undefined, ctx: ApplyCtx): void {
  if (!m) return;
  warnIgnored(m, ctx);
  if (!isSet(m)) return;
  const dir = ctx.dir('memory', M);
  const limit = big(m.limit) ?? 0n;
  let swap = big(m.swap) ?? 0n;
  // Unlimited memory without a swap value: unlimited swap too (when the kernel accounts swap).
  if (limit === -1n && swap === 0n && dir.exists('memory.memsw.limit_in_bytes')) swap = -1n;
  const setLimit = () => {
    if (limit === 0n) return;
    const err = dir.tryWrite('memory.limit_in_bytes', limit);
    if (err === 'EBUSY') {
      const usage = dir.readOpt('memory.usage_in_bytes');
      const peak = dir.readOpt('memory.max_usage_in_bytes');
      throw fail(`unable to set memory limit to ${limit} (current usage: ${usage}, peak usage: ${peak})`, { configPath: `${M}.limit` });
    }
    if (err) dir.write('memory.limit_in_bytes', limit, `${M}.limit`);
  };
  const setSwap = () => { if (swap !== 0n) dir.write('memory.memsw.limit_in_bytes', swap, `${M}.swap`); };
  // The kernel wants memsw >= limit at every step: raise memsw first when it grows.
  let swapFirst = false;
  if (limit !== 0n && swap !== 0n) {
    const cur = big(dir.read('memory.limit_in_bytes')) ?? 0n;
    swapFirst = swap === -1n || cur < swap;
  }
  if (swapFirst) { setSwap(); setLimit(); } else { setLimit(); setSwap(); }
  const reservation = big(m.reservation) ?? 0n;
  if (reservation !== 0n) dir.write('memory.soft_limit_in_bytes', reservation, `${M}.reservation`);
  if (m.disableOOMKiller) dir.write('memory.oom_control', '1', `${M}.disableOOMKiller`);
  if (m.swappiness !== undefined && m.swappiness !== -1) {
    if (m.swappiness < 0 || m.swappiness > 100) throw fail(`invalid memory swappiness value: ${m.swappiness} (valid range is 0-100)`, { configPath: `${M}.swappiness` });
    dir.write('memory.swappiness', m.swappiness, `${M}.swappiness`);
  }
}

export function setV2(m: LinuxMemory | undefined, ctx: ApplyCtx): void {
  if (!m) return;
  warnIgnored(m, ctx);
  if (m.swappiness !== undefined && m.swappiness !== -1) ctx.log.warn(`${M}.swappiness is ignored on cgroup v2 (there is no such knob), as runc does`);
  if (m.disableOOMKiller) ctx.log.warn(`${M}.disableOOMKiller is ignored on cgroup v2 (there is no such knob), as runc does`);
  const limit = big(m.limit) ?? 0n;
  const swap = big(m.swap) ?? 0n;
  const reservation = big(m.reservation) ?? 0n;
  if (limit === 0n && swap === 0n && reservation === 0n) return;
  const dir = ctx.dir('memory', M);
  if (m.checkBeforeUpdate && (limit > 0n || swap > 0n)) {
    const usage = big(dir.readOpt('memory.current'));
    if (usage !== undefined) {
      if (swap > 0n && swap <= usage) throw fail(`rejecting memory+swap limit ${swap} <= usage ${usage}`, { configPath: `${M}.swap` });
      if (limit > 0n && limit <= usage) throw fail(`rejecting memory limit ${limit} <= usage ${usage}`, { configPath: `${M}.limit` });
    }
  }
  let v2swap: bigint;
  try {
    v2swap = memorySwapToV2(swap, limit);
  } catch (e) {
    throw fail((e as Error).message, { configPath: `${M}.swap` });
  }
  let swapStr = v2Limit(v2swap);
  if (swapStr === '' && v2swap === 0n && swap > 0n) swapStr = '0';
  if (swapStr !== '') {
    const err = dir.tryWrite('memory.swap.max', swapStr);
    // No swap accounting in this kernel: fine for "max" and "0", which ask for nothing.
    if (err && !(err === 'ENOENT' && (swapStr === 'max' || swapStr === '0'))) dir.write('memory.swap.max', swapStr, `${M}.swap`);
  }
  if (v2Limit(limit)) dir.write('memory.max', v2Limit(limit), `${M}.limit`);
  if (v2Limit(reservation)) dir.write('memory.low', v2Limit(reservation), `${M}.reservation`);
}
