// The systemd cgroup driver (--systemd-cgroup), cgroup v2: the container's cgroup is a transient
// scope that systemd makes and owns; tsrun asks for it over D-Bus and then writes the same limits
// through the cgroup files with the v2 manager, as runc's systemd driver does.
//
// Ordering at create: runc starts the unit with PIDs=[init pid] once the init exists. tsrun does the
// same: joinTargets() gives no CLONE_INTO_CGROUP target before the unit exists, so tsrun-init is born
// in tsrun's own cgroup, where it waits for its plan; adopt(pid) then starts the scope with that pid
// (systemd moves it) and applies the resources, and only then is the plan sent. Nothing of the
// container has run or forked by then, so the whole container lives in the scope. (A scope must be
// started with a process; tsrun's own pid as a placeholder would put tsrun, and its threads, under
// the container's pids and memory limits.)
import type { LinuxDevice, LinuxResources } from '../../config/gen/config.js';
import { fail } from '../../errors.js';
import { busAddress, socketPathOf, type BusKind } from '../../dbus/address.js';
import { Connection, DBusError } from '../../dbus/connection.js';
import { variant } from '../../dbus/wire.js';
import { join } from '../../sys/path.js';
import type { CgroupLog, CgroupManager, SystemdUnitRecord } from '../types.js';
import { V2Manager } from '../v2.js';
import { annotationProperties } from './annotations.js';
import { resourceProperties, type Property } from './properties.js';
import { Systemd } from './systemd1.js';

const quiet: CgroupLog = { warn() {}, debug() {} };

/** The connection to systemd on that bus, or one error that says what --systemd-cgroup needs. */
export function connectSystemd(bus: BusKind): Systemd {
  let where = '';
  try {
    const { address, from } = busAddress(bus);
    const path = socketPathOf(address);
    where = `${path ?? address} (${from})`;
    if (!path) throw new Error(`no unix:path= in the bus address "${address}"`);
    return new Systemd(Connection.open(path));
  } catch (e) {
    const err = e as { errno?: number; message: string };
    throw fail(`--systemd-cgroup: cannot reach systemd over D-Bus${where ? ` at ${where}` : ''}`, {
      errno: err.errno, detail: err.errno === undefined ? err.message : undefined,
      hint: bus === 'system'
        ? 'the systemd cgroup driver needs a host booted with systemd and its D-Bus system bus; run without --systemd-cgroup to manage the cgroup directly'
        : 'rootless, the systemd cgroup driver needs the user\'s systemd (systemd --user, e.g. `loginctl enable-linger`) and its bus at $XDG_RUNTIME_DIR/bus; run without --systemd-cgroup',
    });
  }
}

export interface SystemdManagerInit {
  unit: string;
  /** The name part of cgroupsPath (the container id by default), for the unit's Description. */
  name?: string;
  slice: string;
  /** The unit's cgroup2 directory, and the cgroup2 mount it is below. */
  path: string;
  mount?: string;
  bus: BusKind;
  /** The container's annotations (org.systemd.property.*), used when the unit is started. */
  annotations?: Record<string, string>;
  log?: CgroupLog;
  /** Reopened from a record: the unit exists (exec joins its directory directly). */
  started?: boolean;
  /** The systemd connection to use (unit tests give a fake); default: the bus's, opened on first use. */
  systemd?: SystemdApi;
}

/** What the manager calls of systemd (src/cgroups/systemd/systemd1.ts). */
export type SystemdApi = Pick<Systemd, 'managerVersion' | 'startTransient' | 'stop' | 'resetFailed' | 'setProperties' | 'attach'>;

export class SystemdManager implements CgroupManager {
  readonly version = 2 as const;
  readonly unit: SystemdUnitRecord;
  private readonly fs: V2Manager;
  private readonly log: CgroupLog;
  private sd?: SystemdApi;
  private started: boolean;
  private pending?: { resources?: LinuxResources; devices?: LinuxDevice[] };

  constructor(private readonly o: SystemdManagerInit) {
    this.unit = { unit: o.unit, bus: o.bus };
    this.log = o.log ?? quiet;
    // The user's systemd: device programs need privilege, ignored as runc's rootless managers do.
    this.fs = new V2Manager(o.path, this.log, o.mount, o.bus === 'user');
    this.started = !!o.started;
    this.sd = o.systemd;
  }

  private systemd(): SystemdApi {
    return (this.sd ??= connectSystemd(this.o.bus));
  }

  paths(): Record<string, string> {
    return { '': this.o.path };
  }

  /** Nothing to make yet: the unit is started with the container's first process (adopt). */
  create(resources?: LinuxResources, linuxDevices?: LinuxDevice[]): void {
    // Annotations are checked now, so a bad one fails before anything is spawned.
    annotationProperties(this.o.annotations);
    this.pending = { resources, devices: linuxDevices };
  }

  adopt(pid: number): void {
    const sd = this.systemd();
    const scope = !this.o.unit.endsWith('.slice');
    const props: Property[] = [
      ['Description', variant('s', `libcontainer container ${this.o.name ?? this.o.unit}`)],
      scope ? ['Slice', variant('s', this.o.slice)] : ['Wants', variant('as', [this.o.slice])],
      ...(scope ? [['Delegate', variant('b', true)] as Property] : []),
      ['PIDs', variant('au', [pid])],
      ['MemoryAccounting', variant('b', true)],
      ['CPUAccounting', variant('b', true)],
      ['IOAccounting', variant('b', true)],
      ['TasksAccounting', variant('b', true)],
      ['DefaultDependencies', variant('b', false)],
      ...annotationProperties(this.o.annotations),
    ];
    const oomGroup = this.pending?.resources?.unified?.['memory.oom.group'];
    if (oomGroup !== undefined && sd.managerVersion() >= 253) {
      if (oomGroup.trim() === '0') props.push(['OOMPolicy', variant('s', 'continue')]);
      else if (oomGroup.trim() === '1') props.push(['OOMPolicy', variant('s', 'kill')]);
    }
    this.start(sd, props);
    this.started = true;
    this.log.debug(`systemd: unit ${this.o.unit} started with pid ${pid}`);
    // The files' directory is systemd's now; the v2 manager writes the limits (and the device program).
    const { resources, devices } = this.pending ?? {};
    if (resources) this.setProperties(resources);
    this.fs.create(this.adjusted(resources ?? {}), devices);
    this.applied = resources;
  }

  /** The resources create applied: a later SetUnitProperties makes systemd rewrite the unit's cgroup. */
  private applied?: LinuxResources;

  /** StartTransientUnit; a unit of that name left failed is reset and tried once more, as runc. */
  private start(sd: SystemdApi, props: Property[]): void {
    const what = `start the systemd unit ${this.o.unit}`;
    let result: string;
    try {
      try {
        result = sd.startTransient(this.o.unit, props);
      } catch (e) {
        if (!(e instanceof DBusError && e.name.includes('UnitExists'))) throw e;
        try { sd.resetFailed(this.o.unit); } catch (w) { this.log.warn(`unable to reset failed unit: ${(w as Error).message}`); }
        result = sd.startTransient(this.o.unit, props);
      }
    } catch (e) {
      const exists = e instanceof DBusError && e.name.includes('UnitExists');
      throw fail(what, { configPath: 'linux.cgroupsPath', detail: (e as Error).message, hint: exists ? 'a unit of that name is running: another container has this cgroupsPath' : undefined });
    }
    if (result !== 'done') {
      try { sd.resetFailed(this.o.unit); } catch {}
      throw fail(what, { configPath: 'linux.cgroupsPath', detail: `error creating systemd unit \`${this.o.unit}\`: got \`${result}\`` });
    }
  }

  private lastQuota?: bigint;

  /** r as unit properties (SetUnitProperties, runtime); remembers the quota systemd rounded. */
  private setProperties(r: LinuxResources): void {
    const sd = this.systemd();
    const { props, cpuQuota } = resourceProperties(r, sd.managerVersion());
    this.lastQuota = cpuQuota;
    try {
      sd.setProperties(this.o.unit, props);
    } catch (e) {
      throw fail(`unable to set unit properties of ${this.o.unit}`, { configPath: 'linux.resources', detail: (e as Error).message });
    }
  }

  /** The resources with the CPU quota as systemd rounded it, for cpu.max to agree with the unit. */
  private adjusted(r: LinuxResources): LinuxResources {
    if (this.lastQuota === undefined || !r.cpu) return r;
    return { ...r, cpu: { ...r.cpu, quota: Number(this.lastQuota) } };
  }

  join(pid: number): void {
    this.fs.join(pid);
  }

  attach(pid: number): void {
    try {
      this.systemd().attach(this.o.unit, '', [pid]);
    } catch (e) {
      throw fail(`add pid ${pid} to the systemd unit ${this.o.unit}`, { configPath: 'linux.cgroupsPath', detail: (e as Error).message });
    }
  }

  /** Before the unit exists: nothing (adopt puts the process in); after: its directory, as runc's exec joins by the files. */
  joinTargets(): { into?: string; tasks: string[] } {
    return this.started ? this.fs.joinTargets() : { tasks: [] };
  }

  openDirFd(): number {
    return this.fs.openDirFd();
  }

  update(resources: LinuxResources): void {
    if (!this.started) {
      // create's own pids limit, set at the ready sync, comes here: the unit exists by then.
      this.pending = { ...this.pending, resources: { ...this.pending?.resources, ...resources } };
      return;
    }
    this.setProperties(resources);
    // systemd rewrites every attribute of the cgroup from the unit's properties when they change:
    // the values only the files hold (memory.swap.max 0, memory.oom.group...) are written again. (An
    // update command passes the merged resources already; create's late pids limit passes pids only.)
    const all = { ...this.applied, ...resources };
    this.applied = all;
    // (cpu.max as systemd rounded the quota of all of them, not only of this update's.)
    this.lastQuota = resourceProperties(all, this.systemd().managerVersion()).cpuQuota;
    this.fs.update(this.adjusted(all));
  }

  freeze(): void { this.fs.freeze(); }
  thaw(): void { this.fs.thaw(); }
  isFrozen(): boolean { return this.fs.isFrozen(); }
  pids(): number[] { return this.fs.pids(); }
  kill(signal: number): void { this.fs.kill(signal); }
  stats(): Record<string, unknown> { return this.fs.stats(); }
  oomKills(): number | undefined { return this.fs.oomKills(); }
  exists(): boolean { return this.fs.exists(); }

  /** StopUnit (waited for) and ResetFailedUnit, then whatever directories systemd left (sub-cgroups). */
  destroy(opts: { force?: boolean; once?: boolean } = {}): void {
    if (this.started || this.fs.exists()) {
      const sd = this.systemd();
      const result = sd.stop(this.o.unit);
      if (result !== 'done' && result !== 'gone') this.log.warn(`error removing unit \`${this.o.unit}\`: got \`${result}\`. Continuing...`);
      try { sd.resetFailed(this.o.unit); } catch {}
    }
    this.fs.destroy(opts);
  }
}

/** The cgroup2 directory of a unit: the mount plus its inner path. */
export const unitPath = (mount: string, inner: string) => join(mount, inner);
