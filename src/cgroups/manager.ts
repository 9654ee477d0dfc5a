// The entry point: pick the manager for the host (v2, or v1 for hybrid and v1 hosts), or reopen one
// from what state.json recorded.
import { join } from '../sys/path.js';
import type { LinuxResources } from '../config/gen/config.js';
import type { ContainerRecord } from '../state/store.js';
import { detectHost, type HostLayout } from './detect.js';
import { cgroupInnerPath } from './path.js';
import type { CgroupLog, CgroupManager, CgroupOptions, CgroupRecord } from './types.js';
import { V1Manager } from './v1.js';
import { V2Manager } from './v2.js';
import { NoCgroupManager, rootlessManager } from './rootless.js';
import { systemdDriver } from './systemd-slot.js';

export type { CgroupManager, CgroupOptions, CgroupRecord } from './types.js';

export function cgroupManager(opts: CgroupOptions): CgroupManager {
  if (opts.rootless && !opts.systemd) return rootlessManager(detectHost(opts.root), opts.id, opts.cgroupsPath, opts.log);
  if (opts.systemd) {
    const d = systemdDriver();
    if (!d) throw new Error('internal: the systemd cgroup driver was not loaded (loadSystemdDriver)');
    return d.newManager(opts, detectHost(opts.root));
  }
  const inner = cgroupInnerPath(opts.id, opts.cgroupsPath, !!opts.systemd);
  const host = detectHost(opts.root);
  return managerAt(host, inner, opts.log);
}

export function managerAt(host: HostLayout, inner: string, log?: CgroupLog): CgroupManager {
  if (host.mode === 'v2') {
    if (!host.unified) throw new Error('no cgroup2 mount found');
    return new V2Manager(join(host.unified, inner), log, host.unified);
  }
  const dirs: Record<string, string> = {};
  for (const [controller, mount] of Object.entries(host.v1)) dirs[controller] = join(mount, inner);
  if (host.mode === 'hybrid' && host.unified) dirs[''] = join(host.unified, inner);
  return new V1Manager(dirs, log, host.v1);
}

/** Reopens a manager from its paths(): only "" means v2. */
export function cgroupManagerFromPaths(paths: Record<string, string>, log?: CgroupLog): CgroupManager {
  const keys = Object.keys(paths);
  // A rootless container that got no cgroup at all.
  if (!keys.length) return new NoCgroupManager(1, {}, log);
  if (keys.length === 1 && keys[0] === '') return new V2Manager(paths[''], log);
  return new V1Manager(paths, log);
}

/** What to store at rec.tsrun.cgroup (bigints as decimal strings: state.json is plain JSON). */
export function cgroupRecord(mgr: CgroupManager, resources?: LinuxResources, shared = false): CgroupRecord {
  const rec: CgroupRecord = { paths: mgr.paths(), ...(shared ? { shared } : {}), ...(mgr.unit ? { systemd: mgr.unit } : {}) };
  if (resources) {
    const { devices: _devices, ...rest } = resources;
    rec.resources = JSON.parse(JSON.stringify(rest, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  }
  return rec;
}

/** The stored record of a container (also accepts a bare paths map); undefined when it has no cgroup. */
export function storedCgroup(rec: ContainerRecord): CgroupRecord | undefined {
  const c = rec.tsrun.cgroup as CgroupRecord | Record<string, string> | undefined;
  if (!c || typeof c !== 'object') return undefined;
  if ('paths' in c && typeof c.paths === 'object') return c as CgroupRecord;
  return { paths: c as Record<string, string> };
}

/** The manager of a stored container; undefined when it was created without a cgroup. */
export function managerFor(rec: ContainerRecord, log?: CgroupLog): CgroupManager | undefined {
  const c = storedCgroup(rec);
  if (!c) return undefined;
  // A unit's cgroup without the driver loaded (pause, ps, events, kill): its directory is enough.
  const d = c.systemd && systemdDriver();
  return d ? d.storedManager(c, log) : cgroupManagerFromPaths(c.paths, log);
}
