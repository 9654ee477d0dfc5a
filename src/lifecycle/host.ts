// Host facts the plan needs, read once per create (the plan itself does no I/O).
import { existsSync, lstatSync, readFileSync, statSync } from '../sys/fs.js';
import { join } from '../sys/path.js';
import type { HostFacts } from '../plan/build.js';
import { hostCgroupMounts, hostMountinfo, type CgroupMount } from '../cgroups/detect.js';

export interface CgroupHierarchy {
  /** The hierarchy's options, e.g. "cpu,cpuacct" or "name=systemd". */
  options: string;
  /** Where the host mounts it, e.g. /sys/fs/cgroup/cpu,cpuacct. */
  mountpoint: string;
}

/** cgroup v1 hierarchies mounted on the host (null on a pure v2 host), and the cgroup2 mount point. */
export function cgroupLayout(mounts: CgroupMount[] = hostCgroupMounts()): { v1: CgroupHierarchy[] | null; v2?: string } {
  const v1: CgroupHierarchy[] = [];
  let v2: string | undefined;
  for (const { fstype, mountPoint: mountpoint, superOpts } of mounts) {
    if (fstype === 'cgroup2') v2 ??= mountpoint;
    if (fstype !== 'cgroup') continue;
    const opts = superOpts.split(',').filter((o) => o !== 'rw' && o !== 'ro' && !o.startsWith('release_agent') && o !== 'clone_children' && o !== 'noprefix' && o !== 'xattr');
    const options = opts.join(',');
    if (options && !v1.some((h) => h.options === options)) v1.push({ options, mountpoint });
  }
  return { v1: v1.length ? v1 : null, v2 };
}

/**
 * Reads <rootfs>/etc/passwd for a uid's home. The file belongs to the container: a symlink in the
 * path could point anywhere on the host, so symlinks are not followed (no home is then found).
 */
export function containerHome(rootfs: string, uid: number): string | undefined {
  for (const p of ['etc', 'etc/passwd']) {
    try {
      if (lstatSync(join(rootfs, p)).isSymbolicLink()) return undefined;
    } catch {
      return undefined;
    }
  }
  for (const line of readFileSync(join(rootfs, 'etc/passwd'), 'utf8').split('\n')) {
    const f = line.split(':');
    if (f.length >= 6 && Number(f[2]) === uid && f[2] !== '') return f[5] || '/';
  }
  return undefined;
}

/** The runtime's own bounding set (CapBnd in /proc/self/status). */
export function ownCapBound(): bigint | undefined {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? BigInt(`0x${m[1]}`) : undefined;
}

/** Enabled LSMs: AppArmor by its module parameter, SELinux by a mounted selinuxfs. */
export function hostLsm(): { apparmor: boolean; selinux: boolean } {
  let apparmor = false;
  try { apparmor = readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y'; } catch {}
  return { apparmor, selinux: existsSync('/sys/fs/selinux/enforce') };
}

/** Mount points of whole (root "/") proc and sysfs mounts in a mountinfo text. */
export function procSysMounts(mountinfo: string): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const fstype = line.slice(sep + 3).split(' ')[0];
    if ((fstype === 'proc' || fstype === 'sysfs') && pre[3] === '/') out.push(pre[4].replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

export function hostFacts(rootfs: string, noPivot = false): HostFacts {
  return {
    lsm: hostLsm(),
    capBound: ownCapBound(),
    procKcore: existsSync('/proc/kcore'),
    procSysMounts: noPivot ? procSysMounts(hostMountinfo()) : undefined,
    homeOf: (uid) => containerHome(rootfs, uid),
    sourceKind(path) {
      try {
        return statSync(path).isDirectory() ? 'dir' : 'file';
      } catch {
        return undefined;
      }
    },
    cgroup: cgroupLayout(),
  };
}
