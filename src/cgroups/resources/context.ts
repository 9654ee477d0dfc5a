// What a controller's apply functions get: the directory of a controller (v1: its own hierarchy; v2:
// the one unified dir) and a log for the fields runc ignores with a warning.
import type { CgroupDir } from '../fs.js';
import type { CgroupLog } from '../types.js';

export interface ApplyCtx {
  /** The directory for controller; throws (naming field) when the host lacks that controller. */
  dir(controller: string, field: string): CgroupDir;
  /** Whether the host has the controller (v1: mounted; v2: listed in the leaf's cgroup.controllers). */
  has(controller: string): boolean;
  log: CgroupLog;
  /** True during `update`: devices are left alone, as runc update does. */
  updating: boolean;
  /** Rootless (runc's rootless cgroup manager): device rules that cannot be written are ignored. */
  rootless?: boolean;
}

export const F = 'linux.resources';
