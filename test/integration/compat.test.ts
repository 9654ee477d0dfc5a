// Behaviour that must match runc on configs and hosts other tools produce (issue #12): each test is
// one difference found against runc, fixed, with what the container (or the caller) observes.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRoot, skipReason, TSRUN, which } from '../helpers/env.js';
import { Sandbox } from '../helpers/sandbox.js';

const skip = skipReason(!isRoot ? 'integration tests need root' : !which('busybox') ? 'busybox-static is not installed' : undefined);

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

/** The v1 hierarchies of this host as `mount -o` option strings (name=systemd included). */
function v1Options(): string[] {
  const out = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!post?.startsWith('cgroup ')) continue;
    const opts = post.split(' ')[2].split(',').filter((o) => o !== 'rw' && o !== 'ro' && !o.startsWith('release_agent'));
    if (pre.split(' ')[4].startsWith('/sys/fs/cgroup/')) out.add(opts.join(','));
  }
  return [...out];
}

describe.skipIf(skip)('hosts other than this one', () => {
  it('a cgroup mount hidden under a later mount is not used (a tmpfs over /sys/fs/cgroup holding only v1)', () => {
    const b = sb.bundle('hidden', ['sh', '-c', 'echo ok'], (s) => { s.linux!.resources = undefined; });
    // A private mount namespace where /sys/fs/cgroup is a new tmpfs with the v1 hierarchies mounted
    // again and no cgroup2: mountinfo still lists the old, now hidden, cgroup2 mount.
    const setup = [
      'set -e', 'mount --make-rprivate /', 'mount -t tmpfs tmpfs /sys/fs/cgroup',
      ...v1Options().map((o, i) => `mkdir /sys/fs/cgroup/h${i} && mount -t cgroup -o ${o} cgroup /sys/fs/cgroup/h${i}`),
      `exec "${TSRUN}" --root "${sb.root}" run -b "${b}" hidden-c1`,
    ].join('\n');
    writeFileSync(join(sb.dir, 'hidden.sh'), setup);
    const r = spawnSync('unshare', ['-m', 'sh', join(sb.dir, 'hidden.sh')], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok\n');
    expect(r.status).toBe(0);
  });
});
