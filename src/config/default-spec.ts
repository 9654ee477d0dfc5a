// The config `tsrun spec` writes: the same shape as `runc spec` (a busybox-friendly shell in the
// usual namespaces, a read-only root, the standard mounts, masked and read-only paths), and with
// --rootless the changes runc makes for an unprivileged user.
import type { Spec } from './gen/config.js';
import { SPEC_VERSION } from '../state/store.js';

const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

/** cgroupns: whether to add a cgroup namespace (runc's spec does only on a pure cgroup v2 host). */
export function defaultSpec(opts: { cgroupns?: boolean } = {}): Spec {
  return {
    ociVersion: SPEC_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: [...CAPS], effective: [...CAPS], permitted: [...CAPS] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'tsrun',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, ...((opts.cgroupns ?? true) ? [{ type: 'cgroup' as const }] : [])],
      maskedPaths: [
        '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** runc's rootless changes (ToRootless): a user namespace mapping the caller, no network namespace,
 * sysfs bound instead of mounted, no uid=/gid= mount options, no resources. */
export function rootlessSpec(uid: number, gid: number, opts: { cgroupns?: boolean } = {}): Spec {
  const s = defaultSpec(opts);
  const linux = s.linux!;
  linux.resources = undefined;
  linux.namespaces = linux.namespaces!.filter((n) => n.type !== 'network');
  linux.namespaces.push({ type: 'user' });
  linux.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }];
  linux.gidMappings = [{ containerID: 0, hostID: gid, size: 1 }];
  s.mounts = s.mounts!.map((m) => {
    if (m.destination === '/sys') return { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
    return { ...m, options: m.options?.filter((o) => !o.startsWith('gid=') && !o.startsWith('uid=')) };
  });
  delete (linux as { resources?: unknown }).resources;
  return s;
}
