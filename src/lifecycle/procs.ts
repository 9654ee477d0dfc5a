// Processes of a container without cgroups: every process in the init's pid namespace (when the
// container has its own), found through /proc. Used by kill --all and delete --force.
import { readdirSync, readlinkSync } from '../sys/fs.js';

function nsOf(pid: number | string, kind: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return undefined;
  }
}

/** Host pids sharing the init's pid namespace; just the init when that namespace is the host's. */
export function containerPids(initPid: number): number[] {
  const ns = nsOf(initPid, 'pid');
  if (!ns || ns === nsOf('self', 'pid')) return [initPid];
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if (nsOf(name, 'pid') === ns) out.push(Number(name));
  }
  return out;
}
