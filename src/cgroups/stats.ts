// `events --stats` data in runc's shape (runc types/events.go: Stats), read from the cgroup files the
// way opencontainers/cgroups reads them. Counters are bigints (uint64), printed exactly by goJson.
import { readdirSync } from '../sys/fs.js';
import { CgroupDir, keyValues } from './fs.js';

const U64_MAX = (1n << 64n) - 1n;
type Obj = Record<string, unknown>;

/** GetCgroupParamUint: "max" -> 2^64-1, negative -> 0; undefined when the file is missing. */
function u64(dir: CgroupDir | undefined, file: string): bigint | undefined {
  const s = dir?.readOpt(file);
  if (s === undefined) return undefined;
  if (s === 'max') return U64_MAX;
  if (/^-\d+$/.test(s)) return 0n;
  return /^\d+$/.test(s) ? BigInt(s) : undefined;
}

/** Go's omitempty / omitzero for the fields named in omit. */
function compact(o: Obj, omit: string[]): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    if (omit.includes(k) && isZero(v)) continue;
    out[k] = v;
  }
  return out;
}

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === 0n || v === 0 || v === '' || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as Obj).every(isZero);
  return false;
}

/** JSON with bigints as plain integers (Go's encoding of uint64). */
export function goJson(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => `${JSON.stringify(k)}:${goJson(x)}`).join(',')}}`;
  return JSON.stringify(v);
}

const memEntry = (limit = 0n, usage = 0n, max = 0n, failcnt = 0n) => compact({ limit, usage, max, failcnt }, ['usage', 'max']);
const blkioEntry = (e: { major: bigint; minor: bigint; op: string; value: bigint }) => compact(e, ['major', 'minor', 'op', 'value']);

function cpusetList(s: string | undefined): number[] {
  const out: number[] = [];
  for (const part of (s ?? '').split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

/** types.CPUSet: cpus/mems omitted when empty, the other fields always printed. */
function cpusetStats(dir: CgroupDir | undefined, cpusFile: string, memsFile: string): Obj {
  const n = (f: string) => u64(dir, `cpuset.${f}`) ?? 0n;
  const level = dir?.readOpt('cpuset.sched_relax_domain_level');
  return compact({
    cpus: cpusetList(dir?.readOpt(cpusFile)), cpu_exclusive: n('cpu_exclusive'), mems: cpusetList(dir?.readOpt(memsFile)),
    mem_hardwall: n('mem_hardwall'), mem_exclusive: n('mem_exclusive'), memory_migrate: n('memory_migrate'), memory_spread_page: n('memory_spread_page'),
    memory_spread_slab: n('memory_spread_slab'), memory_pressure: n('memory_pressure'), sched_load_balance: n('sched_load_balance'),
    sched_relax_domain_level: level && /^-?\d+$/.test(level) ? BigInt(level) : 0n,
  }, ['cpus', 'mems']);
}

function psi(dir: CgroupDir, file: string): Obj | undefined {
  const text = dir.readOpt(file);
  if (text === undefined) return undefined;
  const out: Obj = {};
  for (const line of text.split('\n')) {
    const [kind, ...kv] = line.trim().split(/\s+/);
    if (kind !== 'some' && kind !== 'full') continue;
    const m = Object.fromEntries(kv.map((x) => x.split('=')));
    out[kind] = { avg10: Number(m.avg10 ?? 0), avg60: Number(m.avg60 ?? 0), avg300: Number(m.avg300 ?? 0), total: BigInt(m.total ?? 0) };
  }
  return compact(out, ['some', 'full']);
}

export function hugePageSizes(): string[] {
  try {
    return readdirSync('/sys/kernel/mm/hugepages').map((n) => {
      const kb = Number(n.replace(/^hugepages-|kB$/g, ''));
      for (const [unit, size] of [['GB', 1 << 20], ['MB', 1 << 10]] as const) if (kb >= size && kb % size === 0) return `${kb / size}${unit}`;
      return `${kb}KB`;
    });
  } catch {
    return [];
  }
}

function assemble(p: { cpu: Obj; cpuset: Obj; memory: Obj; pids: Obj; blkio: Obj; hugetlb: Obj }): Obj {
  return { cpu: p.cpu, cpuset: p.cpuset, memory: p.memory, pids: p.pids, blkio: p.blkio, hugetlb: p.hugetlb, intel_rdt: {}, network_interfaces: null };
}

// ---- cgroup v1 ----

const CLOCK_TICKS = 100n;

function blkioV1(dir: CgroupDir | undefined): Obj {
  const out: Obj = {};
  if (!dir) return out;
  const read = (file: string) => {
    const text = dir.readOpt(file);
    if (text === undefined) return undefined;
    const entries: Obj[] = [];
    for (const line of text.split('\n')) {
      const f = line.trim().split(/[\s:]+/);
      if (f.length < 3) continue;
      const [major, minor] = [BigInt(f[0]), BigInt(f[1])];
      const op = f.length === 4 ? f[2] : '';
      entries.push(blkioEntry({ major, minor, op, value: BigInt(f[f.length - 1]) }));
    }
    return entries;
  };
  // runc's order: BFQ debug, BFQ, CFQ, throttle recursive, throttle.
  const groups: [string, string][][] = [
    [['blkio.bfq.sectors_recursive', 'sectorsRecursive'], ['blkio.bfq.io_service_time_recursive', 'ioServiceTimeRecursive'], ['blkio.bfq.io_wait_time_recursive', 'ioWaitTimeRecursive'], ['blkio.bfq.io_merged_recursive', 'ioMergedRecursive'], ['blkio.bfq.io_queued_recursive', 'ioQueueRecursive'], ['blkio.bfq.time_recursive', 'ioTimeRecursive'], ['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'], ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive']],
    [['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'], ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive']],
    [['blkio.sectors_recursive', 'sectorsRecursive'], ['blkio.io_service_time_recursive', 'ioServiceTimeRecursive'], ['blkio.io_wait_time_recursive', 'ioWaitTimeRecursive'], ['blkio.io_merged_recursive', 'ioMergedRecursive'], ['blkio.io_queued_recursive', 'ioQueueRecursive'], ['blkio.time_recursive', 'ioTimeRecursive'], ['blkio.io_serviced_recursive', 'ioServicedRecursive'], ['blkio.io_service_bytes_recursive', 'ioServiceBytesRecursive']],
    [['blkio.throttle.io_serviced_recursive', 'ioServicedRecursive'], ['blkio.throttle.io_service_bytes_recursive', 'ioServiceBytesRecursive']],
    [['blkio.throttle.io_serviced', 'ioServicedRecursive'], ['blkio.throttle.io_service_bytes', 'ioServiceBytesRecursive']],
  ];
  for (const g of groups) {
    const first = read(g[0][0]);
    if (!first) continue;
    out[g[0][1]] = first;
    for (const [file, key] of g.slice(1)) out[key] = read(file) ?? [];
    break;
  }
  return compact(out, Object.keys(out));
}

export function statsV1(dirs: Record<string, string>): Obj {
  const d = (c: string) => (dirs[c] ? new CgroupDir(dirs[c]) : undefined);
  const cpuD = d('cpu');
  const acct = d('cpuacct');
  const memD = d('memory');
  // cpu
  const usage: Obj = { total: 0n, percpu: [], percpu_kernel: [], percpu_user: [], kernel: 0n, user: 0n };
  if (acct) {
    const st = keyValues(acct.readOpt('cpuacct.stat'));
    usage.user = ((st.get('user') ?? 0n) * 1_000_000_000n) / CLOCK_TICKS;
    usage.kernel = ((st.get('system') ?? 0n) * 1_000_000_000n) / CLOCK_TICKS;
    usage.total = u64(acct, 'cpuacct.usage') ?? 0n;
    usage.percpu = (acct.readOpt('cpuacct.usage_percpu') ?? '').split(/\s+/).filter(Boolean).map(BigInt);
    const all = (acct.readOpt('cpuacct.usage_all') ?? '').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 3);
    usage.percpu_user = all.map((f) => BigInt(f[1]));
    usage.percpu_kernel = all.map((f) => BigInt(f[2]));
  }
  const cs = keyValues(cpuD?.readOpt('cpu.stat'));
  const throttling = compact({ periods: cs.get('nr_periods') ?? 0n, throttledPeriods: cs.get('nr_throttled') ?? 0n, throttledTime: cs.get('throttled_time') ?? 0n }, ['periods', 'throttledPeriods', 'throttledTime']);
  const cpu = compact({ usage: compact(usage, ['total', 'percpu', 'percpu_kernel', 'percpu_user']), throttling }, ['usage', 'throttling']);
  // cpuset
  const cpusetD = d('cpuset');
  const cpuset = cpusetStats(cpusetD, 'cpuset.cpus', 'cpuset.mems');
  // memory
  let memory: Obj = {};
  if (memD) {
    const raw = keyValues(memD.readOpt('memory.stat'));
    const data = (name: string) => {
      const m = name ? `memory.${name}` : 'memory';
      const usageV = u64(memD, `${m}.usage_in_bytes`);
      if (usageV === undefined) return { limit: 0n, usage: 0n, max: 0n, failcnt: 0n };
      return { limit: u64(memD, `${m}.limit_in_bytes`) ?? 0n, usage: usageV, max: u64(memD, `${m}.max_usage_in_bytes`) ?? 0n, failcnt: u64(memD, `${m}.failcnt`) ?? 0n };
    };
    const mu = data('');
    const sw = data('memsw');
    const km = data('kmem');
    const kt = data('kmem.tcp');
    const entry = (x: typeof mu) => memEntry(x.limit, x.usage, x.max, x.failcnt);
    memory = compact({ cache: raw.get('cache') ?? 0n, usage: entry(mu), swap: entry(sw), kernel: entry(km), kernelTCP: entry(kt), raw: Object.fromEntries(raw) }, ['cache', 'usage', 'swap', 'kernel', 'kernelTCP', 'raw']);
  }
  // pids
  const pidsD = d('pids');
  let pidsLimit = u64(pidsD, 'pids.max') ?? 0n;
  if (pidsLimit === U64_MAX) pidsLimit = 0n;
  const pids = compact({ current: u64(pidsD, 'pids.current') ?? 0n, limit: pidsLimit }, ['current', 'limit']);
  // hugetlb
  const hugetlb: Obj = {};
  const hD = d('hugetlb');
  if (hD) {
    for (const size of hugePageSizes()) {
      let p = `hugetlb.${size}.rsvd`;
      if (!hD.exists(`${p}.usage_in_bytes`)) p = `hugetlb.${size}`;
      hugetlb[size] = compact({ usage: u64(hD, `${p}.usage_in_bytes`) ?? 0n, max: u64(hD, `${p}.max_usage_in_bytes`) ?? 0n, failcnt: u64(hD, `${p}.failcnt`) ?? 0n }, ['usage', 'max']);
    }
  }
  return assemble({ cpu, cpuset, memory, pids, blkio: blkioV1(d('blkio')), hugetlb });
}

// ---- cgroup v2 ----

export function statsV2(path: string): Obj {
  const dir = new CgroupDir(path);
  // cpu
  const cs = keyValues(dir.readOpt('cpu.stat'));
  const usage = compact({ total: (cs.get('usage_usec') ?? 0n) * 1000n, kernel: (cs.get('system_usec') ?? 0n) * 1000n, user: (cs.get('user_usec') ?? 0n) * 1000n }, ['total']);
  const throttling = compact({ periods: cs.get('nr_periods') ?? 0n, throttledPeriods: cs.get('nr_throttled') ?? 0n, throttledTime: (cs.get('throttled_usec') ?? 0n) * 1000n }, ['periods', 'throttledPeriods', 'throttledTime']);
  const cpu = compact({ usage, throttling, psi: psi(dir, 'cpu.pressure') }, ['usage', 'throttling', 'psi']);
  // memory
  const raw = keyValues(dir.readOpt('memory.stat'));
  let memory: Obj = {};
  const cur = u64(dir, 'memory.current');
  if (cur !== undefined) {
    const mu = { limit: u64(dir, 'memory.max') ?? 0n, usage: cur, max: u64(dir, 'memory.peak') ?? 0n, failcnt: 0n };
    const swCur = u64(dir, 'memory.swap.current');
    const so = swCur === undefined ? { limit: 0n, usage: 0n, max: 0n, failcnt: 0n } : { limit: u64(dir, 'memory.swap.max') ?? 0n, usage: swCur, max: u64(dir, 'memory.swap.peak') ?? 0n, failcnt: 0n };
    const sw = { ...so, usage: so.usage + mu.usage, max: 0n, limit: so.limit === U64_MAX ? so.limit : (so.limit + mu.limit) & U64_MAX };
    memory = compact({ cache: raw.get('file') ?? 0n, usage: memEntry(mu.limit, mu.usage, mu.max), swap: memEntry(sw.limit, sw.usage, sw.max), raw: Object.fromEntries(raw), psi: psi(dir, 'memory.pressure') }, ['cache', 'usage', 'swap', 'raw', 'psi']);
  }
  // pids
  let current = u64(dir, 'pids.current');
  let limit = 0n;
  if (current === undefined) current = BigInt((dir.readOpt('cgroup.procs') ?? '').split('\n').filter(Boolean).length);
  else {
    limit = u64(dir, 'pids.max') ?? 0n;
    if (limit === U64_MAX) limit = 0n;
  }
  const pids = compact({ current, limit }, ['current', 'limit']);
  // io
  const bytes: Obj[] = [];
  const ios: Obj[] = [];
  for (const line of (dir.readOpt('io.stat') ?? '').split('\n')) {
    const [devs, ...kv] = line.trim().split(/\s+/);
    const [maj, min] = (devs ?? '').split(':');
    if (min === undefined) continue;
    for (const item of kv) {
      const [k, v] = item.split('=');
      const e = (op: string) => blkioEntry({ major: BigInt(maj), minor: BigInt(min), op, value: BigInt(v) });
      if (k === 'rbytes') bytes.push(e('Read'));
      else if (k === 'wbytes') bytes.push(e('Write'));
      else if (k === 'rios') ios.push(e('Read'));
      else if (k === 'wios') ios.push(e('Write'));
    }
  }
  const blkio = compact({ ioServiceBytesRecursive: bytes, ioServicedRecursive: ios, psi: psi(dir, 'io.pressure') }, ['ioServiceBytesRecursive', 'ioServicedRecursive', 'psi']);
  // hugetlb
  const hugetlb: Obj = {};
  if (hugePageSizes().some((s) => dir.exists(`hugetlb.${s}.current`))) {
    for (const size of hugePageSizes()) {
      let p = `hugetlb.${size}.rsvd`;
      if (!dir.exists(`${p}.current`)) p = `hugetlb.${size}`;
      hugetlb[size] = compact({ usage: u64(dir, `${p}.current`) ?? 0n, failcnt: keyValues(dir.readOpt(`hugetlb.${size}.events`)).get('max') ?? 0n }, ['usage']);
    }
  }
  // runc reads no cpuset stats on v2: every field stays zero.
  return assemble({ cpu, cpuset: cpusetStats(undefined, '', ''), memory, pids, blkio, hugetlb });
}

