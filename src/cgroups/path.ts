// Where a container's cgroup goes: linux.cgroupsPath made absolute (relative paths under /tsrun), or
// /tsrun/<id> by default; with --systemd-cgroup, the unit's cgroup from slice:prefix:name.
import { fail } from '../errors.js';
import { systemdNames } from './systemd/names.js';

export const DEFAULT_PARENT = '/tsrun';

export function cgroupInnerPath(id: string, cgroupsPath: string | undefined, systemd: boolean): string {
  // The unit's cgroup below the cgroup2 mount (the driver itself is src/cgroups/systemd/).
  if (systemd) return systemdNames(id, cgroupsPath).inner;
  if (!cgroupsPath) return `${DEFAULT_PARENT}/${id}`;
  if (/^[^/:]*\.slice:[^:/]*:[^:/]+$/.test(cgroupsPath)) {
    throw fail(`cgroupsPath "${cgroupsPath}" is in systemd's slice:prefix:name form`, {
      configPath: 'linux.cgroupsPath',
      hint: 'that form is for the systemd cgroup driver: give --systemd-cgroup, or use a path such as /mygroup/<id>',
    });
  }
  const abs = cgroupsPath.startsWith('/') ? cgroupsPath : `${DEFAULT_PARENT}/${cgroupsPath}`;
  // Lexically clean, and never above the hierarchy's root.
  const parts: string[] = [];
  for (const p of abs.split('/')) {
    if (p === '..') parts.pop();
    else if (p && p !== '.') parts.push(p);
  }
  if (!parts.length) throw fail(`cgroupsPath "${cgroupsPath}" is the root cgroup`, { configPath: 'linux.cgroupsPath' });
  return '/' + parts.join('/');
}
