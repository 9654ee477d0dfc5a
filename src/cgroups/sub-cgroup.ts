// `exec --cgroup [controller[,controller]:]path`: the process joins an existing sub-cgroup of the
// container's cgroup, in every hierarchy (no controller) or in the ones named, as runc does.
import { existsSync } from '../sys/fs.js';
import { join } from '../sys/path.js';
import { fail } from '../errors.js';

/** runc's getSubCgroupPaths: controller -> sub path ("" = every controller). */
export function parseSubCgroups(args: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of args) {
    const colon = a.indexOf(':');
    const [ctrls, path] = colon < 0 ? [[''], a] : [a.slice(0, colon).split(','), a.slice(colon + 1)];
    if (path.split('/').includes('..')) throw fail(`invalid --cgroup argument: ${a} (the path must stay below the container's cgroup)`);
    for (const c of ctrls) {
      if (colon >= 0 && !c) throw fail(`invalid --cgroup argument: ${a} (empty <controller> prefix)`);
      if (out.has(c)) throw fail(c ? `invalid --cgroup argument(s): controller ${c} specified multiple times` : 'invalid --cgroup argument(s): multiple <path> specified');
      out.set(c, path);
    }
  }
  return out;
}

/** The container's cgroup paths with the sub-cgroups joined in; each one must exist. */
export function subCgroupPaths(paths: Record<string, string>, subs: Map<string, string>): Record<string, string> {
  const out = { ...paths };
  const all = subs.get('');
  for (const key of Object.keys(out)) {
    const sub = all ?? subs.get(key);
    if (sub !== undefined) out[key] = join(out[key], sub);
  }
  if (all === undefined) {
    for (const c of subs.keys()) if (!(c in paths)) throw fail(`unknown controller ${c} in --cgroup`);
  }
  for (const dir of new Set(Object.values(out))) {
    if (!existsSync(dir)) throw fail(`the sub-cgroup ${dir} does not exist`, { hint: '--cgroup joins an existing cgroup below the container\'s' });
  }
  return out;
}
