// The systemd driver's names, as runc derives them: linux.cgroupsPath "slice:prefix:name" (empty:
// the default slice, prefix "tsrun", name the container id), the unit "<prefix>-<name>.scope" (or the
// name itself when it is a slice), and the unit's cgroup below the slice's expanded path.
import { fail } from '../../errors.js';

export interface SystemdNames {
  /** The parent slice as given ("" for the default). */
  parent: string;
  /** The parent slice unit: system.slice (root) or user.slice (rootless) by default. */
  slice: string;
  unit: string;
  /** The name part of cgroupsPath (the container id by default). */
  name: string;
  /** The unit's cgroup, relative to the cgroup2 mount of the manager (e.g. /system.slice/tsrun-c1.scope). */
  inner: string;
}

/** runc's default prefix is "runc"; tsrun's own, as its cgroupfs default is /tsrun/<id>. */
export const DEFAULT_PREFIX = 'tsrun';

/** "a-b.slice" -> "/a.slice/a-b.slice", as runc's ExpandSlice (and systemd's unit_name_to_path). */
export function expandSlice(slice: string): string {
  const bad = () => fail(`invalid slice name: ${slice}`, { configPath: 'linux.cgroupsPath' });
  if (!slice.endsWith('.slice') || slice.includes('/')) throw bad();
  const base = slice.slice(0, -'.slice'.length);
  if (base === '-') return '/';
  let path = '';
  let prefix = '';
  for (const part of base.split('-')) {
    if (!part) throw bad();
    path += `/${prefix}${part}.slice`;
    prefix += `${part}-`;
  }
  return path;
}

/** runc's parse of cgroupsPath for systemd (specconv CreateCgroupConfig), with its error texts. */
export function systemdNames(id: string, cgroupsPath: string | undefined, rootless = false): SystemdNames {
  let parent = '';
  let prefix = DEFAULT_PREFIX;
  let name = id;
  if (cgroupsPath) {
    const parts = cgroupsPath.split(':');
    if (parts.length !== 3) {
      throw fail(`expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "${cgroupsPath}" instead`, { configPath: 'linux.cgroupsPath' });
    }
    [parent, prefix, name] = parts;
  }
  const unit = name.endsWith('.slice') ? name : `${prefix}-${name}.scope`;
  const slice = parent || (rootless ? 'user.slice' : 'system.slice');
  const sliceDir = parent ? expandSlice(parent) : `/${slice}`;
  // As runc's SecureJoin: no component may climb out of the mount.
  if (unit.includes('/') || unit === '..' || unit === '.') throw fail(`invalid systemd unit name "${unit}" from cgroupsPath "${cgroupsPath}"`, { configPath: 'linux.cgroupsPath' });
  return { parent, slice, unit, name, inner: `${sliceDir === '/' ? '' : sliceDir}/${unit}` };
}
