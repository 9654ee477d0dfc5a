// The one interface of the v1 and v2 cgroup managers.
import type { LinuxDevice, LinuxResources } from '../config/gen/config.js';

export interface CgroupLog {
  warn(msg: string): void;
  debug(msg: string): void;
}

export interface CgroupOptions {
  id: string;
  /** linux.cgroupsPath: absolute, or relative to /tsrun; default /tsrun/<id>. */
  cgroupsPath?: string;
  /** --systemd-cgroup: the systemd driver (cgroupsPath is then slice:prefix:name; src/cgroups/systemd/). */
  systemd?: boolean;
  /** The config's annotations (the systemd driver reads org.systemd.property.* from them). */
  annotations?: Record<string, string>;
  /** A fake cgroupfs root for unit tests (default: the host's mounts from /proc/self/mountinfo). */
  root?: string;
  log?: CgroupLog;
  /** runc's rootless cgroup manager (--rootless, or auto: a non-root user, root of another's user namespace). */
  rootless?: boolean;
}

/** What state.json keeps (rec.tsrun.cgroup): the directories, and the resources as last applied. */
export interface CgroupRecord {
  /** v2: { "": dir }; v1: controller (or "name=systemd") -> dir, plus "" for the cgroup2 dir on hybrid hosts. */
  paths: Record<string, string>;
  resources?: LinuxResources;
  /** The cgroup existed before this container's create (cgroupsPath shared with others): not its own. */
  shared?: boolean;
  /** The systemd unit holding the cgroup (--systemd-cgroup): delete stops it, update sets its properties. */
  systemd?: SystemdUnitRecord;
}

export interface SystemdUnitRecord {
  unit: string;
  /** Which bus its systemd is on: the system bus (root) or the user's (rootless). */
  bus: 'system' | 'user';
}

export interface CgroupManager {
  readonly version: 1 | 2;
  /** Makes every directory and applies every resource (devices: v1 only; linuxDevices dedup runc's defaults). */
  create(resources?: LinuxResources, linuxDevices?: LinuxDevice[]): void;
  /** Moves pid (and its future children) into the cgroup, in every hierarchy. */
  join(pid: number): void;
  /**
   * How a new helper joins without the parent writing its pid (that takes the kernel's global
   * threadgroup lock and waits an RCU grace period, 10-30 ms per spawn on this class of host): it is
   * cloned into the cgroup2 directory `into` (CLONE_INTO_CGROUP), and writes "0" itself to each v1
   * `tasks` file as its first step (moving one's own thread skips that lock).
   */
  joinTargets(): { into?: string; tasks: string[] };
  /**
   * A process spawned outside the cgroup, now placed in it (after create, before it runs anything):
   * the systemd driver starts its unit with this pid, as runc starts the unit with the init's pid.
   */
  adopt?(pid: number): void;
  /**
   * Moves pid into the cgroup through its owner when the caller may not (the systemd driver:
   * AttachProcessesToUnit, as runc's AddPid for a rootless exec).
   */
  attach?(pid: number): void;
  /** The systemd unit, for the state record (systemd driver only). */
  readonly unit?: SystemdUnitRecord;
  /** v2 only: an O_DIRECTORY fd of the leaf for clone3(CLONE_INTO_CGROUP); the caller closes it. */
  openDirFd?(): number;
  paths(): Record<string, string>;
  /** Applies resources to an existing cgroup (devices are never changed, as runc update). */
  update(resources: LinuxResources): void;
  freeze(): void;
  thaw(): void;
  isFrozen(): boolean;
  /** Host pids in the cgroup and its sub-cgroups, sorted. */
  pids(): number[];
  /** Signals every process: SIGKILL through cgroup.kill when the kernel has it, else freeze/signal/thaw. */
  kill(signal: number): void;
  /** runc's `events --stats` data object (types.Stats): cpu, cpuset, memory, pids, blkio, hugetlb... */
  stats(): Record<string, unknown>;
  /** The OOM-kill counter (v1 memory.oom_control, v2 memory.events); undefined without a memory controller. */
  oomKills(): number | undefined;
  /** Files whose inotify modify events announce a change of oomKills() or of the cgroup emptying (v2). */
  eventFiles?(): string[];
  exists(): boolean;
  /** rmdir leaf first in every hierarchy; with force, SIGKILLs what is left and retries on EBUSY (once: no retry). */
  destroy(opts?: { force?: boolean; once?: boolean }): void;
}
