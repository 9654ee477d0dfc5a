// Which cgroup layout the host has, from /proc/self/mountinfo: v2 (unified only), v1, or hybrid (v1
// controllers plus cgroup2 at /sys/fs/cgroup/unified, where tsrun uses v1 for every controller, as runc).
import { existsSync, readdirSync, readFileSync } from '../sys/fs.js';
import { join } from '../sys/path.js';

export const V1_CONTROLLERS = ['cpuset', 'cpu', 'cpuacct', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'hugetlb', 'net_cls', 'net_prio', 'perf_event', 'rdma', 'misc'];

export interface HostLayout {
  mode: 'v1' | 'hybrid' | 'v2';
  /** cgroup2 mount point (the only hierarchy on v2; hybrid: usually /sys/fs/cgroup/unified). */
  unified?: string;
  /** v1 hierarchy mount points by controller (co-mounted ones share one) and named ones ("name=systemd"). */
  v1: Record<string, string>;
}

/** Parses mountinfo lines into the cgroup layout (first mount of each hierarchy wins). */
export function parseMountinfo(text: string): HostLayout {
  const v1: Record<string, string> = {};
  let unified: string | undefined;
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    const mountPoint = pre[4]?.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    if (!mountPoint) continue;
    if (fstype === 'cgroup2') {
      unified ??= mountPoint;
    } else if (fstype === 'cgroup') {
      for (const opt of superOpts.split(',')) {
        if (V1_CONTROLLERS.includes(opt) || opt.startsWith('name=')) v1[opt] ??= mountPoint;
      }
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
let mountinfo: string | undefined;

/** /proc/self/mountinfo, read once per process (create needs it twice: here and for the plan). */
export function hostMountinfo(): string {
  return (mountinfo ??= readFileSync('/proc/self/mountinfo', 'utf8'));
}

/** The host's layout (root given: a fake tree for tests). */
export function detectHost(root?: string): HostLayout {
  if (root) return layoutOfRoot(root);
  cached ??= parseMountinfo(hostMountinfo());
  return cached;
}
