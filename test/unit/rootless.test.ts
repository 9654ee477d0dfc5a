// runc's rootless rules as pure functions: who tsrun runs as, --root, the cgroup placement and what
// is skipped, the config checks, the id-map tools' argv, and the plan's rootless steps.
import { describe, expect, it } from 'vitest';
import { rootlessSpec } from '../../src/config/default-spec.js';
import type { Spec } from '../../src/config/gen/config.js';
import { checkRootlessConfig } from '../../src/config/rootless.js';
import { NoCgroupManager, ownCgroups, rootlessCgroupBinds, rootlessManager } from '../../src/cgroups/rootless.js';
import type { HostLayout } from '../../src/cgroups/detect.js';
import { mapsOnlyOwnGid, toolArgv } from '../../src/lifecycle/idmap.js';
import { buildPlan, type PlanInput } from '../../src/plan/build.js';
import { keepLockedFlags, statfsToMountFlags } from '../../src/plan/mount-options.js';
import { MS } from '../../src/plan/tables.js';
import { SyncKind } from '../../src/plan/ops.gen.js';
import { parseBoolOrAuto, uidMapInUserNS } from '../../src/sys/userns.js';

describe('who tsrun runs as', () => {
  it('is in a user namespace unless uid_map is the initial one (runc\'s RunningInUserNS)', () => {
    expect(uidMapInUserNS('         0          0 4294967295')).toBe(false);
    expect(uidMapInUserNS('         0       1000          1')).toBe(true);
    expect(uidMapInUserNS('')).toBe(true);
    expect(uidMapInUserNS('garbage')).toBe(false);
  });

  it('reads --rootless as runc does', () => {
    expect(parseBoolOrAuto('auto')).toBeUndefined();
    expect(parseBoolOrAuto('')).toBeUndefined();
    expect(parseBoolOrAuto('true')).toBe(true);
    expect(parseBoolOrAuto('0')).toBe(false);
    expect(() => parseBoolOrAuto('maybe')).toThrow(/invalid --rootless value "maybe"; use true, false or auto/);
  });
});

const V1: HostLayout = {
  mode: 'hybrid', unified: '/sys/fs/cgroup/unified',
  v1: { cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct', memory: '/sys/fs/cgroup/memory', freezer: '/sys/fs/cgroup/freezer', 'name=systemd': '/sys/fs/cgroup/systemd' },
};
const SELF = '5:memory:/user.slice/u\n4:freezer:/mine\n2:cpu,cpuacct:/\n1:name=systemd:/user.slice\n0::/user.slice/session-1.scope\n';

describe('rootless cgroups', () => {
  it('parses /proc/self/cgroup', () => {
    expect(ownCgroups(SELF)).toEqual({ memory: '/user.slice/u', freezer: '/mine', cpu: '/', cpuacct: '/', 'name=systemd': '/user.slice', '': '/user.slice/session-1.scope' });
  });

  it('v1: <own cgroup>/<id> per hierarchy, the ones it may not write skipped, and a limit there refused', () => {
    const tried: string[] = [];
    const m = rootlessManager(V1, 'c1', undefined, undefined, () => SELF, (d) => { tried.push(d); return d.startsWith('/sys/fs/cgroup/freezer'); });
    expect(m.paths()).toEqual({ freezer: '/sys/fs/cgroup/freezer/mine/c1' });
    expect(tried).toContain('/sys/fs/cgroup/memory/user.slice/u/c1');
    expect(tried).toContain('/sys/fs/cgroup/unified/user.slice/session-1.scope/c1');
    expect(m.joinTargets()).toEqual({ into: undefined, tasks: ['/sys/fs/cgroup/freezer/mine/c1/tasks'] });
    expect(() => m.create({ memory: { limit: 1 << 20 } })).toThrow(/cannot set memory limit: container could not join or create cgroup \(linux\.resources\.memory\): \/sys\/fs\/cgroup\/memory\/user\.slice\/u\/c1; tsrun runs rootless/);
    // Device rules are not expected to work rootless: ignored.
    expect(() => rootlessManager(V1, 'c1', undefined, undefined, () => SELF, () => false).create({ devices: [{ allow: false, access: 'rwm' }] })).not.toThrow();
  });

  it('nothing writable: no cgroup at all; pause says so in runc\'s words', () => {
    const m = rootlessManager(V1, 'c1', undefined, undefined, () => SELF, () => false);
    expect(m).toBeInstanceOf(NoCgroupManager);
    expect(m.paths()).toEqual({});
    expect(m.exists()).toBe(false);
    expect(() => m.freeze()).toThrow(/cannot toggle freezer: cgroups not configured for container/);
    expect(() => m.create({ pids: { limit: 10 } })).toThrow(/cannot set pids limit.*\(linux\.resources\.pids\.limit\)/);
    expect(() => m.create({})).not.toThrow();
  });

  it('v2: <parent of own cgroup>/<id> (a cgroup with processes has no controllers for children)', () => {
    const v2: HostLayout = { mode: 'v2', unified: '/sys/fs/cgroup', v1: {} };
    const self = '0::/user.slice/user-1000.slice/user@1000.service/app.slice/run-1.scope\n';
    expect(rootlessManager(v2, 'c1', undefined, undefined, () => self, () => true).paths()).toEqual({ '': '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/c1' });
    expect(rootlessManager(v2, 'c1', undefined, undefined, () => self, () => false)).toBeInstanceOf(NoCgroupManager);
  });

  it('a cgroupsPath: absolute, or relative to the same place; never probed (its errors count)', () => {
    const never = () => { throw new Error('probed'); };
    expect(rootlessManager(V1, 'c1', '/deleg/c1', undefined, () => SELF, never).paths().memory).toBe('/sys/fs/cgroup/memory/deleg/c1');
    expect(rootlessManager(V1, 'c1', 'sub/c1', undefined, () => SELF, never).paths().memory).toBe('/sys/fs/cgroup/memory/user.slice/u/sub/c1');
    expect(() => rootlessManager(V1, 'c1', '/', undefined, () => SELF, never)).toThrow(/root cgroup/);
  });

  it('the cgroup mounts bind the container\'s cgroup where it has one, tsrun\'s own where not', () => {
    const m = rootlessManager(V1, 'c1', undefined, undefined, () => SELF, (d) => d.startsWith('/sys/fs/cgroup/freezer'));
    expect(rootlessCgroupBinds(m, V1, () => SELF)).toEqual({
      '/sys/fs/cgroup/cpu,cpuacct': '/sys/fs/cgroup/cpu,cpuacct/', '/sys/fs/cgroup/memory': '/sys/fs/cgroup/memory/user.slice/u',
      '/sys/fs/cgroup/freezer': '/sys/fs/cgroup/freezer/mine/c1', '/sys/fs/cgroup/systemd': '/sys/fs/cgroup/systemd/user.slice',
      '/sys/fs/cgroup/unified': '/sys/fs/cgroup/unified/user.slice/session-1.scope',
    });
  });
});

describe('runc\'s rootless config checks', () => {
  const spec = (edit: (s: Spec) => void) => { const s = rootlessSpec(1000, 1000); edit(s); return s; };
  it('passes what spec --rootless writes', () => {
    expect(() => checkRootlessConfig(rootlessSpec(1000, 1000))).not.toThrow();
  });
  it('needs a user namespace, and mappings for a new one', () => {
    expect(() => checkRootlessConfig(spec((s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'user'); }))).toThrow(/rootless container requires user namespaces \(linux\.namespaces\)/);
    expect(() => checkRootlessConfig(spec((s) => { delete s.linux!.gidMappings; }))).toThrow(/rootless containers requires at least one GID mapping/);
    expect(() => checkRootlessConfig(spec((s) => { s.linux!.namespaces!.find((n) => n.type === 'user')!.path = '/proc/1/ns/user'; delete s.linux!.uidMappings; delete s.linux!.gidMappings; }))).not.toThrow();
  });
  it('uid= and gid= options must be mapped ids', () => {
    expect(() => checkRootlessConfig(spec((s) => { s.mounts![2].options!.push('gid=5'); }))).toThrow(/cannot specify gid=5 mount option for rootless container \(mounts\[2\]\.options\)/);
    expect(() => checkRootlessConfig(spec((s) => { s.mounts![2].options!.push('gid=0', 'uid=x'); }))).not.toThrow();
  });
});

describe('id maps', () => {
  it('setgroups is denied only for runc\'s single own-gid mapping', () => {
    expect(mapsOnlyOwnGid([{ containerID: 0, hostID: 1000, size: 1 }], 1000)).toBe(true);
    expect(mapsOnlyOwnGid([{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }], 1000)).toBe(false);
    expect(mapsOnlyOwnGid([{ containerID: 5, hostID: 1000, size: 1 }], 1000)).toBe(false);
  });
  it('newuidmap gets runc\'s argv: the pid, then the map\'s numbers', () => {
    expect(toolArgv('/usr/bin/newuidmap', 42, '0 1000 1\n1 100000 65536\n')).toEqual(['/usr/bin/newuidmap', '42', '0', '1000', '1', '1', '100000', '65536']);
  });
});

describe('mount flags a user namespace locks', () => {
  it('statfs flags as mount flags (neither noatime nor relatime: strictatime)', () => {
    expect(statfsToMountFlags(2 | 4 | 4096)).toBe(MS.NOSUID | MS.NODEV | MS.RELATIME);
    expect(statfsToMountFlags(1)).toBe(MS.RDONLY | MS.STRICTATIME);
  });
  it('keeps the source\'s lockable flags unless the options clear them or give an atime mode', () => {
    const src = MS.NOSUID | MS.NODEV | MS.RELATIME;
    expect(keepLockedFlags(MS.RDONLY, ['ro'], src)).toBe(MS.RDONLY | MS.NOSUID | MS.NODEV | MS.RELATIME);
    expect(keepLockedFlags(MS.RDONLY, ['ro', 'suid'], src)).toBe(MS.RDONLY | MS.NODEV | MS.RELATIME);
    expect(keepLockedFlags(MS.NOATIME, ['noatime'], src)).toBe(MS.NOATIME | MS.NOSUID | MS.NODEV);
  });
});

describe('the plan of a rootless container', () => {
  const input = (spec: Spec, runAs: PlanInput['runAs']): PlanInput => ({
    spec, id: 'c1', bundle: '/b', rootfs: '/b/rootfs', noPivot: false, waitForStart: true, fds: { fifo: 4, firstToClose: 3 }, cgroupPath: '/tsrun/c1',
    host: { sourceKind: () => 'dir', cgroup: { v1: [{ options: 'memory', mountpoint: '/sys/fs/cgroup/memory' }] }, mountFlags: () => MS.NOSUID | MS.NODEV | MS.RELATIME },
    runAs,
  });
  const spec = () => {
    const s = rootlessSpec(1000, 1000, { cgroupns: false });
    s.process!.terminal = false;
    s.mounts!.push({ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ro'] });
    s.process!.user = { uid: 0, gid: 0, additionalGids: [5] };
    return s;
  };

  it('a non-root user: dumpable while the maps are written, no host-side clones, no supplementary groups, locked flags kept', () => {
    const p = buildPlan(input(spec(), { rootlessEUID: true, inUserNs: false }));
    const o = p.steps.map((s) => s.op);
    const sync = o.findIndex((x) => x.op === 'sync' && x.kind === SyncKind.usermap);
    expect(o[sync - 1]).toMatchObject({ op: 'set_dumpable', on: 1 });
    expect(o[sync + 1]).toMatchObject({ op: 'set_dumpable', on: 0 });
    expect(o.some((x) => x.op === 'hold_tree')).toBe(false);
    expect(o.filter((x) => x.op === 'set_user').at(-1)).toMatchObject({ setGroups: 0, groups: [5] });
    const remount = p.steps.find((s) => s.what.startsWith('remount /data'))!;
    expect((remount.op as { flags: number }).flags).toBe(MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.RELATIME);
    // The cgroup mount binds what the manager says (no cgroup namespace on v1).
    const p2 = buildPlan({ ...input(spec(), { rootlessEUID: true, inUserNs: false }), cgroupBinds: { '/sys/fs/cgroup/memory': '/sys/fs/cgroup/memory/mine' } });
    expect(p2.steps.some((s) => s.op.op === 'mount' && s.op.source === '/sys/fs/cgroup/memory/mine')).toBe(true);
  });

  it('root of someone else\'s user namespace: devices bound, not made, even without a user namespace of its own', () => {
    const s = spec();
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'user');
    delete s.linux!.uidMappings;
    delete s.linux!.gidMappings;
    const o = buildPlan(input(s, { rootlessEUID: false, inUserNs: true })).steps.map((x) => x.op);
    expect(o.some((x) => x.op === 'mknod')).toBe(false);
    expect(o.some((x) => x.op === 'mount' && x.source === '/dev/null' && x.target === '/dev/null')).toBe(true);
    expect(o.filter((x) => x.op === 'set_user').at(-1)).toMatchObject({ setGroups: 1 });
  });
});
