// The table of configs compared: every base config as it is, and systematic variations, each a small
// edit of a base (runc's `runc spec` unless it names another). Names are "group/what"; ALLOWED.md
// matches them by regex. A variation's edit gets this runtime's paths (c.bundle, c.hookOut, ...).
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Mount, Spec } from '../../src/config/gen/config.js';
import { FIXTURE_BASES, recordingHook, type BaseName } from './bundle.js';
import { nsHelper, type Ctx, type Variation } from './harness.js';

export const ALL_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

type CapSet = 'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient';
const SETS: CapSet[] = ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'];
const SOME = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID', 'CAP_SETGID'];

const p = (s: Spec) => s.process!;
const l = (s: Spec) => (s.linux ??= {});
const caps = (s: Spec, sets: Partial<Record<CapSet, string[]>>) => { p(s).capabilities = sets; };
const mnt = (s: Spec, m: Mount) => { s.mounts!.push(m); };
const dropNs = (s: Spec, type: string) => { l(s).namespaces = l(s).namespaces!.filter((n) => n.type !== type); };
const addNs = (s: Spec, type: string, path?: string) => { dropNs(s, type); l(s).namespaces!.push({ type: type as never, ...(path ? { path } : {}) }); };
const resources = (s: Spec) => (l(s).resources ??= {});
const userNs = (s: Spec) => {
  addNs(s, 'user');
  l(s).uidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
  l(s).gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
};
/** A host directory in the bundle with a file, for bind mounts. */
const hostDir = (c: Ctx, name = 'vol') => {
  const d = join(c.host, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'file'), 'host-file\n');
  return d;
};

// ---- capabilities ----
const capVariations: Variation[] = [
  { name: 'caps/all-in-every-set', edit: (s) => caps(s, Object.fromEntries(SETS.map((k) => [k, [...ALL_CAPS]]))) },
  { name: 'caps/every-set-empty', edit: (s) => caps(s, Object.fromEntries(SETS.map((k) => [k, []]))) },
  { name: 'caps/no-capabilities-field', edit: (s) => { delete p(s).capabilities; } },
  ...SETS.map((only): Variation => ({ name: `caps/only-${only}`, edit: (s) => caps(s, { [only]: [...SOME] }) })),
  ...SETS.map((without): Variation => ({ name: `caps/all-but-${without}`, edit: (s) => caps(s, Object.fromEntries(SETS.filter((k) => k !== without).map((k) => [k, [...SOME]]))) })),
  { name: 'caps/ambient-in-inheritable-and-permitted', edit: (s) => caps(s, { bounding: SOME, effective: SOME, permitted: SOME, inheritable: SOME, ambient: ['CAP_KILL'] }) },
  { name: 'caps/ambient-not-inheritable', edit: (s) => caps(s, { bounding: SOME, effective: SOME, permitted: SOME, inheritable: ['CAP_CHOWN'], ambient: ['CAP_KILL', 'CAP_CHOWN'] }) },
  { name: 'caps/ambient-not-permitted', edit: (s) => caps(s, { bounding: SOME, effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'], inheritable: SOME, ambient: ['CAP_KILL', 'CAP_CHOWN'] }) },
  { name: 'caps/ambient-not-bounding', edit: (s) => caps(s, { bounding: ['CAP_CHOWN'], effective: SOME, permitted: SOME, inheritable: SOME, ambient: ['CAP_KILL', 'CAP_CHOWN'] }) },
  { name: 'caps/effective-not-permitted', edit: (s) => caps(s, { bounding: SOME, effective: ['CAP_SYS_ADMIN', 'CAP_KILL'], permitted: ['CAP_KILL'] }) },
  { name: 'caps/permitted-not-bounding', edit: (s) => caps(s, { bounding: ['CAP_KILL'], effective: ['CAP_KILL', 'CAP_CHOWN'], permitted: ['CAP_KILL', 'CAP_CHOWN'] }) },
  { name: 'caps/inheritable-not-bounding', edit: (s) => caps(s, { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: ['CAP_CHOWN', 'CAP_KILL'] }) },
  { name: 'caps/unknown-name-in-bounding', edit: (s) => caps(s, { bounding: ['CAP_KILL', 'CAP_DH_UNKNOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] }) },
  { name: 'caps/unknown-name-in-every-set', edit: (s) => caps(s, Object.fromEntries(SETS.map((k) => [k, ['CAP_KILL', 'CAP_DH_UNKNOWN']]))) },
  { name: 'caps/name-without-cap-prefix', edit: (s) => caps(s, { bounding: ['KILL'], effective: ['KILL'], permitted: ['KILL'] }) },
  { name: 'caps/lowercase-name', edit: (s) => caps(s, { bounding: ['cap_kill'], effective: ['cap_kill'], permitted: ['cap_kill'] }) },
  { name: 'caps/duplicate-names', edit: (s) => caps(s, { bounding: ['CAP_KILL', 'CAP_KILL'], effective: ['CAP_KILL', 'CAP_KILL'], permitted: ['CAP_KILL'] }) },
  { name: 'caps/non-root-user-keeps-caps', edit: (s) => { p(s).user = { uid: 1000, gid: 1000 }; caps(s, { bounding: SOME, effective: SOME, permitted: SOME }); } },
  { name: 'caps/non-root-user-ambient', edit: (s) => { p(s).user = { uid: 1000, gid: 1000 }; caps(s, { bounding: SOME, effective: SOME, permitted: SOME, inheritable: SOME, ambient: SOME }); } },
  { name: 'caps/non-root-user-inheritable-only', edit: (s) => { p(s).user = { uid: 1000, gid: 1000 }; caps(s, { bounding: SOME, inheritable: SOME }); } },
  { name: 'caps/setpcap-not-given', edit: (s) => caps(s, { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] }) },
];

// ---- users ----
const userVariations: Variation[] = [
  { name: 'user/uid-gid-1000', edit: (s) => { p(s).user = { uid: 1000, gid: 1000 }; } },
  { name: 'user/additional-gids', edit: (s) => { p(s).user = { uid: 1000, gid: 1000, additionalGids: [1500, 5, 100000] }; } },
  { name: 'user/additional-gids-root', edit: (s) => { p(s).user = { uid: 0, gid: 0, additionalGids: [0, 1500] }; } },
  { name: 'user/gid-only', edit: (s) => { p(s).user = { uid: 0, gid: 1000 }; } },
  { name: 'user/uid-only', edit: (s) => { p(s).user = { uid: 1000, gid: 0 }; } },
  { name: 'user/umask-077', edit: (s) => { p(s).user = { uid: 0, gid: 0, umask: 0o077 }; } },
  { name: 'user/umask-0', edit: (s) => { p(s).user = { uid: 0, gid: 0, umask: 0 }; } },
  { name: 'user/umask-non-root', edit: (s) => { p(s).user = { uid: 1000, gid: 1000, umask: 0o027 }; } },
  { name: 'user/uid-without-passwd-entry', edit: (s) => { p(s).user = { uid: 3000, gid: 3000 }; } },
  { name: 'user/nobody', edit: (s) => { p(s).user = { uid: 65534, gid: 65534 }; } },
  { name: 'user/home-from-passwd', edit: (s) => { p(s).user = { uid: 1000, gid: 1000 }; p(s).env = ['PATH=/bin']; } },
  { name: 'user/home-given-in-env', edit: (s) => { p(s).user = { uid: 1000, gid: 1000 }; p(s).env = ['PATH=/bin', 'HOME=/given']; } },
  { name: 'user/root-home', edit: (s) => { p(s).env = ['PATH=/bin']; } },
  { name: 'user/no-passwd-file', edit: (s, c) => { p(s).user = { uid: 1000, gid: 1000 }; writeFileSync(join(c.rootfs, 'etc/passwd'), ''); } },
  { name: 'user/username-field', edit: (s) => { p(s).user = { uid: 1000, gid: 1000, username: 'dhuser' } as never; } },
  { name: 'user/large-uid', edit: (s) => { p(s).user = { uid: 2147483647, gid: 2147483647 }; } },
  { name: 'user/in-user-namespace', edit: (s) => { userNs(s); p(s).user = { uid: 1000, gid: 1000, additionalGids: [1500] }; } },
];

// ---- cwd ----
const cwdVariations: Variation[] = [
  { name: 'cwd/existing', edit: (s) => { p(s).cwd = '/tmp'; } },
  { name: 'cwd/missing', edit: (s) => { p(s).cwd = '/does/not/exist'; } },
  { name: 'cwd/missing-non-root', edit: (s) => { p(s).cwd = '/does/not/exist'; p(s).user = { uid: 1000, gid: 1000 }; } },
  { name: 'cwd/missing-read-only-root', edit: (s) => { p(s).cwd = '/does/not/exist'; s.root!.readonly = true; } },
  { name: 'cwd/not-accessible-to-user', edit: (s) => { p(s).cwd = '/private'; p(s).user = { uid: 1000, gid: 1000 }; } },
  { name: 'cwd/accessible-only-to-user', edit: (s) => { p(s).cwd = '/home/dhuser'; p(s).user = { uid: 1000, gid: 1000 }; } },
  { name: 'cwd/a-file', edit: (s) => { p(s).cwd = '/etc/passwd'; }, keywords: [] },
  { name: 'cwd/relative', edit: (s) => { p(s).cwd = 'tmp'; }, keywords: ['cwd'] },
  { name: 'cwd/symlink-to-dir', edit: (s, c) => { symlinkSync('/tmp', join(c.rootfs, 'tmplink')); p(s).cwd = '/tmplink'; } },
  { name: 'cwd/dotdot', edit: (s) => { p(s).cwd = '/tmp/../etc'; } },
  { name: 'cwd/in-a-mount', edit: (s) => { p(s).cwd = '/dev/shm'; } },
];

// ---- mounts: every option of runc's table, on a tmpfs and on a bind mount ----
const FLAG_OPTIONS = [
  'async', 'atime', 'defaults', 'dev', 'diratime', 'dirsync', 'exec', 'iversion', 'lazytime', 'loud', 'mand', 'noatime',
  'nodev', 'nodiratime', 'noexec', 'noiversion', 'nolazytime', 'nomand', 'norelatime', 'nostrictatime', 'nosuid',
  'relatime', 'remount', 'ro', 'rw', 'silent', 'strictatime', 'suid', 'sync', 'nosymfollow', 'symfollow', 'acl', 'noacl',
];
const REC_OPTIONS = [
  'rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnodiratime', 'rdiratime', 'rrelatime',
  'rnorelatime', 'rnoatime', 'ratime', 'rstrictatime', 'rnostrictatime', 'rnosymfollow', 'rsymfollow',
];
const PROPAGATION = ['private', 'shared', 'slave', 'unbindable', 'rprivate', 'rshared', 'rslave', 'runbindable'];

/** The host tree for recursive options: a tmpfs with a tmpfs under sub/ (mounted by the suite). */
export interface MountTree { tree: string }
let TREE: MountTree | undefined;
export function setMountTree(t: MountTree | undefined) { TREE = t; }

const mountVariations: Variation[] = [
  ...FLAG_OPTIONS.map((o): Variation => ({ name: `mount/tmpfs/${o}`, edit: (s) => mnt(s, { destination: '/dh-mnt', type: 'tmpfs', source: 'tmpfs', options: [o] }) })),
  ...[...FLAG_OPTIONS, ...PROPAGATION].map((o): Variation => ({ name: `mount/bind/${o}`, edit: (s, c) => mnt(s, { destination: '/dh-mnt', type: 'bind', source: hostDir(c), options: ['bind', o] }) })),
  ...[...REC_OPTIONS, ...PROPAGATION, 'ro', 'nosuid'].map((o): Variation => ({ name: `mount/rbind-tree/${o}`, edit: (s) => mnt(s, { destination: '/dh-mnt', type: 'bind', source: TREE!.tree, options: ['rbind', o] }) })),
  { name: 'mount/tmpfs/mode-size-uid-gid', edit: (s) => mnt(s, { destination: '/dh-mnt', type: 'tmpfs', source: 'tmpfs', options: ['mode=0750', 'size=2m', 'uid=1000', 'gid=1000', 'nr_inodes=1000'] }) },
  { name: 'mount/tmpfs/over-dir-with-mode', edit: (s) => mnt(s, { destination: '/mode0710', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] }) },
  { name: 'mount/tmpfs/over-dir-with-mode-given', edit: (s) => mnt(s, { destination: '/mode0710', type: 'tmpfs', source: 'tmpfs', options: ['mode=0755'] }) },
  { name: 'mount/tmpfs/tmpcopyup', edit: (s) => mnt(s, { destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] }) },
  { name: 'mount/tmpfs/unknown-data-option', edit: (s) => mnt(s, { destination: '/dh-mnt', type: 'tmpfs', source: 'tmpfs', options: ['dhbogus=1'] }), keywords: [] },
  { name: 'mount/tmpfs/no-options', edit: (s) => mnt(s, { destination: '/dh-mnt', type: 'tmpfs', source: 'tmpfs' }) },
  { name: 'mount/tmpfs/nested-missing-destination', edit: (s) => mnt(s, { destination: '/a/b/c', type: 'tmpfs', source: 'tmpfs' }) },
  { name: 'mount/tmpfs/relative-destination', edit: (s) => mnt(s, { destination: 'dh-rel', type: 'tmpfs', source: 'tmpfs' }) },
  { name: 'mount/tmpfs/destination-through-symlink', edit: (s, c) => { symlinkSync('/tmp', join(c.rootfs, 'tlink')); mnt(s, { destination: '/tlink/sub', type: 'tmpfs', source: 'tmpfs' }); } },
  { name: 'mount/bind/file', edit: (s, c) => mnt(s, { destination: '/etc/hostname', type: 'bind', source: join(c.host, 'hostname'), options: ['rbind', 'ro'] }) },
  { name: 'mount/bind/file-to-missing-destination', edit: (s, c) => mnt(s, { destination: '/new/file', type: 'bind', source: join(c.host, 'hostname'), options: ['bind'] }) },
  { name: 'mount/bind/no-type', edit: (s, c) => mnt(s, { destination: '/dh-mnt', source: hostDir(c), options: ['rbind'] } as Mount) },
  { name: 'mount/bind/type-none', edit: (s, c) => mnt(s, { destination: '/dh-mnt', type: 'none', source: hostDir(c), options: ['rbind', 'rw'] }) },
  { name: 'mount/bind/relative-source', edit: (s, c) => { hostDir(c, 'relvol'); mnt(s, { destination: '/dh-mnt', type: 'bind', source: 'host/relvol', options: ['bind'] }); } },
  { name: 'mount/bind/missing-source', edit: (s, c) => mnt(s, { destination: '/dh-mnt', type: 'bind', source: join(c.host, 'nope'), options: ['bind'] }), keywords: [] },
  { name: 'mount/bind/ro-then-rw', edit: (s, c) => mnt(s, { destination: '/dh-mnt', type: 'bind', source: hostDir(c), options: ['bind', 'ro', 'rw'] }) },
  { name: 'mount/bind/over-a-mount', edit: (s, c) => mnt(s, { destination: '/dev/shm', type: 'bind', source: hostDir(c), options: ['bind'] }) },
  { name: 'mount/proc-with-options', edit: (s) => { s.mounts!.find((m) => m.destination === '/proc')!.options = ['nosuid', 'noexec', 'nodev', 'hidepid=2']; } },
  { name: 'mount/sysfs-rw', edit: (s) => { s.mounts!.find((m) => m.destination === '/sys')!.options = ['nosuid', 'noexec', 'nodev']; } },
  { name: 'mount/cgroup-rw', edit: (s) => { s.mounts!.find((m) => m.type === 'cgroup')!.options = ['nosuid', 'noexec', 'nodev', 'relatime', 'rw']; } },
  { name: 'mount/no-cgroup-mount', edit: (s) => { s.mounts = s.mounts!.filter((m) => m.type !== 'cgroup'); } },
  { name: 'mount/cgroup-without-cgroupns', edit: (s) => { dropNs(s, 'cgroup'); } },
  { name: 'mount/devpts-options', edit: (s) => { s.mounts!.find((m) => m.type === 'devpts')!.options = ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0600', 'mode=0600']; } },
  { name: 'mount/no-dev-mount', edit: (s) => { s.mounts = s.mounts!.filter((m) => !m.destination.startsWith('/dev')); } },
  { name: 'mount/dev-read-only', edit: (s) => { s.mounts!.find((m) => m.destination === '/dev')!.options!.push('ro'); } },
  { name: 'mount/unknown-fs-type', edit: (s) => mnt(s, { destination: '/dh-mnt', type: 'dhnosuchfs', source: 'x' }), keywords: [] },
  { name: 'mount/mqueue-in-userns', edit: (s) => userNs(s) },
  { name: 'mount/root-propagation-shared', edit: (s) => { l(s).rootfsPropagation = 'shared'; } },
  { name: 'mount/root-propagation-slave', edit: (s) => { l(s).rootfsPropagation = 'slave'; } },
  { name: 'mount/root-propagation-private', edit: (s) => { l(s).rootfsPropagation = 'private'; } },
  { name: 'mount/root-propagation-unbindable', edit: (s) => { l(s).rootfsPropagation = 'unbindable'; } },
  { name: 'mount/root-propagation-rshared', edit: (s) => { l(s).rootfsPropagation = 'rshared'; } },
  { name: 'mount/root-read-write', edit: (s) => { s.root!.readonly = false; } },
  { name: 'mount/no-pivot', runFlags: ['--no-pivot'] },
  { name: 'mount/mount-label-without-selinux', edit: (s) => { l(s).mountLabel = 'system_u:object_r:container_file_t:s0:c1,c2'; }, },
];

// ---- namespaces ----
const NS = ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup', 'user', 'time'];
const UNSHARE_FLAG: Record<string, string[]> = {
  network: ['--net'], ipc: ['--ipc'], uts: ['--uts'], cgroup: ['--cgroup'], time: ['--time'], mount: ['--mount'],
  pid: ['--pid', '--fork'], user: ['--user', '--map-root-user'],
};
const PROC_NAME: Record<string, string> = { network: 'net', mount: 'mnt', pid: 'pid', ipc: 'ipc', uts: 'uts', cgroup: 'cgroup', user: 'user', time: 'time' };
const nsVariations: Variation[] = [
  ...NS.map((t): Variation => ({
    name: `ns/${t}-${['pid', 'network', 'ipc', 'uts', 'mount'].includes(t) ? 'none' : 'new'}`,
    edit: (s) => {
      if (['pid', 'network', 'ipc', 'uts', 'mount'].includes(t)) {
        dropNs(s, t);
        if (t === 'uts') delete s.hostname;
      } else if (t === 'user') userNs(s);
      else addNs(s, t);
    },
  })),
  ...NS.map((t): Variation => ({
    name: `ns/${t}-joined-by-path`,
    edit: async (s, c) => {
      const pid = await nsHelper(c, UNSHARE_FLAG[t]);
      addNs(s, t, `/proc/${pid}/ns/${PROC_NAME[t]}`);
      if (t === 'user') { delete l(s).uidMappings; delete l(s).gidMappings; }
    },
  })),
  { name: 'ns/network-joined-host-with-net-sysctl', edit: async (s, c) => {
    const pid = await nsHelper(c, []);
    addNs(s, 'network', `/proc/${pid}/ns/net`);
    l(s).sysctl = { 'net.ipv4.ip_forward': '0' };
  }, keywords: ['sysctl'] },
  { name: 'ns/uts-joined-with-hostname', edit: async (s, c) => { const pid = await nsHelper(c, ['--uts']); addNs(s, 'uts', `/proc/${pid}/ns/uts`); s.hostname = 'dh-joined'; } },
  { name: 'ns/duplicate-type', edit: (s) => { l(s).namespaces!.push({ type: 'pid' }); }, keywords: [] },
  { name: 'ns/path-not-a-namespace', edit: (s) => { addNs(s, 'network', '/etc/passwd'); }, keywords: [] },
  { name: 'ns/path-missing', edit: (s) => { addNs(s, 'network', '/proc/999999999/ns/net'); }, keywords: [] },
  { name: 'ns/path-of-other-type', edit: (s) => { addNs(s, 'network', '/proc/self/ns/uts'); }, keywords: [] },
  { name: 'ns/unknown-type', edit: (s) => { l(s).namespaces!.push({ type: 'dhbogus' as never }); }, keywords: ['dhbogus'] },
  { name: 'ns/user-without-mappings', edit: (s) => { addNs(s, 'user'); }, keywords: [] },
  { name: 'ns/user-with-rootless-mapping', edit: (s) => { addNs(s, 'user'); l(s).uidMappings = [{ containerID: 0, hostID: 0, size: 1 }]; l(s).gidMappings = [{ containerID: 0, hostID: 0, size: 1 }]; } },
  { name: 'ns/user-mapping-several-ranges', edit: (s) => { addNs(s, 'user'); l(s).uidMappings = [{ containerID: 0, hostID: 300000, size: 1000 }, { containerID: 1000, hostID: 400000, size: 1000 }]; l(s).gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }]; p(s).user = { uid: 1000, gid: 1000 }; } },
  { name: 'ns/user-and-bind-of-unreachable-source', edit: (s, c) => { userNs(s); const d = hostDir(c, 'secret'); mkdirSync(join(c.host, 'locked'), { mode: 0o700 }); mnt(s, { destination: '/dh-mnt', type: 'bind', source: d, options: ['bind'] }); } },
  { name: 'ns/time-offsets', edit: (s) => { addNs(s, 'time'); l(s).timeOffsets = { monotonic: { secs: 86400, nanosecs: 0 }, boottime: { secs: 86400, nanosecs: 0 } }; } },
];

// ---- hooks ----
const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
/** startContainer runs in the container: it writes to /dh-hooks, the bundle's hook dir bound there. */
function hookFor(kind: (typeof HOOK_KINDS)[number], c: Ctx, opts: Parameters<typeof recordingHook>[2] = {}) {
  const out = kind === 'startContainer' ? `/dh-hooks/${kind}` : join(c.hookOut, kind);
  return recordingHook(kind, out, opts);
}
function withHooks(s: Spec, c: Ctx, kinds: readonly (typeof HOOK_KINDS)[number][], opts: Parameters<typeof recordingHook>[2] = {}) {
  s.root!.readonly = false;
  mnt(s, { destination: '/dh-hooks', type: 'bind', source: c.hookOut, options: ['rbind', 'rw'] });
  s.hooks = {};
  for (const k of kinds) (s.hooks as Record<string, unknown>)[k] = [hookFor(k, c, opts)];
}
/** Whether the child a timed-out hook started is still running (then it is ended here). */
function hookChild(c: Ctx, kind: string): Record<string, string[]> {
  const f = join(c.hookOut, `${kind}.child.tmp`);
  if (!existsSync(f)) return { hookchild: ['hook did not run'] };
  const pid = Number(readFileSync(f, 'utf8').trim());
  let alive = false;
  try { alive = readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep'); } catch {}
  if (alive) try { process.kill(pid, 'SIGKILL'); } catch {}
  return { hookchild: [alive ? 'the hook\'s child was still running' : 'the hook\'s child was gone'] };
}
const hookVariations: Variation[] = [
  { name: 'hooks/all-with-env', edit: (s, c) => withHooks(s, c, HOOK_KINDS, { env: ['PATH=/usr/bin:/bin', 'DH_HOOK=1'] }) },
  { name: 'hooks/all-without-env', edit: (s, c) => withHooks(s, c, HOOK_KINDS) },
  ...HOOK_KINDS.map((k): Variation => ({ name: `hooks/${k}-alone`, edit: (s, c) => withHooks(s, c, [k], { env: ['PATH=/usr/bin:/bin'] }) })),
  ...HOOK_KINDS.map((k): Variation => ({ name: `hooks/${k}-fails`, edit: (s, c) => withHooks(s, c, [k], { exit: 3, env: ['PATH=/usr/bin:/bin'] }), keywords: ['status 3'] })),
  ...HOOK_KINDS.filter((k) => k !== 'startContainer').map((k): Variation => ({
    name: `hooks/${k}-timeout`,
    edit: (s, c) => { withHooks(s, c, []); (s.hooks as Record<string, unknown>)[k] = [{ path: '/bin/sh', args: ['sh', '-c', `sleep 10 >/dev/null 2>&1 & echo $! > ${c.hookOut}/${k}.child.tmp; sleep 5 >/dev/null 2>&1`], timeout: 1 }]; },
    collect: (c) => hookChild(c, k), names: ['timed out'],
  })),
  { name: 'hooks/path-missing', edit: (s, c) => { withHooks(s, c, []); s.hooks!.prestart = [{ path: '/dh/no/such/hook' }]; }, keywords: [] },
  { name: 'hooks/no-args', edit: (s, c) => { withHooks(s, c, []); s.hooks!.createRuntime = [{ path: '/usr/bin/env' }]; } },
  { name: 'hooks/startContainer-uses-container-libs', edit: (s, c) => { withHooks(s, c, []); s.hooks!.startContainer = [{ path: '/bin/busybox', args: ['sh', '-c', 'id > /dh-hooks/sc-id'] }]; } },
];

// ---- process ----
const processVariations: Variation[] = [
  { name: 'process/terminal', tty: true, edit: (s) => { p(s).terminal = true; } },
  { name: 'process/terminal-non-root', tty: true, edit: (s) => { p(s).terminal = true; p(s).user = { uid: 1000, gid: 1000 }; } },
  { name: 'process/terminal-console-size', tty: true, edit: (s) => { p(s).terminal = true; p(s).consoleSize = { height: 30, width: 100 }; } },
  { name: 'process/no-new-privileges-false', edit: (s) => { p(s).noNewPrivileges = false; } },
  { name: 'process/no-new-privileges-absent', edit: (s) => { delete p(s).noNewPrivileges; } },
  { name: 'process/rlimits-several', edit: (s) => { p(s).rlimits = [{ type: 'RLIMIT_NOFILE', soft: 256, hard: 512 }, { type: 'RLIMIT_NPROC', soft: 100, hard: 200 }, { type: 'RLIMIT_CORE', soft: 0, hard: 1024 }, { type: 'RLIMIT_STACK', soft: 4194304, hard: 8388608 }, { type: 'RLIMIT_MEMLOCK', soft: 65536, hard: 65536 }]; } },
  { name: 'process/rlimits-all', edit: (s) => { p(s).rlimits = ['CPU', 'FSIZE', 'DATA', 'STACK', 'CORE', 'RSS', 'NPROC', 'NOFILE', 'MEMLOCK', 'AS', 'LOCKS', 'SIGPENDING', 'MSGQUEUE', 'NICE', 'RTPRIO', 'RTTIME'].map((t, i) => ({ type: `RLIMIT_${t}`, soft: 1000 + i, hard: 2000 + i })); } },
  { name: 'process/rlimit-soft-above-hard', edit: (s) => { p(s).rlimits = [{ type: 'RLIMIT_NOFILE', soft: 2048, hard: 1024 }]; }, names: ['rlimits[0]'] },
  { name: 'process/rlimit-unknown-type', edit: (s) => { p(s).rlimits = [{ type: 'RLIMIT_DHBOGUS', soft: 1, hard: 1 }]; }, keywords: [] },
  { name: 'process/rlimit-duplicate', edit: (s) => { p(s).rlimits = [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 100 }, { type: 'RLIMIT_NOFILE', soft: 50, hard: 50 }]; } },
  { name: 'process/rlimit-unlimited', edit: (s) => { p(s).rlimits = [{ type: 'RLIMIT_CORE', soft: 18446744073709551615n as never, hard: 18446744073709551615n as never }]; } },
  { name: 'process/rlimits-none', edit: (s) => { delete p(s).rlimits; } },
  { name: 'process/oom-score-adj-500', edit: (s) => { p(s).oomScoreAdj = 500; } },
  { name: 'process/oom-score-adj-negative', edit: (s) => { p(s).oomScoreAdj = -500; } },
  { name: 'process/oom-score-adj-out-of-range', edit: (s) => { p(s).oomScoreAdj = 1001; }, keywords: [] },
  { name: 'process/env-empty', edit: (s) => { p(s).env = []; } },
  { name: 'process/env-absent', edit: (s) => { delete p(s).env; } },
  { name: 'process/env-duplicate-key', edit: (s) => { p(s).env = ['PATH=/bin', 'A=1', 'A=2']; } },
  { name: 'process/env-without-equals', edit: (s) => { p(s).env = ['PATH=/bin', 'NOVALUE']; } },
  { name: 'process/args-not-found', args: ['dh-no-such-binary'], keywords: [] },
  { name: 'process/args-absolute-missing', args: ['/dh/no/such'], keywords: [] },
  { name: 'process/args-not-executable', args: ['/etc/passwd'], keywords: [] },
  { name: 'process/args-a-directory', args: ['/tmp'], keywords: [] },
  { name: 'process/args-relative-with-path', args: ['echo', 'hello'] },
  { name: 'process/args-found-only-in-env-path', edit: (s, c) => { mkdirSync(join(c.rootfs, 'opt/bin'), { recursive: true }); symlinkSync('/bin/busybox', join(c.rootfs, 'opt/bin/dhecho')); p(s).env = ['PATH=/opt/bin']; }, args: ['dhecho', 'found'] },
  { name: 'process/args-no-path-in-env', edit: (s) => { p(s).env = ['A=1']; }, args: ['echo', 'no-path'] },
  { name: 'process/exit-code', args: ['sh', '-c', 'exit 7'] },
  { name: 'process/killed-by-signal', args: ['sh', '-c', 'kill -9 $$'] },
  { name: 'process/killed-by-sigterm', args: ['sh', '-c', 'kill -15 $$; sleep 1'] },
  { name: 'process/args-empty', args: [], keywords: [] },
  { name: 'process/selinux-label-without-selinux', edit: (s) => { p(s).selinuxLabel = 'system_u:system_r:container_t:s0'; }, names: ['SELinux', 'process.selinuxLabel'] },
  { name: 'process/apparmor-profile-without-apparmor', edit: (s) => { p(s).apparmorProfile = 'dh-profile'; }, names: ['AppArmor', 'process.apparmorProfile'] },
  { name: 'process/io-priority', edit: (s) => { (p(s) as unknown as Record<string, unknown>).ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 }; } },
  { name: 'process/scheduler', edit: (s) => { (p(s) as unknown as Record<string, unknown>).scheduler = { policy: 'SCHED_BATCH', nice: 5 }; } },
  { name: 'process/exec-cpu-affinity', edit: (s) => { (p(s) as unknown as Record<string, unknown>).execCPUAffinity = { initial: '0', final: '0-1' }; } },
];

// ---- linux: sysctl, hostname, masked/readonly paths, devices, personality ----
const linuxVariations: Variation[] = [
  { name: 'linux/sysctl-kernel', edit: (s) => { l(s).sysctl = { 'kernel.shm_rmid_forced': '1', 'kernel.msgmax': '4096' }; } },
  { name: 'linux/sysctl-net', edit: (s) => { l(s).sysctl = { 'net.ipv4.ip_forward': '1', 'net.ipv4.ping_group_range': '0 2147483647' }; } },
  { name: 'linux/sysctl-net-without-netns', edit: (s) => { dropNs(s, 'network'); l(s).sysctl = { 'net.ipv4.ip_forward': '0' }; }, keywords: ['sysctl'] },
  { name: 'linux/sysctl-ipc-without-ipcns', edit: (s) => { dropNs(s, 'ipc'); l(s).sysctl = { 'kernel.msgmax': '4096' }; }, keywords: ['sysctl'] },
  { name: 'linux/sysctl-not-namespaced', edit: (s) => { l(s).sysctl = { 'vm.swappiness': '10' }; }, keywords: ['sysctl'] },
  { name: 'linux/sysctl-unknown', edit: (s) => { l(s).sysctl = { 'net.ipv4.dh_bogus': '1' }; }, keywords: [] },
  { name: 'linux/sysctl-slash-form', edit: (s) => { l(s).sysctl = { 'net/ipv4/ip_forward': '1' }; } },
  { name: 'linux/hostname-and-domainname', edit: (s) => { s.hostname = 'dh-host'; (s as unknown as Record<string, unknown>).domainname = 'dh.example'; } },
  { name: 'linux/domainname-and-sysctl', edit: (s) => { (s as unknown as Record<string, unknown>).domainname = 'dh.example'; l(s).sysctl = { 'kernel.domainname': 'dh.sysctl' }; } },
  { name: 'linux/hostname-without-uts', edit: (s) => { dropNs(s, 'uts'); s.hostname = 'dh-host'; }, keywords: ['uts'] },
  { name: 'linux/hostname-empty', edit: (s) => { s.hostname = ''; } },
  { name: 'linux/hostname-absent', edit: (s) => { delete s.hostname; } },
  { name: 'linux/masked-paths-extra', edit: (s) => { l(s).maskedPaths!.push('/etc/hostname', '/tmp', '/dh/missing'); } },
  { name: 'linux/masked-paths-none', edit: (s) => { l(s).maskedPaths = []; } },
  { name: 'linux/readonly-paths-extra', edit: (s) => { s.root!.readonly = false; l(s).readonlyPaths!.push('/tmp', '/etc/passwd', '/dh/missing'); } },
  { name: 'linux/readonly-paths-none', edit: (s) => { l(s).readonlyPaths = []; } },
  { name: 'linux/devices-char', edit: (s) => { l(s).devices = [{ path: '/dev/dh-null', type: 'c', major: 1, minor: 3, fileMode: 0o640, uid: 1000, gid: 1000 }]; resources(s).devices = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }]; } },
  { name: 'linux/devices-block-and-fifo', edit: (s) => { l(s).devices = [{ path: '/dev/dh-loop', type: 'b', major: 7, minor: 200 }, { path: '/dev/dh-fifo', type: 'p' }]; } },
  { name: 'linux/devices-nested-path', edit: (s) => { l(s).devices = [{ path: '/dev/dh/sub/zero', type: 'c', major: 1, minor: 5 }]; } },
  { name: 'linux/devices-redefine-default', edit: (s) => { l(s).devices = [{ path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600 }]; } },
  { name: 'linux/devices-type-u', edit: (s) => { l(s).devices = [{ path: '/dev/dh-u', type: 'u', major: 1, minor: 5 }]; } },
  { name: 'linux/devices-outside-dev', edit: (s) => { s.root!.readonly = false; l(s).devices = [{ path: '/tmp/dh-zero', type: 'c', major: 1, minor: 5 }]; } },
  { name: 'linux/devices-in-userns', edit: (s) => { userNs(s); l(s).devices = [{ path: '/dev/dh-null', type: 'c', major: 1, minor: 3 }]; } },
  { name: 'linux/personality-linux32', edit: (s) => { l(s).personality = { domain: 'LINUX32' }; } },
  { name: 'linux/intel-rdt', edit: (s) => { l(s).intelRdt = { closID: 'dh' }; }, keywords: [] },
  { name: 'linux/mount-label-and-selinux-label-absent', edit: (s) => { l(s).mountLabel = ''; } },
];

// ---- resources (cgroup files as the container sees them) ----
const res = (name: string, r: NonNullable<NonNullable<Spec['linux']>['resources']>, keywords?: string[]): Variation => ({
  name: `resources/${name}`, edit: (s) => { Object.assign(resources(s), r); }, keywords,
});
const resourceVariations: Variation[] = [
  res('memory-limit', { memory: { limit: 64 * 1024 * 1024 } }),
  res('memory-limit-reservation-swap', { memory: { limit: 64 * 1024 * 1024, reservation: 32 * 1024 * 1024, swap: 128 * 1024 * 1024 } }),
  res('memory-swap-unlimited', { memory: { limit: 64 * 1024 * 1024, swap: -1 } }),
  res('memory-swappiness', { memory: { swappiness: 10 } }),
  res('memory-disable-oom-killer', { memory: { disableOOMKiller: true } }),
  res('memory-kernel', { memory: { kernel: 64 * 1024 * 1024 } }),
  res('memory-limit-too-small', { memory: { limit: 4096 } }, []),
  res('memory-swap-below-limit', { memory: { limit: 64 * 1024 * 1024, swap: 32 * 1024 * 1024 } }, []),
  res('pids-limit', { pids: { limit: 20 } }),
  res('pids-unlimited', { pids: { limit: -1 } }),
  // Shell builtins only: with pids.max 0 nothing can fork.
  { name: 'resources/pids-zero', edit: (s) => { resources(s).pids = { limit: 0 }; }, args: ['sh', '-c', 'read m < /sys/fs/cgroup/pids/pids.max || read m < /sys/fs/cgroup/pids.max; echo "pids.max=$m"'] },
  res('cpu-shares', { cpu: { shares: 512 } }),
  res('cpu-quota-period', { cpu: { quota: 50000, period: 100000 } }),
  res('cpu-quota-only', { cpu: { quota: 20000 } }),
  res('cpu-period-only', { cpu: { period: 50000 } }),
  res('cpu-realtime', { cpu: { realtimeRuntime: 10000, realtimePeriod: 1000000 } }),
  res('cpu-realtime-runtime-only', { cpu: { realtimeRuntime: 10000 } }),
  res('cpu-cpus-mems', { cpu: { cpus: '0', mems: '0' } }),
  res('cpu-cpus-invalid', { cpu: { cpus: '99' } }, []),
  res('cpu-idle', { cpu: { idle: 1 } as never }),
  res('cpu-burst', { cpu: { quota: 50000, period: 100000, burst: 10000 } as never }),
  res('blkio-weight', { blockIO: { weight: 500 } }),
  res('blkio-throttle', { blockIO: { throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1048576 }], throttleWriteIOPSDevice: [{ major: 254, minor: 0, rate: 100 }] } }),
  res('devices-allow-all', { devices: [{ allow: true, access: 'rwm' }] }),
  res('devices-access-rwa', { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwa' as never }] }),
  res('devices-access-rw', { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 5, access: 'rw' }] }),
  res('devices-access-m-only', { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 5, access: 'm' }] }),
  res('devices-wildcard-major', { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 136, access: 'rwm' }] }),
  res('devices-type-a', { devices: [{ allow: false, type: 'a', access: 'rwm' }, { allow: true, type: 'a', major: 1, minor: 3, access: 'r' }] }),
  res('devices-empty-access', { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: '' }] }),
  res('devices-deny-null', { devices: [{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' }] }),
  res('devices-none', { devices: [] }),
  res('network-classid', { network: { classID: 1048577, priorities: [{ name: 'lo', priority: 1 }] } }),
  res('hugepage-limits', { hugepageLimits: [{ pageSize: '2MB', limit: 0 }] }, []),
  res('unified-on-v1', { unified: { 'memory.max': '64M' } } as never, []),
  { name: 'resources/cgroups-path-nested', edit: (s, c) => { l(s).cgroupsPath = `${c.cgroupParent}/nested/${c.id}`; resources(s).pids = { limit: 30 }; } },
  { name: 'resources/cgroups-path-absolute-with-rt', edit: (s, c) => { l(s).cgroupsPath = `${c.cgroupParent}/${c.id}`; resources(s).cpu = { realtimeRuntime: 10000, realtimePeriod: 1000000 }; } },
];

// ---- seccomp ----
const seccompVariations: Variation[] = [
  { name: 'seccomp/errno-mkdir', edit: (s) => { l(s).seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }; }, args: ['sh', '-c', 'mkdir /tmp/x; echo rc=$?; grep Seccomp /proc/self/status'] },
  { name: 'seccomp/default-errno-with-allow-list', edit: (s) => { l(s).seccomp = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, syscalls: [{ names: DOCKER_LIKE_ALLOW, action: 'SCMP_ACT_ALLOW' }] }; }, args: ['sh', '-c', 'echo ok; grep Seccomp /proc/self/status; unshare -U true; echo rc=$?'] },
  { name: 'seccomp/unknown-syscall-name', edit: (s) => { l(s).seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['dh_no_such_syscall', 'mkdir'], action: 'SCMP_ACT_ERRNO' }] }; }, args: ['sh', '-c', 'mkdir /tmp/x; echo rc=$?'] },
  { name: 'seccomp/kill-process', edit: (s) => { l(s).seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_KILL_PROCESS' }] }; }, args: ['sh', '-c', 'echo before; /bin/pwd; echo after'] },
  { name: 'seccomp/log-and-trap', edit: (s) => { l(s).seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_LOG' }, { names: ['mknod'], action: 'SCMP_ACT_TRAP' }] }; }, args: ['sh', '-c', 'pwd; mknod /tmp/p p; echo rc=$?'] },
  { name: 'seccomp/args-condition', edit: (s) => { l(s).seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] }] }; }, args: ['sh', '-c', 'grep Seccomp /proc/self/status'] },
  { name: 'seccomp/flags-log', edit: (s) => { l(s).seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG'], syscalls: [] }; } },
  { name: 'seccomp/architectures', edit: (s) => { l(s).seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] }; } },
  { name: 'seccomp/unknown-action', edit: (s) => { l(s).seccomp = { defaultAction: 'SCMP_ACT_DHBOGUS' as never, syscalls: [] }; }, keywords: [] },
  { name: 'seccomp/no-new-privs-false-non-root', edit: (s) => { p(s).noNewPrivileges = false; p(s).user = { uid: 1000, gid: 1000 }; l(s).seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] }; } },
  { name: 'seccomp/docker-default-profile-non-root', base: 'docker', edit: (s) => { p(s).user = { uid: 1000, gid: 1000 }; } },
];
const DOCKER_LIKE_ALLOW = [
  'read', 'write', 'open', 'openat', 'close', 'stat', 'fstat', 'lstat', 'newfstatat', 'statx', 'poll', 'lseek', 'mmap', 'mprotect',
  'munmap', 'brk', 'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'ioctl', 'pread64', 'writev', 'access', 'pipe', 'pipe2',
  'select', 'dup', 'dup2', 'dup3', 'getpid', 'clone', 'clone3', 'fork', 'vfork', 'execve', 'exit', 'exit_group', 'wait4', 'kill',
  'uname', 'fcntl', 'getcwd', 'chdir', 'getuid', 'getgid', 'geteuid', 'getegid', 'getppid', 'getpgrp', 'setpgid', 'arch_prctl',
  'set_tid_address', 'set_robust_list', 'prlimit64', 'getrandom', 'futex', 'getdents64', 'readlink', 'readlinkat', 'sigaltstack',
  'rseq', 'faccessat', 'faccessat2', 'getgroups', 'capget', 'prctl', 'sysinfo', 'gettid', 'tgkill', 'nanosleep', 'clock_nanosleep',
  // What runc's init still calls after it loaded the filter (it loads it before the exec).
  'fstatfs', 'statfs', 'close_range', 'setns', 'getdents', 'mkdirat', 'epoll_pwait', 'epoll_ctl', 'epoll_create1', 'sched_yield',
  'madvise', 'mlock', 'mincore', 'fchdir', 'capset', 'setgroups', 'setresuid', 'setresgid', 'sigprocmask', 'exit_group',
];

// ---- the base configs themselves, and a few variations of the clients' configs ----
const BASES: BaseName[] = ['runc-spec', 'runc-spec-rootless', ...FIXTURE_BASES];
const baseVariations: Variation[] = [
  ...BASES.map((b): Variation => ({ name: `base/${b}`, base: b, tty: b.endsWith('-tty') })),
  { name: 'base/runc-spec-terminal', base: 'runc-spec', tty: true, edit: (s) => { p(s).terminal = true; } },
  { name: 'base/runc-spec-rootless-non-root', base: 'runc-spec-rootless', edit: (s) => { l(s).uidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }]; l(s).gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }]; p(s).user = { uid: 1000, gid: 1000 }; } },
  { name: 'base/docker-non-root-cwd-missing', base: 'docker', edit: (s) => { p(s).user = { uid: 1000, gid: 1000, additionalGids: [1500] }; p(s).cwd = '/work'; } },
  { name: 'base/docker-limits-rt', base: 'docker-limits', edit: (s) => { resources(s).cpu = { ...resources(s).cpu, realtimeRuntime: 5000, realtimePeriod: 1000000 }; } },
  { name: 'base/ctr-user-ns', base: 'ctr', edit: (s) => userNs(s) },
  { name: 'base/docker-run-opts-no-init', base: 'docker-run-opts', edit: (s) => { p(s).user = { uid: 0, gid: 0 }; } },
];

export const VARIATIONS: Variation[] = [
  ...baseVariations, ...capVariations, ...userVariations, ...cwdVariations, ...mountVariations, ...nsVariations,
  ...hookVariations, ...processVariations, ...linuxVariations, ...resourceVariations, ...seccompVariations,
];
