// The managers against fake cgroupfs trees in a temp dir (v1 hybrid and v2 layouts): which files get
// which values, in which order, and the errors naming the config field.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setWriteTrace } from '../../src/cgroups/fs.js';
import { cgroupManager, cgroupManagerFromPaths, cgroupRecord, managerFor } from '../../src/cgroups/manager.js';
import type { LinuxResources } from '../../src/config/gen/config.js';

let root: string;
let writes: [string, string][];
const warnings: string[] = [];
const log = { warn: (m: string) => warnings.push(m), debug: () => {} };

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tsrun-cg-'));
  writes = [];
  warnings.length = 0;
  setWriteTrace((p, v) => writes.push([p.slice(root.length + 1), v]));
});
afterEach(() => {
  setWriteTrace(undefined);
  rmSync(root, { recursive: true, force: true });
});

function touch(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [f, v] of Object.entries(files)) writeFileSync(join(dir, f), v);
}
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const wrote = (p: string) => writes.filter(([f]) => f === p).map(([, v]) => v);

const V1_FILES: Record<string, Record<string, string>> = {
  cpu: { 'cpu.shares': '1024', 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '-1', 'cpu.cfs_burst_us': '0', 'cpu.rt_period_us': '1000000', 'cpu.rt_runtime_us': '0', 'cpu.idle': '0', 'cpu.stat': 'nr_periods 4\nnr_throttled 1\nthrottled_time 99\n' },
  cpuacct: { 'cpuacct.usage': '5000', 'cpuacct.stat': 'user 2\nsystem 1\n', 'cpuacct.usage_percpu': '3000 2000 ', 'cpuacct.usage_all': 'cpu user system\n0 2000 1000\n1 1500 500\n' },
  cpuset: { 'cpuset.cpus': '', 'cpuset.mems': '', 'cpuset.cpu_exclusive': '0' },
  memory: { 'memory.limit_in_bytes': '9223372036854771712', 'memory.memsw.limit_in_bytes': '9223372036854771712', 'memory.soft_limit_in_bytes': '0', 'memory.swappiness': '60', 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n', 'memory.usage_in_bytes': '4096', 'memory.max_usage_in_bytes': '8192', 'memory.failcnt': '0', 'memory.stat': 'cache 100\nrss 200\n', 'memory.memsw.usage_in_bytes': '4096', 'memory.memsw.max_usage_in_bytes': '8192', 'memory.memsw.failcnt': '0' },
  devices: { 'devices.allow': '', 'devices.deny': '', 'devices.list': 'a *:* rwm' },
  freezer: { 'freezer.state': 'THAWED', 'freezer.self_freezing': '0' },
  blkio: { 'blkio.throttle.read_bps_device': '', 'blkio.throttle.write_bps_device': '', 'blkio.throttle.read_iops_device': '', 'blkio.throttle.write_iops_device': '', 'blkio.throttle.io_serviced': '8:0 Read 3\n8:0 Write 4\nTotal 7\n', 'blkio.throttle.io_service_bytes': '8:0 Read 300\nTotal 300\n' },
  pids: { 'pids.max': 'max', 'pids.current': '2' },
  systemd: {},
};

/** A hybrid v1 host: every hierarchy with its mount-level files, the leaf at /tsrun/c1 already populated. */
function fakeV1(inner = 'tsrun/c1', skip: string[] = []): void {
  for (const [h, files] of Object.entries(V1_FILES)) {
    if (skip.includes(h)) continue;
    const mountFiles: Record<string, string> = h === 'cpuset' ? { 'cpuset.cpus': '0-3', 'cpuset.mems': '0', 'cgroup.procs': '' } : { 'cgroup.procs': '' };
    touch(join(root, h), mountFiles);
    touch(join(root, h, 'tsrun'), h === 'cpuset' ? { 'cpuset.cpus': '', 'cpuset.mems': '' } : {});
    touch(join(root, h, inner), { ...files, 'cgroup.procs': '' });
  }
  touch(join(root, 'unified'), { 'cgroup.controllers': '' });
  touch(join(root, 'unified', inner), { 'cgroup.procs': '', 'cgroup.kill': '' });
}

const V2_LEAF: Record<string, string> = {
  'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma', 'cgroup.procs': '', 'cgroup.freeze': '0', 'cgroup.events': 'populated 1\nfrozen 1\n', 'cgroup.kill': '',
  'cpu.weight': '100', 'cpu.max': 'max 100000', 'cpu.max.burst': '0', 'cpu.idle': '0', 'cpuset.cpus': '', 'cpuset.mems': '',
  'memory.max': 'max', 'memory.low': '0', 'memory.swap.max': 'max', 'memory.current': '4096', 'memory.peak': '8192', 'memory.swap.current': '0', 'memory.events': 'low 0\nhigh 0\nmax 0\noom 1\noom_kill 1\n', 'memory.stat': 'anon 10\nfile 20\n',
  'pids.max': 'max', 'pids.current': '1', 'io.weight': 'default 100', 'io.max': '', 'io.stat': '8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n',
  'memory.high': 'max', 'hugetlb.2MB.max': 'max', 'hugetlb.2MB.rsvd.max': 'max', 'rdma.max': '', 'cpu.stat': 'usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_periods 0\n',
};

function fakeV2(inner = 'tsrun/c1', leaf: Record<string, string> = V2_LEAF): void {
  touch(root, { 'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma', 'cgroup.subtree_control': '' });
  touch(join(root, 'tsrun'), { 'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma', 'cgroup.subtree_control': '' });
  touch(join(root, inner), leaf);
}

const full: LinuxResources = {
  devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }],
  memory: { limit: 67108864, reservation: 33554432, swap: 134217728, swappiness: 10, disableOOMKiller: true, kernel: 0 },
  cpu: { shares: 512, quota: 50000, period: 100000, burst: 1000, realtimeRuntime: 500, realtimePeriod: 1000, cpus: '0-1', mems: '0', idle: 0 },
  pids: { limit: 50 },
  blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }], throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 100 }] },
};

describe('cgroup v1 manager (fake hybrid tree)', () => {
  it('creates the cgroup and writes every resource to its file', () => {
    fakeV1();
    const m = cgroupManager({ id: 'c1', root, log });
    expect(m.version).toBe(1);
    m.create(full);
    expect(read('memory/tsrun/c1/memory.limit_in_bytes')).toBe('67108864');
    expect(read('memory/tsrun/c1/memory.memsw.limit_in_bytes')).toBe('134217728');
    expect(read('memory/tsrun/c1/memory.soft_limit_in_bytes')).toBe('33554432');
    expect(read('memory/tsrun/c1/memory.swappiness')).toBe('10');
    expect(read('memory/tsrun/c1/memory.oom_control')).toBe('1');
    expect(read('cpu/tsrun/c1/cpu.shares')).toBe('512');
    expect(read('cpu/tsrun/c1/cpu.cfs_quota_us')).toBe('50000');
    expect(read('cpu/tsrun/c1/cpu.cfs_period_us')).toBe('100000');
    expect(read('cpu/tsrun/c1/cpu.cfs_burst_us')).toBe('1000');
    expect(read('cpu/tsrun/c1/cpu.rt_runtime_us')).toBe('500');
    expect(read('cpu/tsrun/c1/cpu.rt_period_us')).toBe('1000');
    expect(read('cpu/tsrun/c1/cpu.idle')).toBe('0');
    expect(read('cpuset/tsrun/c1/cpuset.cpus')).toBe('0-1');
    expect(read('cpuset/tsrun/c1/cpuset.mems')).toBe('0');
    expect(read('cpuset/tsrun/cpuset.cpus')).toBe('0-3'); // copied from the parent before any join
    expect(read('pids/tsrun/c1/pids.max')).toBe('50');
    expect(read('blkio/tsrun/c1/blkio.throttle.read_bps_device')).toBe('8:0 1048576');
    expect(read('blkio/tsrun/c1/blkio.throttle.write_iops_device')).toBe('8:0 100');
    expect(wrote('devices/tsrun/c1/devices.deny')).toEqual(['a *:* rwm']);
    expect(wrote('devices/tsrun/c1/devices.allow')).toEqual(['c 1:3 rwm', 'c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:200 rwm']);
    // deny-all comes first: the order of the writes is the order of the rules
    expect(writes.findIndex(([f]) => f.endsWith('devices.deny'))).toBeLessThan(writes.findIndex(([f]) => f.endsWith('devices.allow')));
    expect(warnings).toContain('Kernel memory settings are ignored and will be removed');
    expect(m.paths()).toMatchObject({ memory: join(root, 'memory/tsrun/c1'), 'name=systemd': join(root, 'systemd/tsrun/c1'), '': join(root, 'unified/tsrun/c1') });
  });

  it('skips the zeros Docker sends for "unset"', () => {
    fakeV1();
    const m = cgroupManager({ id: 'c1', root, log });
    m.create({ memory: { limit: 0, reservation: 0, swap: 0, kernel: 0, disableOOMKiller: false }, cpu: { shares: 0, quota: 0, period: 0 }, blockIO: { weight: 0 } });
    // only the device rules and cpuset's copy of the parent's cpus/mems (needed before any join)
    expect(writes.filter(([f]) => !f.startsWith('devices/') && !f.startsWith('cpuset/'))).toEqual([]);
  });

  it('orders memsw and limit so that the kernel accepts both', () => {
    fakeV1();
    writeFileSync(join(root, 'memory/tsrun/c1/memory.limit_in_bytes'), '1000');
    const m = cgroupManager({ id: 'c1', root, log });
    m.update({ memory: { limit: 2000, swap: 4000 } }); // growing: memsw first
    expect(writes.map(([f]) => f.split('/').pop())).toEqual(['memory.memsw.limit_in_bytes', 'memory.limit_in_bytes']);
    writes = [];
    m.update({ memory: { limit: 500, swap: 1000 } }); // shrinking: limit first
    expect(writes.map(([f]) => f.split('/').pop())).toEqual(['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes']);
    writes = [];
    m.update({ memory: { limit: -1 } }); // unlimited memory: unlimited memsw too
    expect(read('memory/tsrun/c1/memory.memsw.limit_in_bytes')).toBe('-1');
  });

  it('writes pids 0 as a real 0 limit and -1 as max', () => {
    fakeV1();
    const m = cgroupManager({ id: 'c1', root, log });
    m.update({ pids: { limit: 0 } });
    expect(read('pids/tsrun/c1/pids.max')).toBe('0');
    m.update({ pids: { limit: -1 } });
    expect(read('pids/tsrun/c1/pids.max')).toBe('max');
  });

  it('names the field when the kernel lacks the file, and the controller when it is not mounted', () => {
    fakeV1();
    rmSync(join(root, 'memory/tsrun/c1/memory.swappiness'));
    const m = cgroupManager({ id: 'c1', root, log });
    expect(() => m.update({ memory: { swappiness: 5 } })).toThrow(/write "5" to memory.swappiness \(linux.resources.memory.swappiness\): no such file or directory/);
    // hugetlb is not mounted here: fine until a value is set
    m.update({ hugepageLimits: [] });
    expect(() => m.update({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] })).toThrow(/hugetlb cgroup controller is not mounted.*\(linux.resources.hugepageLimits\[0\]\)/);
    expect(() => m.update({ network: { classID: 7 } })).toThrow(/net_cls cgroup controller is not mounted.*linux.resources.network.classID/);
    expect(() => m.update({ unified: { 'memory.high': '1' } })).toThrow(/cannot use unified on cgroup v1.*linux.resources.unified/);
    expect(() => m.update({ memory: { swappiness: 101 } })).toThrow(/valid range is 0-100/);
  });

  it('falls back to BFQ weight files, and fails naming the field when neither exists (as runc)', () => {
    fakeV1();
    const m = cgroupManager({ id: 'c1', root, log });
    expect(() => m.update({ blockIO: { weight: 300 } })).toThrow(/blkio.bfq.weight \(linux.resources.blockIO.weight\)/);
    touch(join(root, 'blkio/tsrun/c1'), { 'blkio.bfq.weight': '100', 'blkio.bfq.weight_device': '' });
    m.update({ blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 200 }] } });
    expect(read('blkio/tsrun/c1/blkio.bfq.weight')).toBe('300');
    expect(read('blkio/tsrun/c1/blkio.bfq.weight_device')).toBe('8:0 200');
    touch(join(root, 'blkio/tsrun/c1'), { 'blkio.weight': '500', 'blkio.weight_device': '' });
    m.update({ blockIO: { weight: 400 } });
    expect(read('blkio/tsrun/c1/blkio.weight')).toBe('400');
  });

  it('joins every hierarchy, freezes, lists pids, kills via cgroup.kill, reports stats', () => {
    fakeV1();
    const m = cgroupManager({ id: 'c1', root, log });
    m.join(4242);
    for (const h of ['cpu', 'memory', 'devices', 'freezer', 'systemd', 'unified']) expect(read(`${h}/tsrun/c1/cgroup.procs`)).toBe('4242');
    m.freeze();
    expect(read('freezer/tsrun/c1/freezer.state')).toBe('FROZEN');
    writeFileSync(join(root, 'freezer/tsrun/c1/freezer.self_freezing'), '1\n');
    expect(m.isFrozen()).toBe(true);
    m.thaw();
    expect(m.isFrozen()).toBe(false);
    touch(join(root, 'pids/tsrun/c1/sub'), { 'cgroup.procs': '30\n' });
    writeFileSync(join(root, 'pids/tsrun/c1/cgroup.procs'), '20\n10\n');
    expect(m.pids()).toEqual([10, 20, 30]);
    m.kill(9);
    expect(read('unified/tsrun/c1/cgroup.kill')).toBe('1');
    expect(m.oomKills()).toBe(2);
    const s = m.stats() as any;
    expect(s.pids).toEqual({ current: 2n });
    expect(s.memory.usage).toEqual({ limit: 9223372036854771712n, usage: 4096n, max: 8192n, failcnt: 0n });
    expect(s.memory.cache).toBe(100n);
    expect(s.memory.raw).toEqual({ cache: 100n, rss: 200n });
    expect(s.cpu.usage).toEqual({ total: 5000n, percpu: [3000n, 2000n], percpu_kernel: [1000n, 500n], percpu_user: [2000n, 1500n], kernel: 10000000n, user: 20000000n });
    expect(s.cpu.throttling).toEqual({ periods: 4n, throttledPeriods: 1n, throttledTime: 99n });
    expect(s.blkio.ioServicedRecursive).toEqual([{ major: 8n, op: 'Read', value: 3n }, { major: 8n, op: 'Write', value: 4n }]);
    expect(Object.keys(s)).toEqual(['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces']);
  });

  it('reopens from the stored paths, and destroys leaf first', () => {
    fakeV1();
    const m = cgroupManager({ id: 'c1', root, log });
    const rec = cgroupRecord(m, { memory: { limit: 2n ** 60n }, devices: [] });
    expect(rec.resources).toEqual({ memory: { limit: '1152921504606846976' } });
    const again = managerFor({ tsrun: { cgroup: rec } } as never)!;
    expect(again.version).toBe(1);
    expect(again.paths()).toEqual(m.paths());
    expect(cgroupManagerFromPaths(m.paths()).version).toBe(1);
    // destroy needs empty directories (cgroupfs files are not real files): make a bare tree
    const bare = mkdtempSync(join(tmpdir(), 'tsrun-cg-bare-'));
    try {
      mkdirSync(join(bare, 'memory/tsrun/c1/sub'), { recursive: true });
      mkdirSync(join(bare, 'pids/tsrun/c1'), { recursive: true });
      const b = cgroupManagerFromPaths({ memory: join(bare, 'memory/tsrun/c1'), pids: join(bare, 'pids/tsrun/c1') });
      b.destroy();
      expect(existsSync(join(bare, 'memory/tsrun/c1'))).toBe(false);
      expect(existsSync(join(bare, 'pids/tsrun/c1'))).toBe(false);
      expect(existsSync(join(bare, 'memory/tsrun'))).toBe(true);
      expect(b.exists()).toBe(false);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});

describe('cgroup v2 manager (fake unified tree)', () => {
  it('enables controllers in the parents and converts every resource', () => {
    fakeV2();
    const m = cgroupManager({ id: 'c1', root, log });
    expect(m.version).toBe(2);
    m.create({
      ...full,
      memory: { limit: 67108864, reservation: 33554432, swap: 134217728 },
      cpu: { shares: 1024, quota: 50000, burst: 1000, cpus: '0-1', mems: '0', idle: 0 },
      blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }], throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 100 }] },
      hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
      rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10 } },
      unified: { 'memory.high': '50000000' },
    });
    expect(wrote('cgroup.subtree_control')).toEqual(['+cpuset +cpu +io +memory +hugetlb +pids +rdma']);
    expect(wrote('tsrun/cgroup.subtree_control')).toEqual(['+cpuset +cpu +io +memory +hugetlb +pids +rdma']);
    expect(wrote('tsrun/c1/cgroup.subtree_control')).toEqual([]);
    const leaf = (f: string) => read(`tsrun/c1/${f}`);
    expect(leaf('memory.max')).toBe('67108864');
    expect(leaf('memory.swap.max')).toBe('67108864');
    expect(leaf('memory.low')).toBe('33554432');
    expect(leaf('cpu.weight')).toBe('100');
    expect(leaf('cpu.max')).toBe('50000 100000');
    expect(leaf('cpu.max.burst')).toBe('1000');
    expect(leaf('cpu.idle')).toBe('0');
    expect(leaf('cpuset.cpus')).toBe('0-1');
    expect(leaf('pids.max')).toBe('50');
    expect(leaf('io.weight')).toBe('4950');
    expect(wrote('tsrun/c1/io.max')).toEqual(['8:0 rbps=1048576', '8:16 wiops=100']);
    expect(leaf('hugetlb.2MB.max')).toBe('4194304');
    expect(leaf('hugetlb.2MB.rsvd.max')).toBe('4194304');
    expect(leaf('rdma.max')).toBe('mlx5_1 hca_handle=3 hca_object=10');
    expect(leaf('memory.high')).toBe('50000000');
    expect(m.paths()).toEqual({ '': join(root, 'tsrun/c1') });
    expect(cgroupManagerFromPaths(m.paths()).version).toBe(2);
  });

  it('errors on a controller the cgroup does not have, and on unusable fields', () => {
    fakeV2('tsrun/c1', { ...V2_LEAF, 'cgroup.controllers': 'cpu memory pids' });
    const m = cgroupManager({ id: 'c1', root, log });
    expect(() => m.update({ blockIO: { weight: 100 } })).toThrow(/io cgroup controller is not available.*linux.resources.blockIO/);
    expect(() => m.update({ unified: { 'io.latency': '8:0 target=1' } })).toThrow(/controller "io" not available.*linux.resources.unified\["io.latency"\]/);
    expect(() => m.update({ unified: { 'a/b': '1' } })).toThrow(/no slashes/);
    expect(() => m.update({ network: { classID: 1 } })).toThrow(/no net_cls\/net_prio.*linux.resources.network/);
    expect(() => m.update({ memory: { swap: 100 } })).toThrow(/unable to set swap limit without memory limit.*linux.resources.memory.swap/);
    m.update({ memory: { swappiness: 10, disableOOMKiller: true } });
    expect(warnings.join('\n')).toMatch(/swappiness is ignored on cgroup v2/);
    expect(() => m.update({ memory: { limit: 1000, checkBeforeUpdate: true } })).toThrow(/rejecting memory limit 1000 <= usage 4096/);
  });

  it('writes cpu.max with max when only the period is given, and io.bfq.weight when BFQ is there', () => {
    fakeV2('tsrun/c1', { ...V2_LEAF, 'io.bfq.weight': 'default 100' });
    const m = cgroupManager({ id: 'c1', root, log });
    m.update({ cpu: { period: 200000 }, blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 50 }] } });
    expect(read('tsrun/c1/cpu.max')).toBe('max 200000');
    expect(wrote('tsrun/c1/io.bfq.weight')).toEqual(['300', '8:0 50']);
  });

  it('freezes through cgroup.freeze, kills through cgroup.kill, reports stats and OOM kills', () => {
    fakeV2();
    const m = cgroupManager({ id: 'c1', root, log });
    m.freeze();
    expect(read('tsrun/c1/cgroup.freeze')).toBe('1');
    expect(m.isFrozen()).toBe(true);
    m.thaw();
    expect(m.isFrozen()).toBe(false);
    m.kill(9);
    expect(read('tsrun/c1/cgroup.kill')).toBe('1');
    expect(m.oomKills()).toBe(1);
    const s = m.stats() as any;
    expect(s.memory.usage).toEqual({ limit: 18446744073709551615n, usage: 4096n, max: 8192n, failcnt: 0n });
    expect(s.memory.cache).toBe(20n);
    expect(s.pids).toEqual({ current: 1n });
    expect(s.cpu.usage).toEqual({ total: 10000n, kernel: 4000n, user: 6000n });
    expect(s.blkio.ioServiceBytesRecursive).toEqual([{ major: 8n, op: 'Read', value: 100n }, { major: 8n, op: 'Write', value: 200n }]);
    expect(s.cpuset).toEqual({ cpu_exclusive: 0n, mem_hardwall: 0n, mem_exclusive: 0n, memory_migrate: 0n, memory_spread_page: 0n, memory_spread_slab: 0n, memory_pressure: 0n, sched_load_balance: 0n, sched_relax_domain_level: 0n });
  });

  it('removes the directories it made when applying fails', () => {
    touch(root, { 'cgroup.controllers': 'cpu', 'cgroup.subtree_control': '' });
    const m = cgroupManager({ id: 'c9', root, log });
    expect(() => m.create({ pids: { limit: 5 } })).toThrow(/pids cgroup controller is not available/);
    expect(existsSync(join(root, 'tsrun/c9'))).toBe(false);
    expect(existsSync(join(root, 'tsrun'))).toBe(false);
  });
});
