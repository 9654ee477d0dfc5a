// The typed face of the C++ addon (build/Release/tsrun.node). The addon is mechanism only: thin,
// synchronous syscall wrappers. Every failure throws an Error with `code` (errno name, e.g. "ENOENT"),
// `errno` (number) and `syscall` set, as Node's own fs errors do.

export interface SpawnOptions {
  /** fd of the sealed tsrun-init image (from sealedExecFd). */
  execFd: number;
  /** argv of the helper, argv[0] included. The environment is always empty. */
  argv: string[];
  /** fds[i] is the parent fd that becomes fd i in the child, or -1 to leave fd i closed. Every other fd is closed. */
  fds: number[];
  /** A cgroup v2 directory fd: the child is born in it (clone3 CLONE_INTO_CGROUP). */
  cgroupFd?: number;
}

export interface WaitResult {
  /** Exit status when the process exited normally. */
  code?: number;
  /** Signal number when it was killed by a signal. */
  signal?: number;
}

/** A filter with every name already resolved to libseccomp's numbers (src/seccomp/ does that). */
export interface SeccompInput {
  /** SCMP_ACT_* value (errno/trace data included). */
  defaultAction: number;
  /** SCMP_ARCH_* tokens. */
  arches: number[];
  rules: { name: string; action: number; args: { index: number; op: number; a: bigint; b: bigint }[] }[];
  /** Syscall names whose highest number per arch is reported back (lastSyscalls). */
  probe: string[];
  /** SCMP_FLTATR_CTL_OPTIMIZE=2 (binary tree). */
  optimize: boolean;
}

export interface Native {
  // files.cc: node:fs-shaped file calls (src/sys/fs.ts wraps them)
  readFile(path: string, text: boolean): string | Buffer;
  writeFile(path: string, data: string | Uint8Array, flags: number, mode: number): void;
  write(fd: number, data: string | Uint8Array, offset?: number): number;
  read(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  close(fd: number): void;
  /** how: 0 stat, 1 lstat, | 2 = null instead of ENOENT/ENOTDIR. [dev, ino, mode, nlink, uid, gid, rdev, size, mtimeMs] */
  stat(path: string, how: number): number[] | null;
  fstat(fd: number): number[];
  /** [names, d_types], without . and .. */
  readdir(path: string): [string[], number[]];
  mkdir(path: string, mode: number): void;
  rmdir(path: string): void;
  /** umount2(2). */
  umount2(path: string, flags: number): void;
  unlink(path: string): void;
  chmod(path: string, mode: number): void;
  rename(from: string, to: string): void;
  symlink(target: string, path: string): void;
  readlink(path: string): string;
  fsync(fd: number): void;
  statfsType(path: string): number;
  /** statfs(2) f_flags (ST_* bits): the per-mount flags of the mount holding path. */
  statfsFlags(path: string): number;
  mkdtemp(prefix: string): string;

  mkfifo(path: string, mode: number): void;
  /** Marks every fd from `from` up close-on-exec (close_range CLOSE_RANGE_CLOEXEC). */
  cloexecFrom(from: number): void;
  /** fcntl(F_DUPFD_CLOEXEC): another fd for the same open file. */
  dupCloexec(fd: number): number;
  /** Raw open(2): allows O_PATH and flags Node's fs rejects. The fd is O_CLOEXEC. */
  open(path: string, flags: number, mode?: number): number;
  /** flock(2). With LOCK_NB, returns false instead of throwing when the lock is held. */
  flock(fd: number, op: number): boolean;
  /** AF_UNIX SOCK_STREAM socketpair, both ends O_CLOEXEC. */
  socketpair(): [number, number];
  /** Connects to a unix stream socket path; the fd is O_CLOEXEC. */
  connectUnix(path: string): number;
  /** Writes one frame: u32 length, u16 type, u16 0, payload. */
  sendMsg(fd: number, type: number, payload?: Uint8Array): void;
  /** Reads one frame. null on EOF. Throws ETIMEDOUT after timeoutMs (-1 = wait forever). */
  recvMsg(fd: number, timeoutMs: number): { type: number; payload: Uint8Array; fds: number[] } | null;
  /** A memfd holding a copy of the file at path, sealed (SEAL, SHRINK, GROW, WRITE), O_CLOEXEC. */
  sealedExecFd(path: string): number;
  /** clone3(CLONE_VM|CLONE_VFORK|CLONE_PIDFD[|CLONE_INTO_CGROUP]) + execveat of the sealed image. */
  spawn(opts: SpawnOptions): { pid: number; pidfd: number };
  pidfdOpen(pid: number): number;
  pidfdSendSignal(pidfd: number, signal: number): void;
  /** waitid(P_PIDFD). null when nohang and the process still runs. Throws ECHILD when it is not our child. */
  waitPidfd(pidfd: number, nohang: boolean): WaitResult | null;
  /** waitid(P_PIDFD) on a worker thread: resolves when the process exits (and reaps it). */
  waitPidfdAsync(pidfd: number): Promise<WaitResult>;
  /** poll(2) on fds with the same events each; returns revents per fd. */
  poll(fds: number[], events: number, timeoutMs: number): number[];
  /** A listening AF_UNIX stream socket at path (O_CLOEXEC). */
  listenUnix(path: string): number;
  /** Accepts one connection and receives one fd with its payload (the console-socket protocol). ETIMEDOUT after timeoutMs. */
  recvFd(listenFd: number, timeoutMs: number): { fd: number; payload: string };
  /** Connects to a unix socket, sends payload with one fd (SCM_RIGHTS), closes the connection. */
  sendFdTo(path: string, payload: string, fd: number): void;
  /** Loads a BPF_PROG_TYPE_CGROUP_DEVICE program and attaches it (BPF_F_ALLOW_MULTI) to a cgroup v2 dir fd. */
  attachDeviceFilter(insns: Uint8Array, cgroupFd: number): void;
  /** cfmakeraw on a terminal; returns the previous termios for restoreTermios. */
  makeRaw(fd: number): Uint8Array;
  restoreTermios(fd: number, saved: Uint8Array): void;
  /** ioctl(TIOCSWINSZ). */
  setWinsize(fd: number, rows: number, cols: number): void;
  /** prctl(PR_SET_CHILD_SUBREAPER, 1). */
  setSubreaper(): void;
  /**
   * libseccomp: seccomp_init(defaultAction), seccomp_arch_add each arch token (the native arch is
   * always in), one seccomp_rule_add_array per rule (names unknown to libseccomp are returned in
   * `skipped`), seccomp_export_bpf. Values are BigInt (u64, never a double). `lastSyscalls` gives,
   * per arch in the filter, the highest number any `probe` name has there (-1: none). Errors from
   * seccomp_arch_add / seccomp_rule_add carry `index`, the failing element of arches / rules.
   */
  compileSeccomp(filter: SeccompInput): { bpf: Uint8Array; skipped: string[]; lastSyscalls: { arch: number; nr: number }[] };
  /** seccomp(SECCOMP_SET_MODE_FILTER, flags, NULL) fails with EFAULT, i.e. the kernel knows these flags. Installs nothing. */
  seccompFlagsSupported(flags: number): boolean;
  /** seccomp_arch_add of the SCMP_ARCH_* token to a new filter succeeds (this libseccomp knows the arch). */
  seccompArchKnown(token: number): boolean;
  /** The linked libseccomp's version, "2.5.4". */
  libseccompVersion(): string;
}
