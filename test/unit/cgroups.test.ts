// Pure parts of src/cgroups: conversions, paths, host detection, device rules, update merging.
import { describe, expect, it } from 'vitest';
import { cgroupMounts, parseMountinfo } from '../../src/cgroups/detect.js';
import { deviceRules, ruleString } from '../../src/cgroups/devices.js';
import { cgroupInnerPath } from '../../src/cgroups/path.js';
import { formatCpuTime, formatStime, ttyName } from '../../src/cgroups/ps-table.js';
import { goJson } from '../../src/cgroups/stats.js';
import { mergeUpdate, resourcesFromFlags } from '../../src/cgroups/update.js';
import { blkioToIoWeight, memorySwapToV2, pidsMax, ramInBytes, sharesToWeight } from '../../src/cgroups/values.js';

describe('v1 -> v2 conversions (runc)', () => {
  it('maps cpu shares to weight with the quadratic of opencontainers/cgroups', () => {
    expect(sharesToWeight(0n)).toBe(0n);
    expect(sharesToWeight(2n)).toBe(1n);
    expect(sharesToWeight(1n)).toBe(1n);
    expect(sharesToWeight(1024n)).toBe(100n);
    expect(sharesToWeight(262144n)).toBe(10000n);
    expect(sharesToWeight(500000n)).toBe(10000n);
    expect(sharesToWeight(512n)).toBe(59n);
    // runc 1.4.0-rc.1 / 1.3.2 (opencontainers/runc#4896): --cpu-shares 2000 is 170, where the old
    // linear 1 + (shares-2)*9999/262142 of runc <= 1.3.1 gave 77.
    expect(sharesToWeight(2000n)).toBe(170n);
    expect(sharesToWeight(2048n)).toBe(174n);
    expect(sharesToWeight(100n)).toBe(17n);
  });
  it('maps blkio weight to io.weight', () => {
    expect(blkioToIoWeight(0n)).toBe(0n);
    expect(blkioToIoWeight(10n)).toBe(1n);
    expect(blkioToIoWeight(500n)).toBe(4950n);
    expect(blkioToIoWeight(1000n)).toBe(10000n);
  });
  it('turns memory+swap into swap only', () => {
    expect(memorySwapToV2(134217728n, 67108864n)).toBe(67108864n);
    expect(memorySwapToV2(0n, -1n)).toBe(-1n);
    expect(memorySwapToV2(-1n, 100n)).toBe(-1n);
    expect(memorySwapToV2(0n, 100n)).toBe(0n);
    expect(memorySwapToV2(500n, -1n)).toBe(500n);
    expect(memorySwapToV2(100n, 100n)).toBe(0n);
    expect(() => memorySwapToV2(100n, 0n)).toThrow(/without memory limit/);
    expect(() => memorySwapToV2(50n, 100n)).toThrow(/should be >= memory limit/);
  });
  it('writes pids limits as runc 1.4', () => {
    expect(pidsMax(50n)).toBe('50');
    expect(pidsMax(0n)).toBe('0');
    expect(pidsMax(-1n)).toBe('max');
  });
  it('parses sizes like docker/go-units RAMInBytes', () => {
    expect(ramInBytes('64m')).toBe(67108864n);
    expect(ramInBytes('1g')).toBe(1073741824n);
    expect(ramInBytes('1.5GiB')).toBe(1610612736n);
    expect(ramInBytes('1024')).toBe(1024n);
    expect(() => ramInBytes('lots')).toThrow(/invalid size/);
  });
});

describe('cgroup paths', () => {
  it('defaults to /tsrun/<id> and puts relative paths under /tsrun', () => {
    expect(cgroupInnerPath('c1', undefined, false)).toBe('/tsrun/c1');
    expect(cgroupInnerPath('c1', 'foo/bar', false)).toBe('/tsrun/foo/bar');
    expect(cgroupInnerPath('c1', '/default/c1', false)).toBe('/default/c1');
    expect(cgroupInnerPath('c1', '/a//b/./c/../d/', false)).toBe('/a/b/d');
    expect(cgroupInnerPath('c1', '/../../x', false)).toBe('/x');
  });
  it('maps systemd paths to the unit\'s cgroup, and refuses them without --systemd-cgroup', () => {
    expect(cgroupInnerPath('c1', 'system.slice:docker:abc', true)).toBe('/system.slice/docker-abc.scope');
    expect(cgroupInnerPath('c1', undefined, true)).toBe('/system.slice/tsrun-c1.scope');
    expect(() => cgroupInnerPath('c1', 'system.slice:docker:abc', false)).toThrow(/slice:prefix:name form.*linux.cgroupsPath/);
    expect(() => cgroupInnerPath('c1', '/', false)).toThrow(/root cgroup/);
  });
});

describe('host detection from mountinfo', () => {
  it('sees this kind of hybrid host as v1 for controllers', () => {
    const text = [
      '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
      '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
      '33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
      '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
      '36 31 0:33 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio',
      '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
      '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    ].join('\n');
    const h = parseMountinfo(text);
    expect(h.mode).toBe('hybrid');
    expect(h.unified).toBe('/sys/fs/cgroup/unified');
    expect(h.v1).toEqual({ cpu: '/sys/fs/cgroup/cpu', cpuacct: '/sys/fs/cgroup/cpuacct', memory: '/sys/fs/cgroup/memory', net_cls: '/sys/fs/cgroup/net_cls,net_prio', net_prio: '/sys/fs/cgroup/net_cls,net_prio', 'name=systemd': '/sys/fs/cgroup/systemd' });
  });
  it('does not trust a line whose mount point is now another mount (a tmpfs over /sys/fs/cgroup)', () => {
    const text = [
      '31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755',
      '32 31 0:29 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset',
      '35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
      '41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
      '90 23 0:60 / /sys/fs/cgroup rw - tmpfs tmpfs rw',
      '91 90 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
    ].join('\n');
    // What stat(2) of each mount point now says: only the memory hierarchy mounted again is live.
    const live: Record<string, string> = { '/sys/fs/cgroup': '0:60', '/sys/fs/cgroup/memory': '0:32' };
    const check = (path: string, dev: string) => live[path] === dev;
    expect(cgroupMounts(text, check).map((m) => `${m.mountPoint} ${m.dev}`)).toEqual(['/sys/fs/cgroup/memory 0:32', '/sys/fs/cgroup/memory 0:32']);
    expect(parseMountinfo(text, check)).toEqual({ mode: 'v1', unified: undefined, v1: { memory: '/sys/fs/cgroup/memory' } });
  });
  it('sees a pure v2 host', () => {
    const h = parseMountinfo('25 19 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n');
    expect(h).toEqual({ mode: 'v2', unified: '/sys/fs/cgroup', v1: {} });
  });
});

describe('device rules', () => {
  it('keeps the config order and appends runc\'s allowed devices', () => {
    const rules = deviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }, { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' }]);
    expect(rules.map(ruleString)).toEqual([
      'a *:* rwm', 'c 1:3 rw', 'c 10:229 rwm',
      'c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:200 rwm',
    ]);
    expect(rules.map((r) => r.allow).slice(0, 4)).toEqual([false, true, false, true]);
  });
  it('starts from deny-all when the config has no rules (runc\'s whitelist), without a duplicate when it does', () => {
    expect(deviceRules(undefined).map(ruleString)[0]).toBe('a *:* rwm');
    expect(deviceRules(undefined)[0].allow).toBe(false);
    expect(deviceRules([{ allow: false, access: 'rwm' }]).filter((r) => r.type === 'a').length).toBe(1);
    expect(deviceRules([{ allow: true, access: 'rwm' }]).map((r) => `${r.allow} ${ruleString(r)}`).slice(0, 2)).toEqual(['false a *:* rwm', 'true a *:* rwm']);
  });
  it('drops a default whose path linux.devices redefines, as runc does', () => {
    const rules = deviceRules([], [{ path: '/dev/null', type: 'c', major: 1, minor: 3 }]);
    expect(rules.map(ruleString)).not.toContain('c 1:3 rwm');
  });
  it('refuses empty access', () => {
    expect(() => deviceRules([{ allow: true, access: '' }])).toThrow(/linux.resources.devices\[0\]/);
  });
});

describe('update', () => {
  it('reads runc\'s flags', () => {
    const r = resourcesFromFlags({ memory: '64m', 'memory-swap': '-1', 'cpu-quota': '50000', 'cpu-share': '512', 'pids-limit': 50, 'blkio-weight': 300, 'cpuset-cpus': '0' });
    expect(r).toEqual({ memory: { limit: 67108864, swap: -1 }, cpu: { quota: 50000, shares: 512, cpus: '0' }, blockIO: { weight: 300 }, pids: { limit: 50 } });
    expect(() => resourcesFromFlags({ 'cpu-period': 'x' })).toThrow(/invalid value for cpu-period/);
  });
  it('keeps the old period when only the quota changes, and vice versa', () => {
    const stored = { cpu: { quota: 20000, period: 50000, shares: 1024 } };
    expect(mergeUpdate(stored, { cpu: { quota: 30000 } }).cpu).toEqual({ quota: 30000, period: 50000, shares: 1024 });
    expect(mergeUpdate(stored, { cpu: { period: 80000 } }).cpu).toEqual({ quota: 20000, period: 80000, shares: 1024 });
    expect(mergeUpdate(stored, { cpu: {} }).cpu).toEqual({ quota: 0, period: 0, shares: 1024 });
  });
  it('merges Docker\'s payload (zeros mean unset) and drops devices', () => {
    const stored = { devices: [{ allow: false, access: 'rwm' }], memory: { limit: 1000, swap: 2000 }, hugepageLimits: [{ pageSize: '2MB', limit: 0 }] };
    const m = mergeUpdate(stored as never, { memory: { limit: 67108864, reservation: 0, swap: 134217728, kernel: 0 }, cpu: { shares: 0, quota: 0, period: 0 }, blockIO: { weight: 0 } });
    expect(m.devices).toBeUndefined();
    expect(m.memory).toMatchObject({ limit: 67108864, reservation: 0, swap: 134217728, kernel: 0, checkBeforeUpdate: false });
    expect(m.pids).toBeUndefined();
    expect(m.hugepageLimits).toEqual([{ pageSize: '2MB', limit: 0 }]);
  });
  it('applies runc\'s fix-ups', () => {
    expect(mergeUpdate({ memory: { limit: 100, swap: 200 } }, { memory: { limit: -1 } }).memory).toMatchObject({ limit: -1, swap: 0 });
    expect(mergeUpdate({ cpu: { shares: 512 } }, { cpu: { idle: 1 } }).cpu).toMatchObject({ idle: 1, shares: 0 });
  });
  it('upserts per-device throttles', () => {
    const stored = { blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 100 }] } };
    const m = mergeUpdate(stored, { blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 200 }, { major: 8, minor: 16, rate: 5 }] } });
    expect(m.blockIO!.throttleReadBpsDevice).toEqual([{ major: 8, minor: 0, rate: 200 }, { major: 8, minor: 16, rate: 5 }]);
  });
});

describe('output helpers', () => {
  it('prints uint64 exactly', () => {
    expect(goJson({ a: 18446744073709551615n, b: [1n], c: 'x', d: null })).toBe('{"a":18446744073709551615,"b":[1],"c":"x","d":null}');
  });
  it('formats ps -ef columns', () => {
    expect(ttyName(0)).toBe('?');
    expect(ttyName((136 << 8) | 3)).toBe('pts/3');
    expect(ttyName((4 << 8) | 1)).toBe('tty1');
    expect(formatCpuTime(3725)).toBe('01:02:05');
    expect(formatCpuTime(90061)).toBe('1-01:01:01');
    const now = new Date(2026, 10, 22, 12, 0);
    expect(formatStime(new Date(2026, 10, 22, 9, 5), now)).toBe('09:05');
    expect(formatStime(new Date(2026, 0, 3, 9, 5), now)).toBe('Jan03');
  });
});
