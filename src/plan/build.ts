// config.json -> InitPlan: the flat list of steps tsrun-init performs, in runc's order, each with a
// description and the config path it comes from (so a failure names the field, and `--dry-run` can
// show the plan). PURE: every host fact comes in through PlanInput; nothing here does I/O.
import type { Mount, Spec } from '../config/gen/config.js';
import { fail } from '../errors.js';
import { HookKind, MkdirKind, SyncKind, type Op } from './ops.gen.js';
import { idmapStep, mountIdmap } from './idmap.js';
import { flagNames, keepLockedFlags, parseMountOptions } from './mount-options.js';
import { CAPABILITIES, MS, NS_FLAGS, RLIMITS, type NamespaceType } from './tables.js';
import { containerAttrSteps, finalAffinitySteps, initialAffinitySteps, schedulingSteps } from './process-attrs.js';

export interface Step {
  op: Op;
  /** What the step does, in words: `mount "proc" on /proc`. */
  what: string;
  /** The config.json field it comes from: `mounts[0]`. */
  configPath?: string;
}

/** Facts about the host the plan depends on, gathered by the caller. */
export interface HostFacts {
  /** Kind of the file at a host path (bind-mount sources), or undefined when missing. */
  sourceKind(path: string): 'dir' | 'file' | undefined;
  /** The host's cgroup hierarchies: v1 ones (null on a pure v2 host) and the cgroup2 mount point. */
  cgroup: { v1: { options: string; mountpoint: string }[] | null; v2?: string };
  /** Whether /proc/kcore exists (then /dev/core links to it, as runc does). */
  procKcore?: boolean;
  /** The home directory of uid in the container's /etc/passwd, for HOME when the env has none. */
  homeOf?: (uid: number) => string | undefined;
  /** The capabilities the runtime itself holds (its bounding set): no container can get more. */
  capBound?: bigint;
  /** Which LSMs the host has enabled. */
  lsm?: { apparmor: boolean; selinux: boolean };
  /** Mount points of whole proc and sysfs mounts (root "/") of the runtime's mount namespace (--no-pivot). */
  procSysMounts?: string[];
  /** The mount(2) flags of the mount holding a host path (statfs), for flags a user namespace locks. */
  mountFlags?(path: string): number | undefined;
}

/** How tsrun runs (src/sys/userns.ts): runc's rootless paths. */
export interface RunAs {
  /** A non-root user (runc's RootlessEUID): no host privilege at all, only its own ids. */
  rootlessEUID: boolean;
  /** tsrun itself runs in a user namespace (Podman's): no mknod, mounts it inherited are locked. */
  inUserNs: boolean;
}

export interface PlanInput {
  spec: Spec;
  /** The container id (names the session keyring). */
  id: string;
  /** --no-new-keyring: keep the caller's session keyring. */
  noNewKeyring?: boolean;
  bundle: string;
  rootfs: string;
  noPivot: boolean;
  /** fds as the helper sees them. */
  fds: { fifo: number; consoleSocket?: number; cgroupJoins?: CgroupJoinFd[]; firstToClose: number };
  /** The container's cgroup path inside each hierarchy (e.g. /tsrun/c1): bound for `cgroup` mounts. */
  cgroupPath?: string;
  /** Whether to block on the exec fifo until `start` (create) or not (tests of the plan alone). */
  waitForStart: boolean;
  host: HostFacts;
  /** The compiled seccomp filter (compiled by the caller from linux.seccomp: compiling is not pure). */
  seccomp?: { bpf: Uint8Array; flags: number };
  /** Rootless (a non-root user, or root of another's user namespace); absent: real root. */
  runAs?: RunAs;
  /** Where each v1 hierarchy (host mount point) or the cgroup2 mount has the container's cgroup, when
   * not at <mount><cgroupPath> (rootless: tsrun's own cgroup where it could not make one). */
  cgroupBinds?: Record<string, string>;
}

export interface InitPlan {
  steps: Step[];
  /** No mount namespace: the mounts live in tsrun's own under this path, detached at delete. */
  hostMounts?: string;
  /** Things the plan could not do as asked and that the spec says to warn about, not fail. */
  warnings?: string[];
  /** The runtime writes the id maps when the helper asks (sync usermap). */
  usermap?: { uidMap: string; gidMap: string };
  /** /proc/<pid>/timens_offsets content, written when the helper asks (sync timens). */
  timeOffsets?: string;
  /** Whether prestart/createRuntime hooks run at the hooks sync. */
  runtimeHooks: boolean;
}

/** The bits of a capability list; names tsrun does not know are collected in unknown. */
const capBits = (names: readonly string[] | undefined, unknown: Set<string>): bigint => {
  let bits = 0n;
  for (const n of names ?? []) {
    const bit = CAPABILITIES.indexOf(n);
    if (bit < 0) unknown.add(n);
    else bits |= 1n << BigInt(bit);
  }
  return bits;
};

const capNames = (bits: bigint) => CAPABILITIES.filter((_, i) => bits & (1n << BigInt(i)));

/**
 * The capability sets, as the kernel can grant them, with a warning for each thing left out (runc and
 * crun run such configs; `runc spec` itself asks for ambient capabilities without inheritable ones):
 * - unknown names are ignored (runc 1.2+: "ignoring unknown or unavailable capabilities"), so a config
 *   written for a newer kernel still runs;
 * - what the runtime does not hold itself cannot be granted: the spec says to warn, not fail;
 * - an ambient capability must also be permitted and inheritable, or the kernel refuses to raise it
 *   (runc and crun skip it with a warning).
 */
function capabilitySets(caps: NonNullable<Spec['process']>['capabilities'] = {}, bound: bigint | undefined, warnings: string[]) {
  const unknown = new Set<string>();
  const sets = {
    bounding: capBits(caps.bounding, unknown),
    effective: capBits(caps.effective, unknown),
    permitted: capBits(caps.permitted, unknown),
    inheritable: capBits(caps.inheritable, unknown),
    ambient: capBits(caps.ambient, unknown),
  };
  if (unknown.size) warnings.push(`process.capabilities: ignoring unknown capabilities: ${[...unknown].join(', ')}`);
  if (bound !== undefined) {
    const all = sets.bounding | sets.effective | sets.permitted | sets.inheritable | sets.ambient;
    const missing = all & ~bound;
    if (missing) {
      const names = capNames(missing);
      warnings.push(`process.capabilities: ${names.join(', ')} cannot be granted (tsrun itself does not hold ${names.length > 1 ? 'them' : 'it'}), so the container runs without`);
      for (const k of Object.keys(sets) as (keyof typeof sets)[]) sets[k] &= bound;
    }
  }
  const noAmbient = sets.ambient & ~(sets.inheritable & sets.permitted);
  if (noAmbient) {
    warnings.push(`process.capabilities.ambient: cannot raise ${capNames(noAmbient).join(', ')}: an ambient capability must also be in the permitted and inheritable sets (skipped, as runc does)`);
    sets.ambient &= ~noAmbient;
  }
  return sets;
}

/** The devices every container gets (runtime-spec "Default Devices"). */
const DEFAULT_DEVICES: [string, number, number][] = [
  ['/dev/null', 1, 3], ['/dev/random', 1, 8], ['/dev/full', 1, 7], ['/dev/tty', 5, 0], ['/dev/zero', 1, 5], ['/dev/urandom', 1, 9],
];
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const makedev = (major: number, minor: number) => (BigInt(major & 0xfff) << 8n) | BigInt(minor & 0xff) | (BigInt(minor & ~0xff) << 12n) | (BigInt(major & ~0xfff) << 32n);

/** A cgroup v1 `tasks` file the runtime opened for the helper (fd as the helper sees it). */
export interface CgroupJoinFd {
  fd: number;
  file: string;
}

/** First of all: into the container's cgroups (before any fork, and before affinity: a cpuset join resets it). */
export function cgroupJoinSteps(w: PlanWriter, joins: CgroupJoinFd[] | undefined): void {
  for (const j of joins ?? []) w.add({ op: 'join_cgroup', fd: j.fd }, `join the cgroup ${j.file.replace(/\/tasks$/, '')}`);
}

export class PlanWriter {
  steps: Step[] = [];
  add(op: Op, what: string, configPath?: string): void {
    this.steps.push(configPath ? { op, what, configPath } : { op, what });
  }
}

export function buildPlan(input: PlanInput): InitPlan {
  const { spec } = input;
  const linux = spec.linux ?? {};
  const proc = spec.process;
  if (!proc) throw fail('config.json has no process: there is nothing to run', { configPath: 'process' });
  const w = new PlanWriter();
  // The hooks sync also brings the state JSON that createContainer hooks read on stdin.
  const plan: InitPlan = { steps: w.steps, warnings: [], runtimeHooks: !!(spec.hooks?.prestart?.length || spec.hooks?.createRuntime?.length || spec.hooks?.createContainer?.length) };
  const namespaces = linux.namespaces ?? [];
  const nsOf = (t: NamespaceType) => namespaces.find((n) => n.type === t);
  const nsPath = (t: NamespaceType) => `linux.namespaces[${namespaces.findIndex((n) => n.type === t)}]`;
  // Without a mount namespace the container inherits tsrun's (runtime-spec: a namespace not listed is
  // the runtime's), as with runc: its mounts are made there, under the root filesystem bound on
  // itself and made private (runc makes the caller's whole / rslave; tsrun leaves it alone), and it is
  // jailed with chroot. delete detaches them all (runc leaves them).
  const ownMountNs = !!nsOf('mount');
  if (!ownMountNs) plan.hostMounts = input.rootfs;
  if (!ownMountNs) plan.warnings!.push(`there is no mount namespace (linux.namespaces): the container's mounts are made in tsrun's own, under ${input.rootfs}, until delete`);

  cgroupJoinSteps(w, input.fds.cgroupJoins);
  initialAffinitySteps(w, spec);
  // rlimits first, while the helper is still host root: raising a hard limit needs CAP_SYS_RESOURCE
  // in the initial user namespace, which a new user namespace would not have.
  for (const [i, r] of (proc.rlimits ?? []).entries()) {
    w.add({ op: 'setrlimit', resource: RLIMITS[r.type] ?? rlimitUnknown(r.type, i), soft: BigInt(r.soft), hard: BigInt(r.hard) }, `set ${r.type} to ${r.soft}/${r.hard}`, `process.rlimits[${i}]`);
  }
  if (proc.oomScoreAdj !== undefined) w.add({ op: 'write_file', path: '/proc/self/oom_score_adj', data: String(proc.oomScoreAdj) }, `set oom_score_adj to ${proc.oomScoreAdj}`, 'process.oomScoreAdj');
  // Not dumpable until the user program's execve: no one may ptrace or read /proc of the helper.
  w.add({ op: 'set_dumpable', on: 0 }, 'make the helper non-dumpable');

  // In a user namespace the container's root may not reach a bind mount's source (a 0700 directory of
  // the host's root): the helper clones each source tree first, while it is still host root (runc
  // opens them from the host side too), and attaches the clones later. An idmapped mount is cloned in
  // any case: the id mapping is set on the clone (src/plan/idmap.ts).
  const held = new Map<number, number>();
  for (const [i, m] of (spec.mounts ?? []).entries()) {
    const o = parseMountOptions(m.options);
    const isBind = (o.flags & MS.BIND) !== 0 || m.type === 'bind';
    const idmap = mountIdmap(spec, m, `mounts[${i}]`, isBind);
    // (A non-root user has no such privilege: its container reaches what the user reaches, as with runc.)
    if (!isBind || !((nsOf('user') && !input.runAs?.rootlessEUID) || idmap)) continue;
    if (held.size >= MAX_HELD) {
      if (idmap) throw fail(`more than ${MAX_HELD} bind mounts to clone on the host: this one cannot be idmapped`, { configPath: `mounts[${i}]` });
      continue;
    }
    const source = bindSource(input, m);
    if (!input.host.sourceKind(source)) continue; // reported by mountSteps, with the field
    held.set(i, held.size + 1);
    w.add({ op: 'hold_tree', path: source, slot: held.size, recursive: o.flags & MS.REC ? 1 : 0 }, `clone the mount tree of ${source} (reachable by the host's root only)`, `mounts[${i}].source`);
    if (idmap) {
      const s = idmapStep(idmap, held.size, source);
      w.add(s.op, s.what, s.configPath);
    }
  }

  // Join namespaces by path: everything but user and mount first (still privileged on the host),
  // then user, then mount last (joining it changes what host paths resolve to).
  const joins = namespaces.map((n, i) => ({ n, i })).filter(({ n }) => n.path);
  const joinOrder = (t: string) => (t === 'user' ? 1 : t === 'mount' ? 2 : 0);
  for (const { n, i } of joins.sort((a, b) => joinOrder(a.n.type) - joinOrder(b.n.type))) {
    w.add({ op: 'setns', path: n.path!, nstype: NS_FLAGS[n.type as NamespaceType] }, `join the ${n.type} namespace ${n.path}`, `linux.namespaces[${i}].path`);
    // As runc: root of the joined namespace, or nothing can be created in it (host root is unmapped there).
    if (n.type === 'user') w.add({ op: 'set_user', uid: 0, gid: 0, groups: [], setGroups: 0 }, 'become root of the user namespace', `linux.namespaces[${i}].path`);
  }

  const userNs = nsOf('user');
  if (userNs && !userNs.path) {
    w.add({ op: 'unshare', flags: NS_FLAGS.user }, 'create the user namespace', nsPath('user'));
    plan.usermap = {
      uidMap: (linux.uidMappings ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join(''),
      gidMap: (linux.gidMappings ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join(''),
    };
    // A non-root runtime may write the maps of a non-dumpable process's /proc files (owned by root)
    // only while it is dumpable again, and newuidmap checks that the process is the caller's (runc too).
    if (input.runAs?.rootlessEUID) w.add({ op: 'set_dumpable', on: 1 }, 'make the helper dumpable while the runtime writes its id maps (rootless)', nsPath('user'));
    w.add({ op: 'sync', kind: SyncKind.usermap }, 'wait for the runtime to write uid_map and gid_map', 'linux.uidMappings');
    if (input.runAs?.rootlessEUID) w.add({ op: 'set_dumpable', on: 0 }, 'make the helper non-dumpable again', nsPath('user'));
    w.add({ op: 'set_user', uid: 0, gid: 0, groups: [], setGroups: 0 }, 'become root of the user namespace', 'linux.uidMappings');
  }

  let unshareFlags = 0;
  for (const n of namespaces) if (!n.path && n.type !== 'user') unshareFlags |= NS_FLAGS[n.type as NamespaceType];
  if (unshareFlags) {
    const names = namespaces.filter((n) => !n.path && n.type !== 'user').map((n) => n.type).join(', ');
    w.add({ op: 'unshare', flags: unshareFlags }, `create the ${names} namespace(s)`, 'linux.namespaces');
  }
  // As runc (its "loopback" network): a new network namespace gets its loopback up.
  const netNs = nsOf('network');
  if (netNs && !netNs.path) w.add({ op: 'loopback_up' }, 'bring up the loopback interface', nsPath('network'));
  const timeNs = nsOf('time');
  if (timeNs && !timeNs.path && linux.timeOffsets) {
    plan.timeOffsets = Object.entries(linux.timeOffsets).map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`).join('');
    w.add({ op: 'sync', kind: SyncKind.timens }, 'wait for the runtime to write timens_offsets', 'linux.timeOffsets');
  }
  // pid and time namespaces apply to children only: the container's init is a child of the helper.
  if (nsOf('pid') || nsOf('time')) w.add({ op: 'fork' }, 'fork the container init into the new pid namespace', nsOf('pid') ? nsPath('pid') : nsPath('time'));
  else w.add({ op: 'report_pid' }, 'report the container init pid');
  w.add({ op: 'setsid' }, 'start a new session');
  schedulingSteps(w, spec);
  containerAttrSteps(w, spec);
  if (!input.noNewKeyring) {
    // Searchable by the container's user: "other" in a user namespace (uids differ), else "user".
    w.add({ op: 'join_keyring', name: `_ses.${input.id}`, permSet: userNs ? 0x8 : 0x80000 }, 'join a new session keyring (--no-new-keyring keeps the caller\'s)');
  }

  const readonlyLater = rootfsSteps(w, input, !!userNs || !!input.runAs?.inUserNs, held, ownMountNs);
  if (plan.runtimeHooks) {
    const field = spec.hooks?.prestart?.length ? 'hooks.prestart' : spec.hooks?.createRuntime?.length ? 'hooks.createRuntime' : 'hooks.createContainer';
    w.add({ op: 'sync', kind: SyncKind.hooks }, 'run prestart and createRuntime hooks (and get the state for createContainer hooks)', field);
  }
  // runc runs createContainer hooks with the root filesystem as their working directory.
  if (spec.hooks?.createContainer?.length) w.add({ op: 'chdir_root' }, 'change to the root filesystem (the createContainer hooks\' working directory)', 'hooks.createContainer');
  for (const [i, h] of (spec.hooks?.createContainer ?? []).entries()) {
    // Without env: the process's environment as written, as runc's init gives it (its own by then).
    w.add({ op: 'run_hook', kind: HookKind.createContainer, path: h.path, args: h.args ?? [h.path], env: h.env ?? proc.env ?? [], timeout: h.timeout ?? 0 }, `run createContainer hook ${h.path}`, `hooks.createContainer[${i}]`);
  }
  if (!ownMountNs) {
    w.add({ op: 'chroot_root' }, 'chroot into the root filesystem (no mount namespace to pivot_root in)', 'root.path');
  } else if (input.noPivot) {
    // Under a chroot the host's own proc and sysfs stay in the namespace, and with them the kernel
    // would let the container mount an unmasked procfs: remove them first (as runc does).
    for (const p of input.host.procSysMounts ?? []) {
      if (p !== input.rootfs && !p.startsWith(`${input.rootfs}/`)) w.add({ op: 'detach_mount', path: p }, `detach the runtime's ${p} (--no-pivot)`);
    }
    w.add({ op: 'move_root' }, 'move the root filesystem to / and chroot (--no-pivot)', 'root.path');
  } else w.add({ op: 'pivot_root' }, 'pivot_root into the root filesystem', 'root.path');
  // As runc: a missing working directory is created (as root, before the user switch).
  w.add({ op: 'mkdir', path: proc.cwd, mode: 0o755 }, `create the working directory ${proc.cwd} if it is missing`, 'process.cwd');


  if (proc.terminal) {
    if (input.fds.consoleSocket === undefined) throw fail('process.terminal is set but there is no console socket', { configPath: 'process.terminal' });
    w.add({ op: 'console', socketFd: input.fds.consoleSocket, rows: proc.consoleSize?.height ?? 0, cols: proc.consoleSize?.width ?? 0, bindConsole: 1 }, 'allocate the pty and send its master to the console socket', 'process.terminal');
  }
  // runc's order (finalizeRootfs, then hostname, sysctl, read-only and masked paths): what is read-only
  // is so before the masks are bound (a masked file's bind of /dev/null is then read-only too).
  for (const r of readonlyLater) w.add(r.op, r.what, r.configPath);
  if (spec.root.readonly) w.add({ op: 'mount', source: '', target: '/', fstype: '', flags: keptFlags(input, input.rootfs, MS.BIND | MS.REMOUNT | MS.RDONLY, []), data: '', inRoot: 1, mkdir: MkdirKind.none, mode: 0, held: 0 }, 'remount the root filesystem read-only', 'root.readonly');
  if (spec.hostname) w.add({ op: 'sethostname', name: spec.hostname }, `set the hostname to "${spec.hostname}"`, 'hostname');
  if (spec.domainname) w.add({ op: 'setdomainname', name: spec.domainname }, `set the domainname to "${spec.domainname}"`, 'domainname');
  for (const [key, value] of Object.entries(linux.sysctl ?? {})) {
    w.add({ op: 'write_file', path: `/proc/sys/${key.replace(/\./g, '/')}`, data: value }, `set sysctl ${key}=${value}`, `linux.sysctl["${key}"]`);
  }
  for (const [i, p] of (linux.readonlyPaths ?? []).entries()) w.add({ op: 'readonly_path', path: p }, `make ${p} read-only`, `linux.readonlyPaths[${i}]`);
  for (const [i, p] of (linux.maskedPaths ?? []).entries()) w.add({ op: 'mask_path', path: p }, `mask ${p}`, `linux.maskedPaths[${i}]`);
  // The root mount's own propagation, once everything is mounted (the mounts keep their own options).
  const rprop = spec.linux?.rootfsPropagation;
  if (rprop) {
    // As given, as runc >= 1.2 applies it after pivot_root: "shared" is the root mount's own, "rshared"
    // every mount's (runc 1.1.5 left / private: opencontainers/runc#1755).
    const flag = parseMountOptions([rprop]).propagation[0];
    w.add({ op: 'mount', source: '', target: '/', fstype: '', flags: flag, data: '', inRoot: 1, mkdir: MkdirKind.none, mode: 0, held: 0 }, `make the container's / ${rprop}`, 'linux.rootfsPropagation');
  }
  if (spec.linux?.intelRdt) throw fail('Intel RDT (linux.intelRdt) is not supported by this version of tsrun', { configPath: 'linux.intelRdt', hint: 'remove the field' });

  processSteps(w, input, plan.warnings);
  return plan;
}

/**
 * LSM labels take effect at the execve (the kernel reads /proc/self/attr/*exec then). Asking for an
 * LSM the host does not have is an error: the container would run unconfined.
 */
function lsmSteps(w: PlanWriter, input: PlanInput, warnings: string[]): void {
  const proc = input.spec.process!;
  const lsm = input.host.lsm ?? { apparmor: false, selinux: false };
  // Without AppArmor a profile cannot be applied: as crun, the container runs without one, and tsrun
  // warns (clients ask for a profile only where the host has AppArmor; such a config was made elsewhere).
  if (proc.apparmorProfile && !lsm.apparmor) {
    warnings.push(`process.apparmorProfile "${proc.apparmorProfile}" is not applied: AppArmor is not enabled on this host`);
  } else if (proc.apparmorProfile) {
    w.add({ op: 'write_file', path: '/proc/self/attr/apparmor/exec', data: `exec ${proc.apparmorProfile}` }, `switch to the AppArmor profile "${proc.apparmorProfile}" at exec`, 'process.apparmorProfile');
  }
  if (proc.selinuxLabel) {
    if (!lsm.selinux) throw fail(`SELinux label "${proc.selinuxLabel}" requested, but SELinux is not enabled on this host`, { configPath: 'process.selinuxLabel', hint: 'remove the field, or run on a host with SELinux' });
    w.add({ op: 'write_file', path: '/proc/self/attr/exec', data: proc.selinuxLabel }, `switch to the SELinux label "${proc.selinuxLabel}" at exec`, 'process.selinuxLabel');
  }
  // Without SELinux a mount label means nothing, and runc and crun ignore it; with SELinux tsrun does
  // not label mounts yet, and says so.
  if (input.spec.linux?.mountLabel && lsm.selinux) warnings.push('linux.mountLabel is not applied by this version of tsrun');
}

function rlimitUnknown(type: string, i: number): never {
  throw fail(`unknown rlimit "${type}"`, { configPath: `process.rlimits[${i}].type`, hint: `known: ${Object.keys(RLIMITS).join(', ')}` });
}

/** The source of a bind mount as a host path (relative ones are relative to the bundle). */
function bindSource(input: PlanInput, m: Mount): string {
  return m.source?.startsWith('/') ? m.source : `${input.bundle}/${m.source ?? ''}`;
}

/**
 * A bind remount's flags, with what the kernel locks kept (keepLockedFlags): only where it locks them,
 * in a new user namespace or when tsrun itself runs in one.
 */
function keptFlags(input: PlanInput, source: string, flags: number, options: readonly string[] | undefined): number {
  const locks = input.runAs?.inUserNs || (input.spec.linux?.namespaces ?? []).some((n) => n.type === 'user');
  const src = locks ? input.host.mountFlags?.(source) : undefined;
  return src === undefined ? flags : keepLockedFlags(flags, options, src);
}

/** How many bind sources tsrun-init can hold (hold_tree slots). */
const MAX_HELD = 16;

/** Mounts, devices and links of the root filesystem; returns the read-only remounts to do at the end. */
function rootfsSteps(w: PlanWriter, input: PlanInput, inUserns: boolean, held: Map<number, number>, ownMountNs: boolean): Step[] {
  const { spec, rootfs } = input;
  const linux = spec.linux ?? {};
  // Setup always runs with / rslave (nothing propagates to the host, and pivot_root refuses a shared
  // root); a configured rootfsPropagation is applied to the container's own / after pivot_root.
  const mnt = (source: string, target: string, fstype: string, flags: number, data: string, inRoot: number, mkdir: number, mode = 0o755): Op =>
    ({ op: 'mount', source, target, fstype, flags, data, inRoot, mkdir, mode, held: 0 });

  // Nothing mounted in the container may propagate back to the host.
  if (ownMountNs) w.add(mnt('', '/', '', MS.SLAVE | MS.REC, '', 0, MkdirKind.none), 'make / rslave in the container\'s mount namespace');
  const later: Step[] = [];
  // pivot_root needs the new root to be a mount point.
  w.add(mnt(rootfs, rootfs, '', MS.BIND | MS.REC, '', 0, MkdirKind.none), `bind the root filesystem ${rootfs} on itself`, 'root.path');
  // In tsrun's own mount namespace, only that bind (and what is mounted under it) is made private.
  if (!ownMountNs) w.add(mnt('', rootfs, '', MS.PRIVATE | MS.REC, '', 0, MkdirKind.none), `make the root filesystem's bind private (nothing propagates to or from tsrun's mount namespace)`, 'linux.namespaces');
  w.add({ op: 'open_root', path: rootfs }, `open the root filesystem ${rootfs}`, 'root.path');

  const mounts = spec.mounts ?? [];
  let devpts = false;
  let devFromHost = false;
  for (const [i, m] of mounts.entries()) {
    const kind = mountSteps(w, input, m, `mounts[${i}]`, held.get(i) ?? 0, later);
    if (m.destination === '/dev/pts' && m.type === 'devpts') devpts = true;
    if (m.destination === '/dev' && kind === 'bind') devFromHost = true;
  }
  if (!devFromHost) deviceSteps(w, input, inUserns, devpts);
  return later;
}

/**
 * Steps for one config mount; returns whether it was a bind mount. held: the hold_tree slot of its
 * source (0: none). A read-only tmpfs or /dev is mounted read-write and remounted read-only at the end
 * (pushed to later), as runc does: devices and modes still have to be set up on it.
 */
function mountSteps(w: PlanWriter, input: PlanInput, m0: Mount, path: string, held: number, later: Step[]): 'bind' | 'fs' {
  // config.md: a relative destination MAY be given, and MUST be read as relative to "/".
  const m = m0.destination.startsWith('/') ? m0 : { ...m0, destination: `/${m0.destination}` };
  const o = parseMountOptions(m.options);
  const dest = m.destination;
  const label = `mount ${m.type ? `${m.type} ` : ''}"${m.source ?? ''}" on ${dest}`;
  const bind = (o.flags & MS.BIND) !== 0 || m.type === 'bind';
  const copyup = o.extensions.includes('tmpcopyup');
  if (copyup && (m.type !== 'tmpfs' || (o.flags & MS.BIND))) throw fail(`${label}: tmpcopyup is only for tmpfs mounts`, { configPath: `${path}.options` });
  if (bind) {
    const source = bindSource(input, m);
    const kind = input.host.sourceKind(source);
    if (!kind) throw fail(label, { configPath: `${path}.source`, errno: 2, detail: source });
    const flags = o.flags | MS.BIND;
    w.add({ op: 'mount', source, target: dest, fstype: '', flags: flags & (MS.BIND | MS.REC), data: '', inRoot: 1, mkdir: kind === 'dir' ? MkdirKind.dir : MkdirKind.file, mode: 0o755, held }, held ? `${label} (the tree cloned on the host)` : label, path);
    // Per-mount flags of a bind mount only take effect on a remount.
    const rest = flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    if (rest) w.add({ op: 'mount', source: '', target: dest, fstype: '', flags: held ? MS.BIND | MS.REMOUNT | rest : keptFlags(input, source, MS.BIND | MS.REMOUNT | rest, m.options), data: '', inRoot: 1, mkdir: MkdirKind.none, mode: 0, held: 0 }, `remount ${dest} ${flagNames(rest)}`, `${path}.options`);
  } else if (m.type === 'cgroup') {
    cgroupMountSteps(w, input, m, o.flags, path, label);
  } else {
    if (!m.type) throw fail(`${label}: a mount that is not a bind mount needs a type`, { configPath: `${path}.type` });
    if (o.flags & MS.REMOUNT) {
      // "remount": change the mount already at the destination, do not stack a new one. (The directory
      // is made if missing, as runc does: remounting a directory that is no mount is then EINVAL, as there.)
      w.add({ op: 'mount', source: '', target: dest, fstype: '', flags: o.flags, data: o.data, inRoot: 1, mkdir: MkdirKind.dir, mode: 0o755, held: 0 }, `remount ${dest} ${flagNames(o.flags & ~MS.REMOUNT)}`, path);
      return 'fs';
    }
    const tmpfs = m.type === 'tmpfs';
    const roLater = (tmpfs || dest === '/dev') && (o.flags & MS.RDONLY) !== 0;
    const fsFlags = roLater ? o.flags & ~MS.RDONLY : o.flags;
    // A tmpfs over an existing directory takes that directory's mode unless the options give one (runc).
    if (copyup) w.add({ op: 'mount_copyup', source: m.source ?? m.type, target: dest, fstype: m.type, flags: fsFlags, data: o.data }, `${label}, with the directory's contents copied in (tmpcopyup)`, path);
    else w.add({ op: 'mount', source: m.source ?? m.type, target: dest, fstype: m.type, flags: fsFlags, data: o.data, inRoot: 1, mkdir: tmpfs ? MkdirKind.dirMode : MkdirKind.dir, mode: 0o755, held: 0 }, label, path);
    if (roLater) {
      const ro = (o.flags & ~MS.REMOUNT) | MS.BIND | MS.REMOUNT | MS.RDONLY;
      later.push({ op: { op: 'mount', source: '', target: dest, fstype: '', flags: ro, data: '', inRoot: 1, mkdir: MkdirKind.none, mode: 0, held: 0 }, what: `remount ${dest} read-only, now that it is set up`, configPath: `${path}.options` });
    }
  }
  for (const p of o.propagation) w.add({ op: 'mount', source: '', target: dest, fstype: '', flags: p, data: '', inRoot: 1, mkdir: MkdirKind.none, mode: 0, held: 0 }, `set propagation ${flagNames(p)} on ${dest}`, `${path}.options`);
  if (o.attrSet || o.attrClr) {
    w.add({ op: 'mount_setattr', target: dest, attrSet: o.attrSet, attrClr: o.attrClr, propagation: 0, recursive: 1 }, `apply recursive options to ${dest}`, `${path}.options`);
  }
  return bind ? 'bind' : 'fs';
}

/**
 * A `cgroup` mount. With a cgroup namespace a fresh mount shows the container's own cgroup as its root.
 * Without one it would show the host's whole tree, so (as runc does) the container's own directory of
 * each hierarchy is bound instead. On a v1 host, a tmpfs holds one entry per hierarchy.
 */
function cgroupMountSteps(w: PlanWriter, input: PlanInput, m: Mount, flags: number, path: string, label: string): void {
  const dest = m.destination;
  const ownNs = (input.spec.linux?.namespaces ?? []).some((n) => n.type === 'cgroup');
  const inner = input.cgroupPath ?? '/';
  const ro = flags & MS.RDONLY;
  const guard = MS.NOSUID | MS.NODEV | MS.NOEXEC;
  const one = (fresh: Op, source: string, target: string, what: string) => {
    if (ownNs) return w.add(fresh, what, path);
    const from = input.cgroupBinds?.[source] ?? `${source}${inner}`;
    w.add({ op: 'mount', source: from, target, fstype: '', flags: MS.BIND | MS.REC, data: '', inRoot: 1, mkdir: MkdirKind.dir, mode: 0o755, held: 0 }, `${what} (the container's own cgroup, bound)`, path);
    w.add({ op: 'mount', source: '', target, fstype: '', flags: keptFlags(input, from, MS.BIND | MS.REMOUNT | guard | ro, []), data: '', inRoot: 1, mkdir: MkdirKind.none, mode: 0, held: 0 }, `remount ${target} ${ro ? 'read-only, ' : ''}nosuid, nodev, noexec`, path);
  };
  const hier = input.host.cgroup.v1;
  if (!hier) {
    const v2 = input.host.cgroup.v2 ?? '/sys/fs/cgroup';
    // Source "cgroup", as runc names it (and as the config's mount usually does).
    one({ op: 'mount', source: m.source || 'cgroup', target: dest, fstype: 'cgroup2', flags, data: '', inRoot: 1, mkdir: MkdirKind.dir, mode: 0o755, held: 0 }, v2, dest, label);
    return;
  }
  // mode=755 as runc gives it (runc 1.2+ puts the covered directory's mode first, and this one wins;
  // 1.1.5 chmod-ed the tmpfs to 0555 afterwards, overriding it).
  w.add({ op: 'mount', source: 'tmpfs', target: dest, fstype: 'tmpfs', flags: (flags & ~MS.RDONLY) | guard, data: 'mode=755', inRoot: 1, mkdir: MkdirKind.dir, mode: 0o755, held: 0 }, `${label} (a tmpfs holding the v1 hierarchies)`, path);
  for (const h of hier) {
    const name = h.mountpoint.slice(h.mountpoint.lastIndexOf('/') + 1);
    const dir = `${dest}/${name}`;
    const data = h.options.startsWith('name=') ? `none,${h.options}` : h.options;
    // (runc names a named hierarchy's mount after it: source "systemd" for name=systemd.)
    const source = h.options.startsWith('name=') ? h.options.slice(5) : 'cgroup';
    one({ op: 'mount', source, target: dir, fstype: 'cgroup', flags: flags | guard, data, inRoot: 1, mkdir: MkdirKind.dir, mode: 0o755, held: 0 }, h.mountpoint, dir, `mount the cgroup v1 hierarchy ${h.options} on ${dir}`);
    // cpu,cpuacct is also reachable as cpu and cpuacct, as on the host.
    if (name.includes(',')) for (const part of name.split(',')) w.add({ op: 'symlink', target: name, path: `${dest}/${part}` }, `link ${dest}/${part} to ${name}`, path);
  }
  // As runc: the hierarchies are read-only, the tmpfs holding them is not remounted.
}

function deviceSteps(w: PlanWriter, input: PlanInput, inUserns: boolean, devpts: boolean): void {
  const devices = input.spec.linux?.devices ?? [];
  const node = (path: string, type: string, major: number, minor: number, mode: number, uid: number, gid: number, what: string, configPath?: string) => {
    if (inUserns) {
      // mknod is not allowed in a user namespace: bind the host's node instead.
      w.add({ op: 'mount', source: path, target: path, fstype: '', flags: MS.BIND, data: '', inRoot: 1, mkdir: MkdirKind.file, mode: 0o644, held: 0 }, `${what} (bound from the host)`, configPath);
      return;
    }
    const ifmt = type === 'b' ? S_IFBLK : type === 'p' ? S_IFIFO : S_IFCHR;
    w.add({ op: 'mknod', path, mode: ifmt | (mode & 0o7777), dev: type === 'p' ? 0 : makedev(major, minor), uid, gid }, what, configPath);
  };
  const explicit = new Set(devices.map((d) => d.path));
  for (const [path, major, minor] of DEFAULT_DEVICES) {
    if (!explicit.has(path)) node(path, 'c', major, minor, 0o666, 0, 0, `create the default device ${path}`);
  }
  for (const [i, d] of devices.entries()) {
    node(d.path, d.type, Number(d.major ?? 0), Number(d.minor ?? 0), Number(d.fileMode ?? 0o666), Number(d.uid ?? 0), Number(d.gid ?? 0), `create the device ${d.path}`, `linux.devices[${i}]`);
  }
  const links: [string, string][] = [['/proc/self/fd', '/dev/fd'], ['/proc/self/fd/0', '/dev/stdin'], ['/proc/self/fd/1', '/dev/stdout'], ['/proc/self/fd/2', '/dev/stderr']];
  if (input.host.procKcore) links.push(['/proc/kcore', '/dev/core']);
  // As runc's setupPtmx: whenever tsrun sets up /dev (an existing /dev/ptmx is left alone).
  void devpts;
  links.push(['pts/ptmx', '/dev/ptmx']);
  for (const [target, path] of links) w.add({ op: 'symlink', target, path }, `link ${path} to ${target}`);
}

export function processSteps(w: PlanWriter, input: PlanInput, warnings: string[] = []): void {
  const proc = input.spec.process!;
  const caps = capabilitySets(proc.capabilities, input.host.capBound, warnings);
  const user = proc.user ?? { uid: 0, gid: 0 };
  // Marked close-on-exec before any seccomp filter exists (the filter may refuse close_range); every fd
  // the helper opens after this is O_CLOEXEC anyway.
  w.add({ op: 'close_fds', from: input.fds.firstToClose }, 'close every file descriptor the container must not inherit');
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it before the capabilities go.
  // With it, load it as late as possible, so that the fewest of tsrun's own syscalls run under it.
  const seccomp = input.seccomp ? ({ op: 'seccomp', bpf: input.seccomp.bpf, flags: input.seccomp.flags } as const) : undefined;
  if (seccomp && !proc.noNewPrivileges) w.add(seccomp, 'load the seccomp filter', 'linux.seccomp');
  w.add({ op: 'umask', mask: user.umask ?? 0o022 }, `set the umask to ${(user.umask ?? 0o022).toString(8).padStart(4, '0')}`, user.umask !== undefined ? 'process.user.umask' : undefined);
  if (proc.noNewPrivileges) w.add({ op: 'no_new_privs' }, 'set no_new_privs', 'process.noNewPrivileges');
  // As runc: the chdir is tried while still root, and again as the process's user when root was
  // refused (a directory only that user may enter).
  w.add({ op: 'chdir', path: proc.cwd, attempt: 1 }, `change to the working directory ${proc.cwd}`, 'process.cwd');
  w.add({ op: 'caps_bounding', keep: caps.bounding }, 'drop capabilities outside the bounding set', 'process.capabilities.bounding');
  w.add({ op: 'keep_caps', on: 1 }, 'keep capabilities across the uid change');
  // The stdio (a terminal, pipes) was made outside the container: it becomes the process's user's.
  w.add({ op: 'chown_stdio', uid: user.uid }, `give the standard input, output and error to uid ${user.uid}`, 'process.user.uid');
  // As runc: a non-root runtime never sets supplementary groups (an unprivileged user namespace may not).
  w.add({ op: 'set_user', uid: user.uid, gid: user.gid, groups: user.additionalGids ?? [], setGroups: input.runAs?.rootlessEUID ? 0 : 1 }, `switch to uid ${user.uid} gid ${user.gid}${user.additionalGids?.length ? ` groups ${user.additionalGids.join(',')}` : ''}`, 'process.user');
  w.add({ op: 'chdir', path: proc.cwd, attempt: 2 }, `change to the working directory ${proc.cwd} as uid ${user.uid} (when root could not)`, 'process.cwd');
  w.add({ op: 'keep_caps', on: 0 }, 'stop keeping capabilities');
  w.add({ op: 'caps_set', effective: caps.effective, permitted: caps.permitted, inheritable: caps.inheritable, ambient: caps.ambient }, 'set the capability sets', 'process.capabilities');
  lsmSteps(w, input, warnings);
  finalAffinitySteps(w, input.spec);
  // As runc (Go's exec.LookPath): the process's own PATH, and none when its environment has none.
  const pathEnv = (proc.env ?? []).find((e) => e.startsWith('PATH='))?.slice(5) ?? '';
  w.add({ op: 'exec_lookup', file: proc.args![0], pathEnv }, `find the executable "${proc.args![0]}"`, 'process.args[0]');
  w.add({ op: 'sync', kind: SyncKind.ready }, 'report the container created');
  if (seccomp && proc.noNewPrivileges) w.add(seccomp, 'load the seccomp filter', 'linux.seccomp');
  // create closes the channel here: its caller returns while the init waits on exec.fifo. exec keeps it
  // to the end: it is close-on-exec, so its EOF tells the runtime the process is past execve (exec -d
  // returns, and its --pid-file names, the process itself, not tsrun-init about to become it), and an
  // execve that fails can still say so.
  if (input.waitForStart) w.add({ op: 'close_channel' }, 'close the channel to the runtime');
  // As runc: HOME comes from the container's /etc/passwd (or is /) when the config does not set it.
  const env = proc.env ?? [];
  const envp = env.some((e) => e.startsWith('HOME=')) ? env : [...env, `HOME=${input.host.homeOf?.(Number(user.uid)) ?? '/'}`];
  // With startContainer hooks, `start` is answered only after they ran: a failing one makes start fail.
  // One without env gets the process's environment (runc runs them from its init, whose environment
  // is the process's by then).
  const startHooks = input.spec.hooks?.startContainer ?? [];
  if (input.waitForStart) w.add({ op: 'wait_fifo', fd: input.fds.fifo, keep: startHooks.length ? 1 : 0 }, 'wait for tsrun start (exec.fifo)');
  for (const [i, h] of startHooks.entries()) {
    w.add({ op: 'run_hook', kind: HookKind.startContainer, path: h.path, args: h.args ?? [h.path], env: h.env ?? envp, timeout: h.timeout ?? 0 }, `run startContainer hook ${h.path}`, `hooks.startContainer[${i}]`);
  }
  if (input.waitForStart && startHooks.length) w.add({ op: 'fifo_done' }, 'tell tsrun start that the container started');
  w.add({ op: 'exec', argv: proc.args!, envp }, `execute ${JSON.stringify(proc.args)}`, 'process.args');
}
