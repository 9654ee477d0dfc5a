// linux.resources as systemd unit properties, as runc's systemd v2 driver sets them (genV2ResourcesProperties
// and unifiedResToSystemdProps). The same values also go to the cgroup files afterwards, as runc does:
// these properties keep systemd from undoing them when it rewrites the unit's cgroup.
import type { LinuxResources } from '../../config/gen/config.js';
import { fail } from '../../errors.js';
import { variant, type Variant } from '../../dbus/wire.js';
import { big, memorySwapToV2, sharesToWeight } from '../values.js';

export type Property = [string, Variant];

const MAX = (1n << 64n) - 1n; // systemd's "infinity"
const DEFAULT_PERIOD = 100000n;
const R = 'linux.resources';

const u64 = (v: bigint): bigint => (v < 0n ? MAX : v); // uint64(int64) as Go converts -1

/** "0-2,5" -> the byte mask systemd takes for AllowedCPUs / AllowedMemoryNodes (runc's RangeToBits). */
export function rangeToBits(text: string): Uint8Array {
  const bits: number[] = [];
  const num = (s: string) => {
    if (!/^\d+$/.test(s) || Number(s) > 0xffffffff) throw new Error(`strconv.ParseUint: parsing "${s}": invalid syntax`);
    return Number(s);
  };
  for (const raw of text.split(',')) {
    const r = raw.trim();
    if (!r) continue;
    const dash = r.indexOf('-');
    const [a, b] = dash < 0 ? [num(r), num(r)] : [num(r.slice(0, dash)), num(r.slice(dash + 1))];
    if (a > b) throw new Error(`invalid range: ${r}`);
    if (b > 1 << 16) throw new Error(`cpu or node ${b} is out of range`);
    for (let i = a; i <= b; i++) bits.push(i);
  }
  if (!bits.length) throw new Error('empty value');
  // Little-endian bytes (bit i in byte i/8), trimmed of high zero bytes: big.Int.Bytes() reversed.
  const out = new Uint8Array(Math.floor(Math.max(...bits) / 8) + 1);
  for (const i of bits) out[i >> 3] |= 1 << (i & 7);
  return out;
}

/** CPUQuotaPerSecUSec (and CPUQuotaPeriodUSec), rounded up to whole percents as runc's addCPUQuota. The quota as systemd will write it. */
function cpuQuota(props: Property[], quota: bigint, period: bigint, version: number): bigint {
  if (period !== 0n) {
    if (version >= 242) props.push(['CPUQuotaPeriodUSec', variant('t', period)]);
  }
  if (quota === 0n && period === 0n) return quota;
  let perSec = MAX;
  if (quota > 0n) {
    const p = period === 0n ? DEFAULT_PERIOD : period;
    perSec = (quota * 1000000n) / p;
    if (perSec % 10000n !== 0n) {
      perSec = (perSec / 10000n + 1n) * 10000n;
      quota = (perSec * p) / 1000000n;
    }
  }
  props.push(['CPUQuotaPerSecUSec', variant('t', perSec)]);
  return quota;
}

function unifiedProps(props: Property[], unified: Record<string, string>, version: number): void {
  const idle = (v: string | undefined) => v?.trim() === '1' && version >= 252;
  const num = (k: string, v: string): bigint => {
    if (v === 'max') return MAX;
    if (!/^\d+$/.test(v)) throw fail(`unified resource "${k}" value conversion error: ${v}`, { configPath: `${R}.unified["${k}"]` });
    return BigInt(v);
  };
  for (const [k, raw] of Object.entries(unified)) {
    if (k.includes('/')) throw fail(`unified resource "${k}" must be a file name (no slashes)`, { configPath: `${R}.unified["${k}"]` });
    if (k.indexOf('.') <= 0) throw fail(`unified resource "${k}" must be in the form CONTROLLER.PARAMETER`, { configPath: `${R}.unified["${k}"]` });
    const v = raw.trim();
    switch (k) {
      case 'cpu.idle':
        if (idle(v)) props.push(['CPUWeight', variant('t', 0n)]);
        break;
      case 'cpu.max': {
        const f = v.split(/\s+/).filter(Boolean);
        if (f.length < 1 || f.length > 2) throw fail(`unified resource "${k}" value invalid: "${v}"`, { configPath: `${R}.unified["${k}"]` });
        const quota = f[0] === 'max' ? 0n : num(k, f[0]);
        cpuQuota(props, quota, f.length === 2 ? num(k, f[1]) : DEFAULT_PERIOD, version);
        break;
      }
      case 'cpu.weight':
        if (!idle(unified['cpu.idle'])) props.push(['CPUWeight', variant('t', num(k, v))]);
        break;
      case 'cpuset.cpus': case 'cpuset.mems':
        if (version >= 244) props.push([k === 'cpuset.cpus' ? 'AllowedCPUs' : 'AllowedMemoryNodes', variant('ay', bitsOf(v, `${R}.unified["${k}"]`))]);
        break;
      case 'memory.high': case 'memory.low': case 'memory.min': case 'memory.max': case 'memory.swap.max': {
        const name = { 'memory.high': 'MemoryHigh', 'memory.low': 'MemoryLow', 'memory.min': 'MemoryMin', 'memory.max': 'MemoryMax', 'memory.swap.max': 'MemorySwapMax' }[k];
        props.push([name, variant('t', num(k, v))]);
        break;
      }
      case 'pids.max': {
        const n = num(k, v);
        props.push(['TasksMax', variant('t', n === 0n ? 1n : n)]);
        break;
      }
      default: // applied through the cgroup file only
    }
  }
}

function bitsOf(v: string, configPath: string): Uint8Array {
  try {
    return rangeToBits(v);
  } catch (e) {
    throw fail(`"${v}" conversion error: ${(e as Error).message}`, { configPath });
  }
}

/**
 * The unit properties for r, for a systemd of this version. The returned quota is the one to write to
 * cpu.max afterwards (systemd rounds to whole percents: the file must say the same as the unit).
 */
export function resourceProperties(r: LinuxResources, version: number): { props: Property[]; cpuQuota?: bigint } {
  const props: Property[] = [];
  const m = r.memory;
  const limit = big(m?.limit) ?? 0n;
  if (limit !== 0n) props.push(['MemoryMax', variant('t', u64(limit))]);
  const reservation = big(m?.reservation) ?? 0n;
  if (reservation !== 0n) props.push(['MemoryLow', variant('t', u64(reservation))]);
  let swap = 0n;
  try {
    swap = memorySwapToV2(big(m?.swap) ?? 0n, limit);
  } catch (e) {
    throw fail((e as Error).message, { configPath: `${R}.memory.swap` });
  }
  if (swap !== 0n) props.push(['MemorySwapMax', variant('t', u64(swap))]);
  const c = r.cpu;
  let idleSet = false;
  if (c?.idle === 1 && version >= 252) {
    props.push(['CPUWeight', variant('t', 0n)]);
    idleSet = true;
  }
  const weight = sharesToWeight(big(c?.shares) ?? 0n);
  if (weight !== 0n && !idleSet) props.push(['CPUWeight', variant('t', weight)]);
  const quota0 = big(c?.quota) ?? 0n;
  const quota = cpuQuota(props, quota0, big(c?.period) ?? 0n, version);
  if (r.pids) {
    const l = big(r.pids.limit) ?? 0n;
    props.push(['TasksMax', variant('t', l < 0n ? MAX : l === 0n ? 1n : l)]);
  }
  if (version >= 244) {
    if (c?.cpus) props.push(['AllowedCPUs', variant('ay', bitsOf(c.cpus, `${R}.cpu.cpus`))]);
    if (c?.mems) props.push(['AllowedMemoryNodes', variant('ay', bitsOf(c.mems, `${R}.cpu.mems`))]);
  }
  if (r.unified) unifiedProps(props, r.unified, version);
  return { props, ...(quota !== quota0 ? { cpuQuota: quota } : {}) };
}
