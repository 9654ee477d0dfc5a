// Behaviour that must match runc on configs and hosts other tools produce (issue #12): each test is
// one difference found against runc, fixed, with what the container (or the caller) observes.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/config/gen/config.js';
import { makeBusyboxRootfs } from '../../src/bundle/busybox.js';
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

/** Runs a busybox container whose process is `sh -c script`; returns what tsrun printed. */
function runSh(name: string, script: string, edit?: (s: Spec, bundle: string) => void, flags: string[] = []) {
  const b = sb.bundle(name, ['sh', '-c', script], (s) => edit?.(s, join(sb.dir, name)));
  return { ...sb.run(['run', ...flags, '-b', b, `${name}-c`]), bundle: b };
}

describe.skipIf(skip || !which('runc'))('configs runc writes', () => {
  it('`runc spec` runs: its ambient capabilities without inheritable ones are skipped with a warning', () => {
    const b = join(sb.dir, 'runc-spec');
    mkdirSync(b);
    execFileSync('runc', ['spec'], { cwd: b });
    makeBusyboxRootfs(join(b, 'rootfs'));
    const spec = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8')) as Spec;
    expect(spec.process!.capabilities!.ambient!.length).toBeGreaterThan(0);
    spec.process!.terminal = false;
    spec.process!.args = ['sh', '-c', 'grep -E "^Cap(Amb|Eff)" /proc/self/status'];
    writeFileSync(join(b, 'config.json'), JSON.stringify(spec));
    const r = sb.run(['run', '-b', b, 'runc-spec-c']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('CapEff:\t0000000020000420\nCapAmb:\t0000000000000000\n');
    expect(r.warnings).toMatch(/ambient: cannot raise CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE|ambient: cannot raise/);
  });
});

describe.skipIf(skip)('the container runc would give', () => {
  it('unknown capability names are ignored with a warning (runc 1.2+)', () => {
    const r = runSh('unknown-cap', 'grep CapBnd /proc/self/status', (s) => { s.process!.capabilities!.bounding!.push('CAP_FLY_AWAY'); });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('CapBnd:\t0000000020000420\n');
    expect(r.warnings).toMatch(/ignoring unknown capabilities: CAP_FLY_AWAY/);
  });

  it('a new network namespace has its loopback up', () => {
    const r = runSh('lo-up', 'cat /sys/class/net/lo/flags');
    expect(r.stderr).toBe('');
    expect(Number(r.stdout.trim()) & 1).toBe(1); // IFF_UP
  });

  it('a tmpfs takes the mode of the directory it covers unless its options give one; a new directory keeps tmpfs\'s default', () => {
    const r = runSh('tmpfs-mode', 'stat -c "%n %a" /tmp /srv /var /fresh', (s, b) => {
      mkdirSync(join(b, 'rootfs/srv'), { mode: 0o750 });
      chmodSync(join(b, 'rootfs/srv'), 0o750);
      s.mounts!.push(
        { destination: '/tmp', type: 'tmpfs', source: 'tmpfs' },
        { destination: '/srv', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] },
        { destination: '/var', type: 'tmpfs', source: 'tmpfs', options: ['mode=700'] },
        { destination: '/fresh', type: 'tmpfs', source: 'tmpfs' },
      );
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/tmp 1777\n/srv 750\n/var 700\n/fresh 1777\n');
  });

  it('a read-only /dev is set up first, then made read-only', () => {
    const r = runSh('ro-dev', 'ls /dev/null /dev/zero /dev/pts/ptmx >/dev/null && echo devices; touch /dev/x 2>&1; grep " /dev " /proc/self/mounts | cut -d" " -f4 | cut -d, -f1', (s) => {
      s.mounts!.find((m) => m.destination === '/dev')!.options!.push('ro');
    });
    expect(r.stdout).toBe('devices\ntouch: /dev/x: Read-only file system\nro\n');
  });

  it('a missing cwd is created; a cwd only root may enter works for another user (chdir before the user switch)', () => {
    const r = runSh('cwd', 'pwd; stat -c "%a %u" /made/here', (s) => {
      s.process!.cwd = '/made/here';
      s.process!.user = { uid: 1000, gid: 1000 };
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/made/here\n755 0\n');
    const q = runSh('cwd2', 'pwd', (s, b) => {
      mkdirSync(join(b, 'rootfs/secret'), { mode: 0o700 });
      s.process!.cwd = '/secret';
      s.process!.user = { uid: 1000, gid: 1000 };
    });
    expect(q.stderr).toBe('');
    expect(q.stdout).toBe('/secret\n');
  });

  it('hooks: createContainer runs in the root filesystem, prestart in the bundle with status "created" and the runtime\'s environment', () => {
    const out = join(sb.dir, 'hooks.out');
    const r = runSh('hook-cwd', 'true', (s) => {
      s.hooks = {
        prestart: [{ path: '/bin/sh', args: ['sh', '-c', `{ echo "prestart $(pwd) HOOKVAR=$HOOKVAR"; cat; echo; } >> ${out}`] }],
        createContainer: [{ path: '/bin/sh', args: ['sh', '-c', `echo "createContainer $(pwd) HOOKVAR=$HOOKVAR" >> ${out}`] }],
      };
    });
    expect(r.code).toBe(0);
    const b = r.bundle;
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(`prestart ${b} HOOKVAR=`);
    expect(JSON.parse(lines[1])).toMatchObject({ status: 'created', bundle: b });
    expect(lines[2]).toBe(`createContainer ${b}/rootfs HOOKVAR=`);
    // Without env, a runtime-side hook gets tsrun's own environment (Go's exec with a nil Env, in runc).
    rmSync(out);
    const b2 = sb.bundle('hook-env', ['true'], (s) => { s.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `echo "HOOKVAR=$HOOKVAR" >> ${out}`] }] }; });
    expect(sb.run(['run', '-b', b2, 'hook-env-c'], { env: { HOOKVAR: 'from-the-caller' } }).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('HOOKVAR=from-the-caller\n');
  });

  it('in a user namespace, a bind source only the host\'s root can reach is mounted (its tree is cloned on the host side)', () => {
    const secret = join(sb.dir, 'private');
    mkdirSync(join(secret, 'inner'), { recursive: true });
    writeFileSync(join(secret, 'inner/f'), 'hidden\n');
    chmodSync(secret, 0o700);
    const r = runSh('userns-bind', 'cat /data/f', (s, b) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      s.mounts = s.mounts!.filter((m) => m.type !== 'cgroup');
      s.mounts.push({ destination: '/data', type: 'bind', source: join(secret, 'inner'), options: ['rbind', 'ro'] });
      mkdirSync(join(b, 'rootfs/data'));
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hidden\n');
  });

  it('--no-pivot detaches the runtime\'s own proc and sysfs before the chroot', () => {
    const b = sb.bundle('no-pivot', ['sh', '-c', 'echo in']);
    const plan = sb.run(['create', '--dry-run', '--no-pivot', '-b', b, 'no-pivot-c']);
    expect(plan.stdout).toMatch(/detach the runtime's \/proc \(--no-pivot\)/);
    expect(plan.stdout).toMatch(/detach the runtime's \/sys \(--no-pivot\)/);
    const r = sb.run(['run', '--no-pivot', '-b', b, 'no-pivot-c']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('in\n');
  });

  it('a terminal belongs to the process\'s user, as runc gives it', () => {
    const r = runSh('tty-owner', 'stat -c "%u" "$(tty)"', (s) => {
      s.process!.terminal = true;
      s.process!.user = { uid: 1000, gid: 1000 };
    });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('1000');
  });
});
