// What a container observes of itself, printed in sections ("@@ name" lines) by a busybox shell
// script, and the normalisation applied before comparing: only what differs run to run (mount ids,
// device numbers of anonymous filesystems, peer group numbers, dates, pipe inodes) and the names that
// differ by construction between the two runs (bundle path, container id, cgroup parent). Nothing
// that a config decides is normalised away.
import type { Spec } from '../../src/config/gen/config.js';

const V1_FILES = [
  'memory/memory.limit_in_bytes', 'memory/memory.soft_limit_in_bytes', 'memory/memory.memsw.limit_in_bytes',
  'memory/memory.swappiness', 'memory/memory.kmem.limit_in_bytes', 'memory/memory.kmem.tcp.limit_in_bytes',
  'memory/memory.use_hierarchy', 'memory/memory.oom_control', 'pids/pids.max', 'cpu/cpu.shares', 'cpu/cpu.cfs_quota_us',
  'cpu/cpu.cfs_period_us', 'cpu/cpu.rt_runtime_us', 'cpu/cpu.rt_period_us', 'cpu/cpu.idle', 'cpu/cpu.cfs_burst_us',
  'cpuset/cpuset.cpus', 'cpuset/cpuset.mems', 'blkio/blkio.weight', 'blkio/blkio.throttle.read_bps_device',
  'blkio/blkio.throttle.write_iops_device', 'devices/devices.list', 'freezer/freezer.state',
];
const V2_FILES = [
  'cgroup.controllers', 'cgroup.subtree_control', 'cgroup.type', 'memory.max', 'memory.low', 'memory.high', 'memory.min',
  'memory.swap.max', 'memory.oom.group', 'pids.max', 'cpu.max', 'cpu.weight', 'cpu.idle', 'cpu.max.burst', 'cpuset.cpus',
  'cpuset.mems', 'io.weight', 'io.max', 'cgroup.freeze',
];

/** The probe for a config: the fixed sections and the paths this config names (mounts, sysctls). */
export function probeScript(spec: Spec): string {
  const dests = (spec.mounts ?? []).map((m) => m.destination).filter((d) => /^\/[\w./-]*$/.test(d));
  const sysctls = Object.keys(spec.linux?.sysctl ?? {}).map((k) => `/proc/sys/${k.replace(/\./g, '/')}`);
  const devs = (spec.linux?.devices ?? []).map((d) => d.path);
  const s: string[] = [
    'exec 2>&1',
    'echo "@@ id"; id',
    'echo "@@ cwd"; pwd',
    'echo "@@ umask"; umask',
    'echo "@@ env"; env | sort',
    'echo "@@ status"; grep -E "^(Cap|NoNewPrivs|Uid|Gid|Groups|Seccomp)" /proc/self/status',
    'echo "@@ limits"; cat /proc/self/limits',
    'echo "@@ oom"; cat /proc/self/oom_score_adj',
    'echo "@@ uts"; hostname; cat /proc/sys/kernel/domainname',
    'echo "@@ sched"; uname -m; grep Cpus_allowed_list /proc/self/status; chrt -p $$; ionice -p $$; echo "nice $(cut -d" " -f19 /proc/$$/stat)"',
    'echo "@@ mountinfo"; cat /proc/self/mountinfo',
    'echo "@@ net"; ip link; cat /sys/class/net/lo/operstate',
    'echo "@@ dev"; ls -lnA /dev /dev/pts /dev/shm /dev/mqueue',
    'echo "@@ cgroup"; cat /proc/self/cgroup',
    'echo "@@ cgfiles"',
    `if [ -e /sys/fs/cgroup/cgroup.controllers ]; then for f in ${V2_FILES.join(' ')}; do [ -e /sys/fs/cgroup/$f ] && echo "$f: $(cat /sys/fs/cgroup/$f | tr '\\n' ' ')"; done;`
      + ` else for f in ${V1_FILES.join(' ')}; do [ -e /sys/fs/cgroup/$f ] && echo "$f: $(cat /sys/fs/cgroup/$f | tr '\\n' ' ')"; done; fi`,
    'echo "@@ fds"; for f in /proc/$$/fd/*; do echo "${f##*/} -> $(readlink $f)"; done',
    'echo "@@ ns"; for n in cgroup ipc mnt net pid time user uts; do echo "$n $(readlink /proc/self/ns/$n)"; done',
    'echo "@@ files"',
    ...[...new Set([...dests, ...devs, '/', '/tmp', '/private', '/mode0710'])].map((d) => `stat -c "%n %A %u %g %F" ${d} 2>&1`),
    ...(sysctls.length ? ['echo "@@ sysctl"', ...sysctls.map((p) => `echo "${p}=$(cat ${p})"`)] : []),
    'echo "@@ write"; for d in / /tmp /dev/shm /proc/sys /sys; do touch $d/.dh-w 2>/dev/null && echo "$d writable" && rm -f $d/.dh-w || echo "$d read-only"; done',
    'echo "@@ end"',
  ];
  return s.join('\n');
}

export type Sections = Record<string, string[]>;

/** Splits probe output ("@@ name" lines) into sections; text before the first header is "out". */
export function sections(text: string): Sections {
  const out: Sections = {};
  let cur = 'out';
  for (const line of text.split('\n')) {
    const m = /^@@ (\S+)$/.exec(line);
    if (m) { cur = m[1]; out[cur] ??= []; continue; }
    (out[cur] ??= []).push(line);
  }
  for (const k of Object.keys(out)) {
    while (out[k].length && out[k][out[k].length - 1] === '') out[k].pop();
    if (k === 'out' && !out[k].length) delete out[k];
  }
  return out;
}

/** The names that differ between the two runs by construction, mapped to placeholders. */
export interface Names {
  bundle: string;
  /** The bundle's path inside the filesystem it is on (mountinfo's root field names it so). */
  bundleInFs: string;
  id: string;
  /** The container's cgroup (cgroupsPath, or the runtime's default for the id). */
  cgroup: string;
  /** The run's cgroup parent for fixed cgroupsPaths, e.g. /dh-ab12. */
  cgroupParent: string;
  /** Everything under this dir is the runtime's own scratch (outputs, state). */
  runtimeDir: string;
}

/** Replaces the run-specific names and the values that vary between any two runs. */
export function normalise(line: string, n: Names): string {
  let s = line.split(n.bundle).join('<bundle>').split(` ${n.bundleInFs}/`).join(' <bundle>/').split(` ${n.bundleInFs} `).join(' <bundle> ').split(n.cgroup).join('<cgroup>').split(n.runtimeDir).join('<rtdir>').split(n.id).join('<id>').split(n.cgroupParent).join('<cgparent>');
  s = s.replace(/pipe:\[\d+\]/g, 'pipe:[N]').replace(/socket:\[\d+\]/g, 'socket:[N]').replace(/anon_inode:\[?([\w-]+)\]?/g, 'anon_inode:$1');
  s = s.replace(/\/proc\/\d+\//g, '/proc/N/');
  return s;
}

/** A mountinfo line without what varies per boot or per run: ids, anonymous dev numbers, peer group numbers. */
export function normaliseMountinfo(line: string): string {
  const m = /^\d+ \d+ (\d+):(\d+) (\S+) (\S+) (\S+)((?: \S+:?\S*)*?) - (\S+) (\S+) (\S+)$/.exec(line);
  if (!m) return line;
  const [, , , root, point, opts, optional, fstype, source, superOpts] = m;
  const prop = optional.trim().split(' ').filter(Boolean).map((f) => f.replace(/:\d+$/, '')).join(',') || 'private';
  return `${point} ${opts} ${prop} root=${root} - ${fstype} ${source} ${superOpts}`;
}

/**
 * mountinfo as a tree walk: each mount after its parent, siblings by mount point (then by age), each
 * line naming its parent's mount point. The kernel lists mounts in the order they were attached,
 * which differs when a runtime makes the same tree in another order (e.g. a bind made from the host
 * side before the root); the tree itself, what is mounted on what, is what the container sees.
 */
export function canonicalMountinfo(raw: string[]): string[] {
  const nodes = raw.map((line, i) => {
    const m = /^(\d+) (\d+) \S+ \S+ (\S+)/.exec(line);
    return { id: m ? Number(m[1]) : -1 - i, parent: m ? Number(m[2]) : -1, point: m ? m[3] : '', line, kids: [] as number[] };
  });
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const roots = nodes.filter((n) => !byId.has(n.parent));
  for (const n of nodes) byId.get(n.parent)?.kids.push(n.id);
  const out: string[] = [];
  const seen = new Set<number>();
  const walk = (n: (typeof nodes)[number], parentPoint: string) => {
    if (seen.has(n.id)) return;
    seen.add(n.id);
    out.push(`${normaliseMountinfo(n.line)} on=${parentPoint}`);
    const kids = n.kids.map((k) => byId.get(k)!).sort((a, b) => (a.point < b.point ? -1 : a.point > b.point ? 1 : a.id - b.id));
    for (const k of kids) walk(k, n.point);
  };
  for (const r of roots) walk(r, '-');
  return out;
}

/** `ls -ln` lines without dates (the mount's and the node's creation time). */
export function normaliseLs(line: string): string {
  return line.replace(/ [A-Z][a-z]{2} +\d+ +(\d\d:\d\d|\d{4}) /, ' ');
}

/** A hook's state line (JSON) as one line per field; the pid only as whether there is one. */
export function stateLines(line: string): string[] {
  if (!line.startsWith('{')) return [line];
  try {
    const st = JSON.parse(line) as Record<string, unknown>;
    return Object.entries(st).map(([k, v]) => (k === 'pid' ? `state.pid=${typeof v === 'number' && v > 0 ? '<pid>' : JSON.stringify(v)}` : `state.${k}=${JSON.stringify(v)}`));
  } catch {
    return [line];
  }
}

/** devices.list in a canonical order: the kernel keeps the order rules were written, which has no effect. */
export function sortDevicesList(line: string): string {
  const m = /^(devices\/devices\.list: )(.*)$/.exec(line);
  if (!m) return line;
  const rules = m[2].trim().match(/[abc] \S+:\S+ [rwm]+/g) ?? [];
  return m[1] + rules.sort().join(', ');
}

export function namespaceInodes(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines) {
    const [k, v] = l.split(' ');
    out[k] = v;
  }
  return out;
}
