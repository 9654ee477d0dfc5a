// The same bundle under runc and under tsrun must show the same observable state from inside.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/config/gen/config.js';
import { isRoot, skipReason, which } from '../helpers/env.js';
import { Sandbox } from '../helpers/sandbox.js';

const skip = skipReason(!isRoot ? 'integration tests need root' : !which('busybox') ? 'busybox-static is not installed' : !which('runc') ? 'runc is not installed: no differential test' : undefined);

/** What the container sees of itself, normalised (sizes and dates vary). */
const PROBE = [
  'echo hostname=$(hostname) pid=$$', 'id', 'umask', 'pwd', 'ulimit -n', 'ulimit -u', 'env | sort',
  'grep -E "^(Cap|NoNewPrivs|Uid|Gid|Groups)" /proc/self/status',
  'while read -r s d t o _; do echo "mount $d $t $o"; done < /proc/self/mounts | sed -E "s/,size=[0-9]+k//"',
  'ls -l /dev | sed -E "s/ +[A-Z][a-z]{2} +[0-9]+ +[0-9:]+ / /" | sort',
  'cat /proc/self/uid_map /proc/self/gid_map', 'cat /proc/sys/kernel/hostname', 'ls /proc/self/fd | sort -n',
].join('; ');

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

function both(name: string, edit: (s: Spec) => void): { runc: string; tsrun: string } {
  const b = sb.bundle(name, ['sh', '-c', PROBE], edit);
  const runcRoot = join(sb.dir, 'runc-state');
  mkdirSync(runcRoot);
  const r = spawnSync('runc', ['--root', runcRoot, 'run', '-b', b, `${name}-runc`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  try { execFileSync('runc', ['--root', runcRoot, 'delete', '-f', `${name}-runc`], { stdio: 'ignore' }); } catch {}
  const t = sb.run(['run', '-b', b, `${name}-tsrun`]);
  expect(r.status, r.stderr).toBe(0);
  expect(t.code, t.stderr).toBe(0);
  return { runc: r.stdout + r.stderr, tsrun: t.stdout + t.stderr };
}

describe.skipIf(skip)('tsrun and runc show the same container', () => {
  const variants: [string, (s: Spec) => void][] = [
    ['the default spec', () => {}],
    ['a non-root user with groups, umask, cwd, env and fewer caps', (s) => {
      s.process!.user = { uid: 1000, gid: 1000, additionalGids: [5, 100], umask: 0o027 };
      s.process!.cwd = '/tmp';
      s.process!.env = ['PATH=/bin', 'A=1', 'HOME=/home/x'];
      s.process!.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL', 'CAP_CHOWN'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] };
      s.process!.noNewPrivileges = false;
    }],
    ['rlimits, a hostname, a read-only root and extra mounts', (s) => {
      s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 256, hard: 512 }, { type: 'RLIMIT_NPROC', soft: 100, hard: 200 }];
      s.hostname = 'diff-host';
      s.root.readonly = true;
      s.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=1024k'] });
      s.mounts!.push({ destination: '/etc/hostname', type: 'bind', source: '/etc/hostname', options: ['rbind', 'ro', 'rprivate'] });
    }],
    ['a user namespace', (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      s.mounts = s.mounts!.filter((m) => m.type !== 'cgroup');
    }],
    ['no cgroup namespace (as Docker and Podman on cgroup v1)', (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'cgroup');
    }],
    ['no pid namespace', (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
    }],
  ];
  it.each(variants)('%s', (name, edit) => {
    const { runc, tsrun } = both(name.replace(/\W+/g, '-'), edit);
    // Without a pid namespace the pids differ run to run; everything else must match.
    // runc mounts mqueue in a user namespace before it switches gid, so its /dev/mqueue belongs to an
    // unmapped group (nogroup); tsrun mounts it as the namespace's root (root:root). Both are fine.
    const norm = (s: string) => s.replace(/pid=\d+/, 'pid=N').replace(/^(d\S+ +\d+ root +)(nogroup|root) +(.* mqueue)$/m, '$1GROUP $3');
    expect(norm(tsrun)).toBe(norm(runc));
  });
});
