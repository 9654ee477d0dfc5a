// Where a container's cgroup goes: linux.cgroupsPath made absolute (relative paths under /tsrun), or
// /tsrun/<id> by default. Systemd's slice:prefix:name form needs systemd, which this driver does not use.
import { fail } from '../errors.js';

export const DEFAULT_PARENT = '/tsrun';

export function cgroupInnerPath(id: string, cgroupsPath: string | undefined, systemd: boolean): string {
  if (systemd) {
    throw fail('the systemd cgroup driver (--systemd-cgroup) is not supported by tsrun', {
      configPath: 'linux.cgroupsPath',
      hint: 'tsrun manages cgroupfs directly; run without --systemd-cgroup and give linux.cgroupsPath as a path such as /mygroup/<id>',
    });
  }
  if (!cgroupsPath) return `${DEFAULT_PARENT}/${id}`;
  if (/^[^/:]*\.slice:[^:/]*:[^:/]+$/.test(cgroupsPath)) {
    throw fail(`cgroupsPath "${cgroupsPath}" is in systemd's slice:prefix:name form`, {
      configPath: 'linux.cgroupsPath',
      hint: 'that form needs the systemd cgroup driver, which tsrun does not have; use a path such as /mygroup/<id>',
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
