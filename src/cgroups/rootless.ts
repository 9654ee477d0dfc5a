// runc's rootless cgroup manager (tsrun run by a non-root user, or as root of someone else's user
// namespace): the cgroup goes where runc puts it, relative to tsrun's own cgroup, and a hierarchy the
// user may not write is skipped when the config asks for no cgroupsPath. A limit in a skipped one is
// an error (runc: "cannot set ... limit: container could not join or create cgroup"); device rules are
// ignored (not expected to work), and a given cgroupsPath must be writable (a delegated cgroup).
import { mkdirSync, readFileSync, rmdirSync } from '../sys/fs.js';
import { dirname, join } from '../sys/path.js';
import type { LinuxDevice, LinuxResources } from '../config/gen/config.js';
import { fail } from '../errors.js';
import { applyV1, applyV2 } from './apply.js';
import { detectHost, type HostLayout } from './detect.js';
import { CgroupDir, errCode } from './fs.js';
import { cgroupInnerPath } from './path.js';
import { rootlessLimitError } from './rootless-errors.js';
import type { ApplyCtx } from './resources/context.js';
import type { CgroupLog, CgroupManager } from './types.js';
import { V1Manager } from './v1.js';
import { V2Manager } from './v2.js';

/** /proc/self/cgroup: controller (or "name=systemd", "" for cgroup2) -> this process's cgroup. */
export function ownCgroups(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '') out[''] = m[2];
    else for (const c of m[1].split(',')) out[c] = m[2];
  }
  return out;
}

/** Lexically clean, without leaving the hierarchy (a relative path stays relative). */
function clean(p: string): string {
  const parts: string[] = [];
  for (const s of p.split('/')) {
    if (s === '..') parts.pop();
    else if (s && s !== '.') parts.push(s);
  }
  return (p.startsWith('/') ? '/' : '') + parts.join('/');
}

const PERMISSION = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * Whether this user may make dir (a new leaf under an existing cgroup): mkdir then rmdir, so that
 * nothing is left if the create fails later (the container's cgroup is made by create itself).
 */
function mayCreate(dir: string): boolean {
  try {
    mkdirSync(dir, { mode: 0o755 });
  } catch (e) {
    return !PERMISSION.has(errCode(e)); // EEXIST, or an error create reports itself
  }
  try { rmdirSync(dir); } catch {}
  return true;
}

/**
 * The manager for a rootless container. Without cgroupsPath (runc's c.Path == ""), the cgroup is
 * <own cgroup>/<id> in each v1 hierarchy and <parent of own cgroup>/<id> on cgroup v2 (a cgroup2 with
 * processes cannot have children with controllers), and hierarchies the user may not write are left
 * out. With a cgroupsPath: absolute, or relative to the same place, and every error counts.
 */
export function rootlessManager(host: HostLayout, id: string, cgroupsPath: string | undefined, log?: CgroupLog, selfCgroup = () => readFileSync('/proc/self/cgroup', 'utf8'), probe: (dir: string) => boolean = mayCreate): CgroupManager {
  const own = ownCgroups(selfCgroup());
  const given = cgroupsPath ? clean(cgroupsPath) : undefined;
  if (given !== undefined) cgroupInnerPath(id, cgroupsPath, false); // refuses the root cgroup and systemd's form
  const place = (mount: string, ownPath: string) => (given?.startsWith('/') ? join(mount, given) : join(mount, ownPath, given ?? id));
  if (host.mode === 'v2') {
    if (!host.unified) throw new Error('no cgroup2 mount found');
    const dir = place(host.unified, dirname(own[''] ?? '/'));
    if (given !== undefined || probe(dir)) return new V2Manager(dir, log, host.unified, true);
    log?.debug(`rootless: no permission to create the cgroup ${dir}: the container runs without one`);
    return new NoCgroupManager(2, { '': dir }, log);
  }
  const dirs: Record<string, string> = {};
  for (const [controller, mount] of Object.entries(host.v1)) dirs[controller] = place(mount, own[controller] ?? '/');
  if (host.mode === 'hybrid' && host.unified) dirs[''] = place(host.unified, own[''] ?? '/');
  if (given !== undefined) return new V1Manager(dirs, log, host.v1, { dropped: {} });
  const kept: Record<string, string> = {};
  const dropped: Record<string, string> = {};
  const verdict = new Map<string, boolean>();
  for (const [controller, dir] of Object.entries(dirs)) {
    if (!verdict.has(dir)) verdict.set(dir, probe(dir));
    if (verdict.get(dir)) kept[controller] = dir;
    else dropped[controller] = dir;
  }
  if (Object.keys(dropped).length) log?.debug(`rootless: no permission to create ${[...new Set(Object.values(dropped))].join(', ')}: those hierarchies are skipped`);
  if (!Object.keys(kept).length) return new NoCgroupManager(1, dropped, log);
  return new V1Manager(kept, log, host.v1, { dropped });
}

/**
 * A container without a cgroup (rootless, nothing writable): nothing to make, join or remove; a limit
 * is an error naming its field, pause says there is no freezer (runc's words). Also what a stored
 * container with no cgroup paths reopens as.
 */
export class NoCgroupManager implements CgroupManager {
  constructor(readonly version: 1 | 2, private readonly tried: Record<string, string> = {}, private readonly log: CgroupLog = { warn() {}, debug() {} }) {}

  private ctx(updating: boolean): ApplyCtx {
    return {
      dir: (controller, field) => { throw rootlessLimitError(controller, field, this.tried[controller] ?? this.tried[''] ?? ''); },
      has: () => false,
      log: this.log,
      updating,
      rootless: true,
    };
  }

  private apply(resources: LinuxResources, updating: boolean): void {
    const ctx = this.ctx(updating);
    if (this.version === 1) return applyV1(resources, ctx);
    if (Object.keys(resources.unified ?? {}).length) throw rootlessLimitError('unified', 'linux.resources.unified', this.tried[''] ?? '');
    applyV2({ ...resources, unified: undefined }, ctx, new CgroupDir(''), new Set());
  }

  create(resources: LinuxResources = {}, _devices?: LinuxDevice[]): void { this.apply(resources, false); }
  update(resources: LinuxResources): void { this.apply(resources, true); }
  join(): void {}
  joinTargets(): { into?: string; tasks: string[] } { return { tasks: [] }; }
  paths(): Record<string, string> { return {}; }
  freeze(): void { throw noFreezer(); }
  thaw(): void { throw noFreezer(); }
  isFrozen(): boolean { return false; }
  pids(): number[] { return []; }
  kill(): void {}
  stats(): Record<string, unknown> { return {}; }
  oomKills(): number | undefined { return undefined; }
  exists(): boolean { return false; }
  destroy(): void {}
}

const noFreezer = () => fail('cannot toggle freezer: cgroups not configured for container', { hint: 'tsrun ran rootless and could not create a cgroup for it: give this user a delegated cgroup (linux.cgroupsPath) to pause it' });

/**
 * For the plan's cgroup mounts without a cgroup namespace: each hierarchy's (host mount point's) bound
 * directory is the container's cgroup where it has one, and tsrun's own (which the container shares)
 * where it has none, as runc binds the init's own cgroups.
 */
export function rootlessCgroupBinds(mgr: CgroupManager, host: HostLayout = detectHost(), selfCgroup = () => readFileSync('/proc/self/cgroup', 'utf8')): Record<string, string> {
  const own = ownCgroups(selfCgroup());
  const paths = mgr.paths();
  const out: Record<string, string> = {};
  for (const [controller, mount] of Object.entries(host.v1)) out[mount] ??= paths[controller] ?? join(mount, own[controller] ?? '/');
  if (host.unified) out[host.unified] = paths[''] ?? join(host.unified, own[''] ?? '/');
  return out;
}
