// Host facts the plan needs, read once per create (the plan itself does no I/O).
import { readFileSync, statSync } from 'node:fs';
import type { HostFacts } from '../plan/build.js';

/** cgroup v1 hierarchies mounted on the host, by their mount options (e.g. "cpu,cpuacct", "name=systemd"). */
export function cgroupV1Hierarchies(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string[] | null {
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [fstype, , superOpts] = line.slice(sep + 3).split(' ');
    if (fstype !== 'cgroup') continue;
    const opts = superOpts.split(',').filter((o) => o !== 'rw' && o !== 'ro' && !o.startsWith('release_agent') && o !== 'clone_children' && o !== 'noprefix' && o !== 'xattr');
    const name = opts.join(',');
    if (name && !out.includes(name)) out.push(name);
  }
  return out.length ? out : null;
}

export function hostFacts(): HostFacts {
  return {
    sourceKind(path) {
      try {
        return statSync(path).isDirectory() ? 'dir' : 'file';
      } catch {
        return undefined;
      }
    },
    cgroupV1: cgroupV1Hierarchies(),
  };
}
