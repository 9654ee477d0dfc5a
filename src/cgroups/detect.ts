// Which cgroup layout the host has, from /proc/self/mountinfo: v2 (unified only), v1, or hybrid (v1
// controllers plus cgroup2 at /sys/fs/cgroup/unified, where tsrun uses v1 for every controller, as runc).
// mountinfo also lists mounts that a later mount hides (a tmpfs over /sys/fs/cgroup in a nested
// container or a test harness): such a line is not a usable hierarchy, so every cgroup line is checked
// against the mount point itself (its st_dev must be the line's device) before it is trusted.
import { existsSync, readdirSync, readFileSync, statSync } from '../sys/fs.js';
import { join } from '../sys/path.js';

export const V1_CONTROLLERS = ['cpuset', 'cpu', 'cpuacct', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'hugetlb', 'net_cls', 'net_prio', 'perf_event', 'rdma', 'misc'];

export interface HostLayout {
  mode: 'v1' | 'hybrid' | 'v2';
  /** cgroup2 mount point (the only hierarchy on v2; hybrid: usually /sys/fs/cgroup/unified). */
  unified?: string;
  /** v1 hierarchy mount points by controller (co-mounted ones share one) and named ones ("name=systemd"). */
  v1: Record<string, string>;
}

/** One cgroup or cgroup2 line of mountinfo. */
export interface CgroupMount {
  fstype: 'cgroup' | 'cgroup2';
  mountPoint: string;
  /** Super options: the controllers of a v1 hierarchy ("rw,cpu,cpuacct"). */
  superOpts: string;
  /** The line's device, "major:minor". */
  dev: string;
}

/** Whether the file at path is on device "major:minor" (false when it cannot be stat'ed). */
export type DevCheck = (path: string, dev: string) => boolean;

/** st_dev of path against "major:minor" (glibc's makedev encoding). */
export function isOnDevice(path: string, dev: string): boolean {
  const [major, minor] = dev.split(':').map(Number);
  let st: { dev: number };
  try {
    st = statSync(path);
  } catch {
    return false;
  }
  const d = BigInt(st.dev);
  return Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)) === major && Number((d & 0xffn) | ((d >> 12n) & ~0xffn)) === minor;
}

/** The cgroup mounts of a mountinfo text that are live (check: whether the mount point is that mount). */
export function cgroupMounts(text: string, check: DevCheck | null = isOnDevice): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const mountPoint = pre[4]?.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    if (!mountPoint || !pre[2]) continue;
    out.push({ fstype, mountPoint, superOpts, dev: pre[2] });
  }
  return check ? out.filter((m) => check(m.mountPoint, m.dev)) : out;
}

/** Parses mountinfo lines into the cgroup layout (check: see cgroupMounts; null trusts every line). */
export function parseMountinfo(text: string, check: DevCheck | null = null): HostLayout {
  return layoutOf(cgroupMounts(text, check));
}

/** The layout of a list of cgroup mounts (the first mount of each hierarchy wins). */
export function layoutOf(mounts: CgroupMount[]): HostLayout {
  const v1: Record<string, string> = {};
  let unified: string | undefined;
  for (const m of mounts) {
    if (m.fstype === 'cgroup2') {
      unified ??= m.mountPoint;
      continue;
    }
    for (const opt of m.superOpts.split(',')) {
      if (V1_CONTROLLERS.includes(opt) || opt.startsWith('name=')) v1[opt] ??= m.mountPoint;
    }
  }
  const hasV1 = Object.keys(v1).some((k) => !k.startsWith('name='));
  return { mode: hasV1 ? (unified ? 'hybrid' : 'v1') : 'v2', unified, v1 };
}

/**
 * The layout of a fake cgroupfs root (unit tests): v2 when <root>/cgroup.controllers exists; else each
 * sub-directory is a v1 hierarchy named by its controllers ("cpu,cpuacct"), "unified" a cgroup2 one.
 */
export function layoutOfRoot(root: string): HostLayout {
  if (existsSync(join(root, 'cgroup.controllers'))) return { mode: 'v2', unified: root, v1: {} };
  const v1: Record<string, string> = {};
  let unified: string | undefined;
  for (const ent of readdirSync(root, { withFileTypes: true })) {
    if (!ent.isDirectory()) continue;
    const dir = join(root, ent.name);
    if (ent.name === 'unified') unified = dir;
    else if (ent.name === 'systemd') v1['name=systemd'] = dir;
    else for (const c of ent.name.split(',')) if (V1_CONTROLLERS.includes(c)) v1[c] ??= dir;
  }
  return { mode: unified ? 'hybrid' : 'v1', unified, v1 };
}

let cached: HostLayout | undefined;
let mounts: CgroupMount[] | undefined;
let mountinfo: string | undefined;

/** /proc/self/mountinfo, read once per process. */
export function hostMountinfo(): string {
  return (mountinfo ??= readFileSync('/proc/self/mountinfo', 'utf8'));
}

/** The live cgroup mounts of this process's mount namespace (create needs them twice). */
export function hostCgroupMounts(): CgroupMount[] {
  return (mounts ??= cgroupMounts(hostMountinfo()));
}

/** The host's layout (root given: a fake tree for tests). */
export function detectHost(root?: string): HostLayout {
  if (root) return layoutOfRoot(root);
  return (cached ??= layoutOf(hostCgroupMounts()));
}
