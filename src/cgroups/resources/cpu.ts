// cpu and cpuset: shares/weight, CFS quota/period/burst, realtime runtime/period, idle, cpus, mems.
import type { LinuxCPU } from '../../config/gen/config.js';
import { fail } from '../../errors.js';
import { big, sharesToWeight } from '../values.js';
import { F, type ApplyCtx } from './context.js';

const C = `${F}.cpu`;

function setRt(cpu: LinuxCPU, ctx: ApplyCtx): void {
  const period = big(cpu.realtimePeriod) ?? 0n;
  const runtime = big(cpu.realtimeRuntime) ?? 0n;
  if (period === 0n && runtime === 0n) return;
  const dir = ctx.dir('cpu', C);
  // A smaller period may be refused until the runtime fits: retry it after the runtime.
  let retryPeriod = false;
  if (period !== 0n) {
    const err = dir.tryWrite('cpu.rt_period_us', period);
    if (err && !(err === 'EINVAL' && runtime !== 0n)) dir.write('cpu.rt_period_us', period, `${C}.realtimePeriod`);
    retryPeriod = !!err;
  }
  if (runtime !== 0n) {
    dir.write('cpu.rt_runtime_us', runtime, `${C}.realtimeRuntime`);
    if (retryPeriod) dir.write('cpu.rt_period_us', period, `${C}.realtimePeriod`);
  }
}

export function setV1(cpu: LinuxCPU | undefined, ctx: ApplyCtx): void {
  if (!cpu) return;
  const shares = big(cpu.shares) ?? 0n;
  const quota = big(cpu.quota) ?? 0n;
  const period = big(cpu.period) ?? 0n;
  const burst = big(cpu.burst);
  if (shares !== 0n) {
    const dir = ctx.dir('cpu', C);
    dir.write('cpu.shares', shares, `${C}.shares`);
    // The kernel clamps silently: read back and say so, as runc does.
    const got = big(dir.read('cpu.shares')) ?? shares;
    if (shares > got) throw fail(`the maximum allowed cpu-shares is ${got}`, { configPath: `${C}.shares` });
    if (shares < got) throw fail(`the minimum allowed cpu-shares is ${got}`, { configPath: `${C}.shares` });
  }
  let retryPeriod = false;
  if (period !== 0n) {
    const dir = ctx.dir('cpu', C);
    const err = dir.tryWrite('cpu.cfs_period_us', period);
    if (err && !(err === 'EINVAL' && quota !== 0n)) dir.write('cpu.cfs_period_us', period, `${C}.period`);
    retryPeriod = !!err;
  }
  let retryBurst = false;
  if (burst !== undefined) {
    const dir = ctx.dir('cpu', C);
    const err = dir.tryWrite('cpu.cfs_burst_us', burst);
    if (err === 'ENOENT') ctx.log.warn(`${C}.burst is ignored: this kernel has no cpu.cfs_burst_us`);
    else if (err && !(err === 'EINVAL' && quota !== 0n)) dir.write('cpu.cfs_burst_us', burst, `${C}.burst`);
    retryBurst = !!err && err !== 'ENOENT';
  }
  if (quota !== 0n) {
    const dir = ctx.dir('cpu', C);
    dir.write('cpu.cfs_quota_us', quota, `${C}.quota`);
    if (retryPeriod) dir.write('cpu.cfs_period_us', period, `${C}.period`);
    if (retryBurst) dir.write('cpu.cfs_burst_us', burst!, `${C}.burst`);
  }
  if (cpu.idle !== undefined) ctx.dir('cpu', C).write('cpu.idle', big(cpu.idle)!, `${C}.idle`);
  setRt(cpu, ctx);
}

export function setCpusetV1(cpu: LinuxCPU | undefined, ctx: ApplyCtx): void {
  if (cpu?.cpus) ctx.dir('cpuset', `${C}.cpus`).write('cpuset.cpus', cpu.cpus, `${C}.cpus`);
  if (cpu?.mems) ctx.dir('cpuset', `${C}.mems`).write('cpuset.mems', cpu.mems, `${C}.mems`);
}

export function setV2(cpu: LinuxCPU | undefined, ctx: ApplyCtx): void {
  if (!cpu) return;
  const weight = sharesToWeight(big(cpu.shares) ?? 0n);
  const quota = big(cpu.quota) ?? 0n;
  let period = big(cpu.period) ?? 0n;
  const burst = big(cpu.burst);
  if ((big(cpu.realtimePeriod) ?? 0n) !== 0n || (big(cpu.realtimeRuntime) ?? 0n) !== 0n) {
    ctx.log.warn(`${C}.realtimePeriod/realtimeRuntime are ignored on cgroup v2 (no realtime group scheduling there), as runc does`);
  }
  if (weight === 0n && quota === 0n && period === 0n && cpu.idle === undefined && burst === undefined) return;
  const dir = ctx.dir('cpu', C);
  if (cpu.idle !== undefined) dir.write('cpu.idle', big(cpu.idle)!, `${C}.idle`);
  if (weight !== 0n) dir.write('cpu.weight', weight, `${C}.shares`);
  let retryBurst = false;
  if (burst !== undefined) {
    const err = dir.tryWrite('cpu.max.burst', burst);
    if (err && !(err === 'EINVAL' && quota !== 0n)) dir.write('cpu.max.burst', burst, `${C}.burst`);
    retryBurst = !!err;
  }
  if (quota !== 0n || period !== 0n) {
    if (period === 0n) period = 100000n;
    const value = `${quota > 0n ? quota : 'max'} ${period}`;
    dir.write('cpu.max', value, quota !== 0n ? `${C}.quota` : `${C}.period`);
    if (retryBurst) dir.write('cpu.max.burst', burst!, `${C}.burst`);
  }
}

export function setCpusetV2(cpu: LinuxCPU | undefined, ctx: ApplyCtx): void {
  if (cpu?.cpus) ctx.dir('cpuset', `${C}.cpus`).write('cpuset.cpus', cpu.cpus, `${C}.cpus`);
  if (cpu?.mems) ctx.dir('cpuset', `${C}.mems`).write('cpuset.mems', cpu.mems, `${C}.mems`);
}
