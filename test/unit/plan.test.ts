// The plan is pure: a config and host facts in, the steps out. These tests need no root.
import { describe, expect, it } from 'vitest';
import { defaultSpec } from '../../src/config/default-spec.js';
import type { Spec } from '../../src/config/gen/config.js';
import { buildPlan, type PlanInput } from '../../src/plan/build.js';
import { formatPlan } from '../../src/plan/format.js';
import { parseMountOptions } from '../../src/plan/mount-options.js';
import { MOUNT_ATTR, MS, NS_FLAGS } from '../../src/plan/tables.js';
import { cgroupLayout } from '../../src/lifecycle/host.js';
import { cgroupMounts } from '../../src/cgroups/detect.js';

function plan(edit?: (s: Spec) => void, extra: Partial<PlanInput> = {}) {
  const spec = defaultSpec();
  spec.process!.terminal = false;
  edit?.(spec);
  return buildPlan({
    spec, id: 'c1', bundle: '/b', rootfs: '/b/rootfs', noPivot: false, waitForStart: true,
    fds: { fifo: 4, firstToClose: 3 },
    cgroupPath: '/tsrun/c1',
    host: {
      sourceKind: (p) => (p.endsWith('.conf') ? 'file' : p === '/missing' ? undefined : 'dir'),
      cgroup: { v1: [{ options: 'cpu,cpuacct', mountpoint: '/sys/fs/cgroup/cpu,cpuacct' }, { options: 'memory', mountpoint: '/sys/fs/cgroup/memory' }, { options: 'name=systemd', mountpoint: '/sys/fs/cgroup/systemd' }] },
    },
    ...extra,
  });
}
const ops = (p: ReturnType<typeof plan>) => p.steps.map((s) => s.op.op);

describe('mount options', () => {
  it('maps flags, clears, propagation, recursive attributes and data like runc', () => {
    const o = parseMountOptions(['nosuid', 'noexec', 'ro', 'rw', 'rprivate', 'rro', 'rnoatime', 'mode=755', 'size=65536k', 'tmpcopyup']);
    expect(o.flags).toBe(MS.NOSUID | MS.NOEXEC);
    expect(o.propagation).toEqual([MS.PRIVATE | MS.REC]);
    expect(o.attrSet).toBe(MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOATIME);
    expect(o.attrClr).toBe(MOUNT_ATTR._ATIME);
    expect(o.data).toBe('mode=755,size=65536k');
    expect(o.extensions).toEqual(['tmpcopyup']);
    expect(parseMountOptions(['rbind']).flags).toBe(MS.BIND | MS.REC);
  });
});

describe('launch plan', () => {
  it('orders the steps as runc does', () => {
    const o = ops(plan((s) => (s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 20 }])));
    const at = (op: string) => (o as string[]).indexOf(op);
    expect(at('setrlimit')).toBeLessThan(at('unshare'));
    expect(at('unshare')).toBeLessThan(at('fork'));
    expect(at('fork')).toBeLessThan(at('open_root'));
    expect(at('mount')).toBeLessThan(at('pivot_root'));
    expect(at('pivot_root')).toBeLessThan(at('sethostname'));
    expect(at('sethostname')).toBeLessThan(at('readonly_path'));
    expect(at('readonly_path')).toBeLessThan(at('mask_path'));
    expect(at('caps_bounding')).toBeLessThan(at('set_user'));
    expect(at('set_user')).toBeLessThan(at('caps_set'));
    // runc's finalizeNamespace: chdir as root first, again as the user when root was refused.
    expect(at('chdir')).toBeLessThan(at('caps_bounding'));
    expect(o.lastIndexOf('chdir')).toBeGreaterThan(at('set_user'));
    expect(o.lastIndexOf('chdir')).toBeLessThan(at('caps_set'));
    expect(at('chown_stdio')).toBeLessThan(at('set_user'));
    expect(at('unshare')).toBeLessThan(at('loopback_up'));
    expect(at('exec_lookup')).toBeLessThan(at('sync'));
    expect(o.slice(-3)).toEqual(['close_channel', 'wait_fifo', 'exec']);
    expect(at('close_fds')).toBeLessThan(at('caps_bounding'));
  });

  it('creates new namespaces with one unshare and joins given ones, user first of the rest, mount last', () => {
    const p = plan((s) => {
      s.linux!.namespaces = [{ type: 'mount', path: '/proc/1/ns/mnt' }, { type: 'network', path: '/var/run/netns/x' }, { type: 'user', path: '/proc/9/ns/user' }, { type: 'pid' }, { type: 'uts' }];
    });
    const setns = p.steps.filter((s) => s.op.op === 'setns').map((s) => [(s.op as { path: string }).path, s.configPath]);
    expect(setns).toEqual([['/var/run/netns/x', 'linux.namespaces[1].path'], ['/proc/9/ns/user', 'linux.namespaces[2].path'], ['/proc/1/ns/mnt', 'linux.namespaces[0].path']]);
    const unshare = p.steps.find((s) => s.op.op === 'unshare')!.op as { flags: number };
    expect(unshare.flags).toBe(NS_FLAGS.pid | NS_FLAGS.uts);
  });

  it('a new user namespace syncs for the id maps and binds devices instead of mknod', () => {
    const p = plan((s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 10 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 2000, size: 10 }];
    });
    expect(p.usermap).toEqual({ uidMap: '0 1000 10\n', gidMap: '0 2000 10\n' });
    expect(ops(p).slice(ops(p).indexOf('unshare'), ops(p).indexOf('unshare') + 3)).toEqual(['unshare', 'sync', 'set_user']);
    expect(ops(p)).not.toContain('mknod');
    expect(p.steps.some((s) => s.what === 'create the default device /dev/null (bound from the host)')).toBe(true);
  });

  it('forks only for a pid or time namespace', () => {
    expect(ops(plan())).toContain('fork');
    const p = plan((s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid')));
    expect(ops(p)).not.toContain('fork');
    expect(ops(p)).toContain('report_pid');
  });

  it('writes time offsets through the runtime for a new time namespace', () => {
    const p = plan((s) => {
      s.linux!.namespaces!.push({ type: 'time' });
      s.linux!.timeOffsets = { monotonic: { secs: 100, nanosecs: 5 }, boottime: { secs: -3 } };
    });
    expect(p.timeOffsets).toBe('monotonic 100 5\nboottime -3 0\n');
  });

  it('bind mounts: relative sources against the bundle, files as files, per-mount flags by remount', () => {
    const p = plan((s) => s.mounts!.push({ destination: '/etc/resolv.conf', source: 'resolv.conf', options: ['rbind', 'ro', 'rprivate'] }));
    const m = p.steps.filter((s) => s.configPath?.startsWith('mounts[7]'));
    expect(m.map((s) => s.op)).toEqual([
      expect.objectContaining({ op: 'mount', source: '/b/resolv.conf', target: '/etc/resolv.conf', flags: MS.BIND | MS.REC, mkdir: 2 }),
      expect.objectContaining({ op: 'mount', source: '', flags: MS.BIND | MS.REMOUNT | MS.RDONLY }),
      expect.objectContaining({ op: 'mount', flags: MS.PRIVATE | MS.REC }),
    ]);
  });

  it('a missing bind source fails before anything runs, naming the field', () => {
    expect(() => plan((s) => s.mounts!.push({ destination: '/x', source: '/missing', options: ['bind'] }))).toThrow(/mount "\/missing" on \/x \(mounts\[7\].source\): no such file or directory/);
  });

  it('a cgroup mount on a v1 host with a cgroup namespace: a tmpfs with one fresh mount per hierarchy', () => {
    const steps = plan().steps.filter((s) => s.configPath === 'mounts[6]').map((s) => s.what);
    expect(steps).toEqual([
      'mount cgroup "cgroup" on /sys/fs/cgroup (a tmpfs holding the v1 hierarchies)',
      'mount the cgroup v1 hierarchy cpu,cpuacct on /sys/fs/cgroup/cpu,cpuacct',
      'link /sys/fs/cgroup/cpu to cpu,cpuacct',
      'link /sys/fs/cgroup/cpuacct to cpu,cpuacct',
      'mount the cgroup v1 hierarchy memory on /sys/fs/cgroup/memory',
      'mount the cgroup v1 hierarchy name=systemd on /sys/fs/cgroup/systemd',
    ]);
  });

  it('without a cgroup namespace, the container\'s own cgroup of each hierarchy is bound (not the host\'s tree)', () => {
    const p = plan((s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'cgroup')));
    const binds = p.steps.filter((s) => s.configPath === 'mounts[6]' && s.op.op === 'mount' && (s.op as { source: string }).source.startsWith('/sys'));
    expect(binds.map((s) => [(s.op as { source: string }).source, (s.op as { target: string }).target])).toEqual([
      ['/sys/fs/cgroup/cpu,cpuacct/tsrun/c1', '/sys/fs/cgroup/cpu,cpuacct'],
      ['/sys/fs/cgroup/memory/tsrun/c1', '/sys/fs/cgroup/memory'],
      ['/sys/fs/cgroup/systemd/tsrun/c1', '/sys/fs/cgroup/systemd'],
    ]);
  });

  it('ignores unknown capability names with a warning, as runc 1.2 does', () => {
    const p = plan((s) => s.process!.capabilities!.bounding!.push('CAP_FLY'));
    expect(p.warnings).toContain('process.capabilities: ignoring unknown capabilities: CAP_FLY');
    const bounding = p.steps.find((s) => s.op.op === 'caps_bounding')!.op as { keep: bigint };
    expect(bounding.keep).toBe((1n << 29n) | (1n << 5n) | (1n << 10n));
  });

  it('skips ambient capabilities that are not also inheritable and permitted (runc spec asks for them)', () => {
    const p = plan((s) => {
      s.process!.capabilities!.ambient = ['CAP_KILL', 'CAP_AUDIT_WRITE'];
      s.process!.capabilities!.inheritable = ['CAP_KILL'];
      s.process!.capabilities!.permitted = ['CAP_KILL', 'CAP_AUDIT_WRITE'];
    });
    const set = p.steps.find((s) => s.op.op === 'caps_set')!.op as { ambient: bigint; inheritable: bigint };
    expect(set.ambient).toBe(1n << 5n);
    expect(p.warnings!.join('\n')).toMatch(/ambient: cannot raise CAP_AUDIT_WRITE: an ambient capability must also be in the permitted and inheritable sets/);
  });

  it('without a mount namespace: mounts under the rootfs bind made private, a chroot, / left alone; a process is required', () => {
    const p = plan((s) => (s.linux!.namespaces = [{ type: 'pid' }]));
    const o = ops(p);
    expect(o).toContain('chroot_root');
    expect(o).not.toContain('pivot_root');
    expect(p.steps.some((s) => s.op.op === 'mount' && s.op.target === '/' && !s.op.inRoot)).toBe(false);
    expect(p.steps.find((s) => s.op.op === 'mount' && s.op.target === '/b/rootfs' && (Number(s.op.flags) & MS.PRIVATE))).toBeTruthy();
    expect(p.hostMounts).toBe('/b/rootfs');
    expect(() => plan((s) => delete s.process)).toThrow(/nothing to run/);
  });

  it('prints as readable steps with their config paths (--dry-run)', () => {
    const text = formatPlan(plan());
    expect(text).toMatch(/mount proc "proc" on \/proc  \(mounts\[0\]\)\n\s+mount source="proc" target="\/proc" fstype="proc"/);
    expect(text).toMatch(/set the hostname to "tsrun"  \(hostname\)/);
  });

  it('reads the host\'s v1 hierarchies from mountinfo', () => {
    const mi = [
      '30 25 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate',
      '31 25 0:27 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd',
      '34 25 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct',
    ].join('\n');
    expect(cgroupLayout(cgroupMounts(mi, null))).toEqual({
      v1: [{ options: 'name=systemd', mountpoint: '/sys/fs/cgroup/systemd' }, { options: 'cpu,cpuacct', mountpoint: '/sys/fs/cgroup/cpu,cpuacct' }],
      v2: '/sys/fs/cgroup/unified',
    });
    expect(cgroupLayout(cgroupMounts(mi.split('\n')[0], null)).v1).toBeNull();
  });
});

describe('cgroup joins', () => {
  it('the helper joins each v1 hierarchy itself, first of all, through fds numbered after its own', async () => {
    const { helperFds } = await import('../../src/lifecycle/helper.js');
    const { V1Manager } = await import('../../src/cgroups/v1.js');
    // Co-mounted controllers share one directory (one join); the cgroup2 dir of a hybrid host is
    // entered by clone3(CLONE_INTO_CGROUP), not through a tasks file.
    const mgr = new V1Manager({ cpu: '/cg/cpu,cpuacct/t/c1', cpuacct: '/cg/cpu,cpuacct/t/c1', memory: '/cg/memory/t/c1', '': '/cg/unified/t/c1' });
    const targets = mgr.joinTargets();
    expect(targets).toEqual({ into: '/cg/unified/t/c1', tasks: ['/cg/cpu,cpuacct/t/c1/tasks', '/cg/memory/t/c1/tasks'] });
    const fds = helperFds(2, { fifo: true, console: true, cgroupTasks: targets.tasks });
    expect(fds).toMatchObject({ channel: 5, fifo: 6, consoleSocket: 7, firstToClose: 5 });
    expect(fds.cgroupJoins.map((j) => j.fd)).toEqual([8, 9]);
    const p = plan(undefined, { fds: { fifo: 6, firstToClose: 5, cgroupJoins: fds.cgroupJoins } });
    expect(p.steps.slice(0, 2).map((s) => [s.op, s.what])).toEqual([
      [{ op: 'join_cgroup', fd: 8 }, 'join the cgroup /cg/cpu,cpuacct/t/c1'],
      [{ op: 'join_cgroup', fd: 9 }, 'join the cgroup /cg/memory/t/c1'],
    ]);
    // They are closed by the close_fds step like every other fd of tsrun's.
    expect(p.steps.find((s) => s.op.op === 'close_fds')?.op).toMatchObject({ from: 5 });
  });

describe('LSM labels', () => {
  it('applies an AppArmor profile and an SELinux label at exec where the host has them, as runc writes them', () => {
    const p = plan((s) => { s.process!.apparmorProfile = 'docker-default'; s.process!.selinuxLabel = 'system_u:system_r:container_t:s0'; }, {
      host: { sourceKind: () => 'dir', cgroup: { v1: null }, lsm: { apparmor: true, selinux: true } },
    });
    const writes = p.steps.filter((s) => s.op.op === 'write_file').map((s) => s.op as { path: string; data: string });
    expect(writes).toContainEqual({ op: 'write_file', path: '/proc/self/attr/apparmor/exec', data: 'exec docker-default' });
    expect(writes).toContainEqual({ op: 'write_file', path: '/proc/self/attr/exec', data: 'system_u:system_r:container_t:s0' });
    // Both just before the program is looked up and run: the kernel applies them at its execve.
    const o = ops(p);
    expect(o.indexOf('write_file', o.indexOf('caps_set'))).toBeLessThan(o.indexOf('exec_lookup'));
  });
});
});
