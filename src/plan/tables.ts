// Option tables as data, shared by the plan builder and the `features` document (which therefore
// lists exactly what the plan understands). Values are Linux's.

export const MS = {
  RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, SYNCHRONOUS: 16, REMOUNT: 32, MANDLOCK: 64, DIRSYNC: 128,
  NOSYMFOLLOW: 256, NOATIME: 1024, NODIRATIME: 2048, BIND: 4096, MOVE: 8192, REC: 16384, SILENT: 32768,
  POSIXACL: 1 << 16, UNBINDABLE: 1 << 17, PRIVATE: 1 << 18, SLAVE: 1 << 19, SHARED: 1 << 20,
  RELATIME: 1 << 21, I_VERSION: 1 << 23, STRICTATIME: 1 << 24, LAZYTIME: 1 << 25,
} as const;

export const MOUNT_ATTR = {
  RDONLY: 0x1, NOSUID: 0x2, NODEV: 0x4, NOEXEC: 0x8, _ATIME: 0x70, RELATIME: 0x0, NOATIME: 0x10,
  STRICTATIME: 0x20, NODIRATIME: 0x80, IDMAP: 0x100000, NOSYMFOLLOW: 0x200000,
} as const;

/** Mount flag options: [clear?, flag]. `clear` options remove the flag (rw clears MS_RDONLY). */
export const mountFlagOptions: Record<string, [boolean, number]> = {
  acl: [false, MS.POSIXACL], async: [true, MS.SYNCHRONOUS], atime: [true, MS.NOATIME], bind: [false, MS.BIND],
  defaults: [false, 0], dev: [true, MS.NODEV], diratime: [true, MS.NODIRATIME], dirsync: [false, MS.DIRSYNC],
  exec: [true, MS.NOEXEC], iversion: [false, MS.I_VERSION], lazytime: [false, MS.LAZYTIME], loud: [true, MS.SILENT],
  mand: [false, MS.MANDLOCK], noacl: [true, MS.POSIXACL], noatime: [false, MS.NOATIME], nodev: [false, MS.NODEV],
  nodiratime: [false, MS.NODIRATIME], noexec: [false, MS.NOEXEC], noiversion: [true, MS.I_VERSION],
  nolazytime: [true, MS.LAZYTIME], nomand: [true, MS.MANDLOCK], norelatime: [true, MS.RELATIME],
  nostrictatime: [true, MS.STRICTATIME], nosuid: [false, MS.NOSUID], nosymfollow: [false, MS.NOSYMFOLLOW],
  rbind: [false, MS.BIND | MS.REC], relatime: [false, MS.RELATIME], remount: [false, MS.REMOUNT], ro: [false, MS.RDONLY],
  rw: [true, MS.RDONLY], silent: [false, MS.SILENT], strictatime: [false, MS.STRICTATIME], suid: [true, MS.NOSUID],
  sync: [false, MS.SYNCHRONOUS], symfollow: [true, MS.NOSYMFOLLOW],
};

/** Propagation options: the mount(2) flags that set them. */
export const propagationOptions: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/** Recursive options applied with mount_setattr(AT_RECURSIVE): [clear?, attr]. */
export const recursiveOptions: Record<string, [boolean, number]> = {
  rro: [false, MOUNT_ATTR.RDONLY], rrw: [true, MOUNT_ATTR.RDONLY],
  rnosuid: [false, MOUNT_ATTR.NOSUID], rsuid: [true, MOUNT_ATTR.NOSUID],
  rnodev: [false, MOUNT_ATTR.NODEV], rdev: [true, MOUNT_ATTR.NODEV],
  rnoexec: [false, MOUNT_ATTR.NOEXEC], rexec: [true, MOUNT_ATTR.NOEXEC],
  rnodiratime: [false, MOUNT_ATTR.NODIRATIME], rdiratime: [true, MOUNT_ATTR.NODIRATIME],
  rnosymfollow: [false, MOUNT_ATTR.NOSYMFOLLOW], rsymfollow: [true, MOUNT_ATTR.NOSYMFOLLOW],
};

/** Recursive atime options set the whole atime field (MOUNT_ATTR__ATIME) to one value. */
export const recursiveAtimeOptions: Record<string, number> = {
  rrelatime: MOUNT_ATTR.RELATIME, rnoatime: MOUNT_ATTR.NOATIME, rstrictatime: MOUNT_ATTR.STRICTATIME,
  // The "no" forms go back to the default (relatime), as runc does.
  rnorelatime: MOUNT_ATTR.RELATIME, ratime: MOUNT_ATTR.RELATIME, rnostrictatime: MOUNT_ATTR.RELATIME,
};

export const NS_FLAGS = {
  mount: 0x00020000, uts: 0x04000000, ipc: 0x08000000, user: 0x10000000, pid: 0x20000000,
  network: 0x40000000, cgroup: 0x02000000, time: 0x00000080,
} as const;

export type NamespaceType = keyof typeof NS_FLAGS;

/** The /proc/<pid>/ns/<name> file of each namespace type. */
export const NS_PROC_NAME: Record<NamespaceType, string> = {
  mount: 'mnt', uts: 'uts', ipc: 'ipc', user: 'user', pid: 'pid', network: 'net', cgroup: 'cgroup', time: 'time',
};

export const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** Options handled by tsrun itself rather than passed to the kernel. */
export const extensionOptions = ['tmpcopyup'];

/** Idmapped-mount options (src/plan/idmap.ts): never filesystem data, and not in `features` (as in runc). */
export const idmapOptions = ['idmap', 'ridmap'];
