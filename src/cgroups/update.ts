// `update`: the resources asked for, from --resources JSON or runc's individual flags, merged into the
// resources stored at create the way runc update merges them (memory, cpu shares/quota/period/rt and
// blkio stick; cpus, mems, idle, burst, pids and unified apply only when given; devices never change).
import type { LinuxResources, LinuxThrottleDevice, LinuxWeightDevice } from '../config/gen/config.js';
import { fail } from '../errors.js';
import { big, ramInBytes } from './values.js';

type Flags = Record<string, string | number | boolean | string[] | undefined>;

const uint = (flag: string, v: string): bigint => {
  if (!/^\d+$/.test(v)) throw fail(`invalid value for ${flag}: strconv.ParseUint: parsing "${v}": invalid syntax`);
  return BigInt(v);
};
const int = (flag: string, v: string): bigint => {
  if (!/^-?\d+$/.test(v)) throw fail(`invalid value for ${flag}: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return BigInt(v);
};
const num = (b: bigint): number | bigint => (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b);

/** runc update's individual flags as a LinuxResources request. */
export function resourcesFromFlags(f: Flags): LinuxResources {
  const r: LinuxResources = { memory: {}, cpu: {}, blockIO: {}, pids: {} };
  const s = (name: string) => (f[name] === undefined || f[name] === '' ? undefined : String(f[name]));
  if (f['blkio-weight'] !== undefined && Number(f['blkio-weight']) !== 0) r.blockIO!.weight = Number(f['blkio-weight']);
  if (s('cpuset-cpus')) r.cpu!.cpus = s('cpuset-cpus');
  if (s('cpuset-mems')) r.cpu!.mems = s('cpuset-mems');
  if (s('cpu-idle')) r.cpu!.idle = num(int('cpu-idle', s('cpu-idle')!));
  for (const [flag, key] of [['cpu-burst', 'burst'], ['cpu-period', 'period'], ['cpu-rt-period', 'realtimePeriod'], ['cpu-share', 'shares']] as const) {
    if (s(flag)) r.cpu![key] = num(uint(flag, s(flag)!));
  }
  for (const [flag, key] of [['cpu-quota', 'quota'], ['cpu-rt-runtime', 'realtimeRuntime']] as const) {
    if (s(flag)) r.cpu![key] = num(int(flag, s(flag)!));
  }
  for (const [flag, key] of [['memory', 'limit'], ['memory-swap', 'swap'], ['kernel-memory', 'kernel'], ['kernel-memory-tcp', 'kernelTCP'], ['memory-reservation', 'reservation']] as const) {
    const v = s(flag);
    if (!v) continue;
    try {
      r.memory![key] = v === '-1' ? -1 : num(ramInBytes(v));
    } catch (e) {
      throw fail(`invalid value for ${flag}: ${(e as Error).message}`);
    }
  }
  if (f['pids-limit'] !== undefined) r.pids!.limit = Number(f['pids-limit']);
  return r;
}

function upsert<T extends { major: unknown; minor: unknown }>(list: T[] | undefined, items: T[] | undefined, merge: (old: T, nu: T) => T): T[] | undefined {
  if (!items?.length) return list;
  const out = [...(list ?? [])];
  for (const it of items) {
    const i = out.findLastIndex((d) => String(d.major) === String(it.major) && String(d.minor) === String(it.minor));
    if (i >= 0) out[i] = merge(out[i], it);
    else out.push(it);
  }
  return out;
}

/**
 * The resources to apply and store after an update: runc update.go's merge of the request into the
 * container's current resources. The result is applied whole (devices excluded), as runc's Set does.
 */
export function mergeUpdate(stored: LinuxResources | undefined, req: LinuxResources): LinuxResources {
  const cur = structuredClone(stored ?? {}) as LinuxResources;
  const out: LinuxResources = { ...cur };
  delete out.devices;
  const memory = { ...(cur.memory ?? {}) };
  const cpu = { ...(cur.cpu ?? {}) };
  const blockIO = { ...(cur.blockIO ?? {}) };
  const rm = req.memory ?? {};
  const rc = { ...(req.cpu ?? {}) };
  const rb = req.blockIO ?? {};
  if (rm.kernel !== undefined || rm.kernelTCP !== undefined) { /* warned by the apply step */ }
  // Fix-ups of runc update: unlimited memory with no swap value asks for swap 0 (i.e. as memory);
  // idle without shares resets shares (cpu.weight is refused while idle is set).
  let swap = rm.swap;
  if (rm.limit !== undefined && big(rm.limit) === -1n && rm.swap === undefined) swap = 0;
  if (rc.idle !== undefined && rc.shares === undefined) rc.shares = 0;
  if (rb.weight !== undefined) blockIO.weight = rb.weight;
  if (rb.leafWeight !== undefined) blockIO.leafWeight = rb.leafWeight;
  blockIO.weightDevice = upsert<LinuxWeightDevice>(blockIO.weightDevice, rb.weightDevice, (o, n) => ({ ...o, ...(n.weight !== undefined ? { weight: n.weight } : {}), ...(n.leafWeight !== undefined ? { leafWeight: n.leafWeight } : {}) }));
  for (const k of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'] as const) {
    blockIO[k] = upsert<LinuxThrottleDevice>(blockIO[k], rb[k], (o, n) => ({ ...o, rate: n.rate }));
  }
  // quota and period: one given alone keeps the other's old value.
  const p = big(rc.period) ?? 0n;
  const q = big(rc.quota) ?? 0n;
  if ((p === 0n && q === 0n) || (p !== 0n && q !== 0n)) {
    cpu.period = rc.period ?? 0;
    cpu.quota = rc.quota ?? 0;
  } else if (p !== 0n) cpu.period = rc.period;
  else cpu.quota = rc.quota;
  cpu.burst = rc.burst;
  if (rc.shares !== undefined) cpu.shares = rc.shares;
  if (rc.realtimePeriod !== undefined) cpu.realtimePeriod = rc.realtimePeriod;
  if (rc.realtimeRuntime !== undefined) cpu.realtimeRuntime = rc.realtimeRuntime;
  cpu.cpus = rc.cpus;
  cpu.mems = rc.mems;
  cpu.idle = rc.idle;
  if (rm.limit !== undefined) memory.limit = rm.limit;
  if (rm.reservation !== undefined) memory.reservation = rm.reservation;
  if (swap !== undefined) memory.swap = swap;
  memory.checkBeforeUpdate = rm.checkBeforeUpdate ?? false;
  // Kernel memory is only warned about; swappiness and the OOM killer are not update fields in runc.
  if (rm.kernel !== undefined) memory.kernel = rm.kernel; else delete memory.kernel;
  if (rm.kernelTCP !== undefined) memory.kernelTCP = rm.kernelTCP; else delete memory.kernelTCP;
  out.memory = memory;
  out.cpu = dropUndefined(cpu);
  out.blockIO = dropUndefined(blockIO);
  out.pids = req.pids?.limit !== undefined ? { limit: req.pids.limit } : undefined;
  out.unified = req.unified;
  return dropUndefined(out);
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
