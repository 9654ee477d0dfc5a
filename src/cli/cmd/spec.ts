// `tsrun spec`: writes a starting config.json into the bundle directory (never over an existing one).
import { existsSync, statfsSync, writeFileSync } from '../../sys/fs.js';
import { join, resolve } from '../../sys/path.js';
import { defaultSpec, rootlessSpec } from '../../config/default-spec.js';
import { fail } from '../../errors.js';
import { makeBusyboxRootfs } from '../../bundle/busybox.js';
import type { Ctx } from '../context.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;

const DEMO = [
  'echo "hostname:  $(hostname)"',
  'echo "my pid:    $$"',
  'echo "processes: $(cd /proc && echo [0-9]*)"',
  'echo "user:      $(id)"',
  'echo "mounts:"; while read -r src dest fstype opts _; do echo "  $dest  $fstype  $opts"; done < /proc/self/mounts',
].join('; ');

export default function spec(ctx: Ctx): number {
  const dir = resolve(String(ctx.flags.bundle ?? '.'));
  const path = join(dir, 'config.json');
  if (existsSync(path)) throw fail(`File ${path} exists. Remove it first`);
  // As runc's spec: a cgroup namespace only on a pure cgroup v2 host (/sys/fs/cgroup is cgroup2).
  let cgroupns = false;
  try { cgroupns = statfsSync('/sys/fs/cgroup').type === CGROUP2_SUPER_MAGIC; } catch {}
  const doc = ctx.flags.rootless ? rootlessSpec(process.getuid!(), process.getgid!(), { cgroupns }) : defaultSpec({ cgroupns });
  if (ctx.flags.busybox) {
    makeBusyboxRootfs(join(dir, 'rootfs'));
    // A first container that shows what it is: its hostname, pid 1, its own processes and mounts.
    doc.process!.terminal = false;
    doc.process!.args = ['sh', '-c', DEMO];
  }
  writeFileSync(path, JSON.stringify(doc, null, '\t') + '\n', { flag: 'wx', mode: 0o666 });
  return 0;
}
