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
    const r = runSh('unknown-cap', 'grep CapBnd /proc/self/status', (s) => { s.process!.capabilities!.bounding!.push('CAP_FLY_AWAY', 'cap_kill', 'NET_ADMIN'); });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('CapBnd:\t0000000020000420\n');
    expect(r.warnings).toMatch(/ignoring unknown capabilities: CAP_FLY_AWAY, cap_kill, NET_ADMIN/);
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

describe.skipIf(skip)('command lines as runc takes them', () => {
  const sleeper = (name: string, edit?: (s: Spec) => void) => {
    const b = sb.bundle(name, ['sleep', '1000'], edit);
    expect(sb.run(['run', '-d', '-b', b, name]).code).toBe(0);
    return b;
  };
  const stateOf = (id: string) => JSON.parse(sb.run(['state', id]).stdout) as { status: string; pid: number };
  const waitStopped = (id: string) => {
    for (let i = 0; i < 200 && stateOf(id).status !== 'stopped'; i++) spawnSync('sleep', ['0.02']);
  };

  it('kill takes signal 0; kill --all of a stopped container succeeds, a plain kill does not', () => {
    sleeper('kill0');
    expect(sb.run(['kill', 'kill0', '0']).code).toBe(0);
    expect(stateOf('kill0').status).toBe('running');
    expect(sb.run(['kill', 'kill0', 'KILL']).code).toBe(0);
    waitStopped('kill0');
    expect(sb.run(['kill', '--all', 'kill0', '9'])).toMatchObject({ code: 0, stderr: '' });
    expect(sb.run(['kill', 'kill0', '9'])).toMatchObject({ code: 1, stderr: 'kill kill0: container not running\n' });
  });

  it('exec exits 255 when exec itself fails, and with the process\'s status otherwise', () => {
    sleeper('exec255');
    expect(sb.run(['exec', 'exec255', '/nonexistent']).code).toBe(255);
    expect(sb.run(['exec', 'exec255', '/etc/passwd']).code).toBe(255);
    expect(sb.run(['exec', 'exec255', 'sh', '-c', 'exit 3']).code).toBe(3);
    expect(sb.run(['exec', 'exec255', 'sh', '-c', 'kill -9 $$']).code).toBe(137);
    expect(sb.run(['pause', 'exec255']).code).toBe(0);
    expect(sb.run(['exec', 'exec255', 'true'])).toMatchObject({ code: 255, stderr: expect.stringMatching(/cannot exec in a paused container/) });
    expect(sb.run(['resume', 'exec255']).code).toBe(0);
    // A process without PATH finds nothing by name, as with runc (Go's exec.LookPath).
    const proc = join(sb.dir, 'nopath.json');
    writeFileSync(proc, JSON.stringify({ args: ['sh', '-c', 'true'], cwd: '/', user: { uid: 0, gid: 0 } }));
    expect(sb.run(['exec', '--process', proc, 'exec255'])).toMatchObject({ code: 255, stderr: expect.stringMatching(/executable file not found in \$PATH.*no PATH/) });
  });

  it('ps passes its extra arguments to ps(1) and keeps the container\'s lines', () => {
    sleeper('psargs');
    const pid = stateOf('psargs').pid;
    const r = sb.run(['ps', 'psargs', '-o', 'pid,comm']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^\s*PID COMMAND$/), expect.stringMatching(new RegExp(`^\\s*${pid} sleep$`))]);
    expect(sb.run(['ps', 'psargs', '-o', 'comm'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/couldn't find PID field in ps output/) });
  });

  it('exec --cgroup joins a sub-cgroup of the container\'s; delete --force removes the sub-cgroups and their processes', () => {
    sleeper('subcg');
    const cg = readFileSync(`/proc/${stateOf('subcg').pid}/cgroup`, 'utf8');
    const memPath = /^\d+:memory:(.*)$/m.exec(cg)![1];
    const memDir = `/sys/fs/cgroup/memory${memPath}`;
    mkdirSync(join(memDir, 'sub'));
    const r = sb.run(['exec', '--cgroup', 'memory:sub', 'subcg', 'sh', '-c', 'grep memory /proc/self/cgroup; sleep 1000 &']);
    expect(r.stdout).toMatch(/memory:.*\/sub$/m);
    expect(sb.run(['exec', '--cgroup', 'nope', 'subcg', 'true'])).toMatchObject({ code: 255, stderr: expect.stringMatching(/sub-cgroup .*\/nope does not exist/) });
    expect(sb.run(['delete', '--force', 'subcg']).code).toBe(0);
    expect(spawnSync('test', ['-e', memDir]).status).toBe(1);
  });

  it('create refuses a frozen cgroup; a cgroupsPath shared with another container is not killed by delete --force', () => {
    const shared = `/tsrun-compat-shared-${process.pid}`;
    try {
      sleeper('share-a', (s) => { s.linux!.cgroupsPath = shared; });
      sleeper('share-b', (s) => { s.linux!.cgroupsPath = shared; });
      expect(sb.run(['delete', '--force', 'share-b']).code).toBe(0);
      expect(stateOf('share-a').status).toBe('running');
      expect(sb.run(['pause', 'share-a']).code).toBe(0);
      const b = sb.bundle('share-c', ['true'], (s) => { s.linux!.cgroupsPath = shared; });
      expect(sb.run(['create', '-b', b, 'share-c'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/cgroup unexpectedly frozen \(linux.cgroupsPath\)/) });
      expect(sb.run(['resume', 'share-a']).code).toBe(0);
      expect(sb.run(['delete', '--force', 'share-a']).code).toBe(0);
    } finally {
      sb.cleanup();
      sb = new Sandbox();
      for (const h of ['memory', 'pids', 'freezer', 'cpu,cpuacct', 'cpuset', 'devices', 'blkio', 'systemd', 'unified']) spawnSync('rmdir', [`/sys/fs/cgroup/${h}${shared}`]);
    }
  });

  it('run -d whose poststart hook fails leaves no container behind', () => {
    const b = sb.bundle('poststart-fail', ['sleep', '1000'], (s) => { s.hooks = { poststart: [{ path: '/bin/false' }] }; });
    const r = sb.run(['run', '-d', '-b', b, 'poststart-fail']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/poststart hook \/bin\/false exited with status 1/);
    expect(sb.run(['list', '-q']).stdout).toBe('');
  });

  it('--log that cannot be opened is an error; device access "rwa" is taken as runc takes it; a mount label without SELinux is ignored', () => {
    expect(sb.run(['--log', '/nonexistent/dir/log', 'list'])).toMatchObject({ code: 1, stderr: 'open the log file /nonexistent/dir/log: no such file or directory; check --log\n' });
    const r = runSh('rwa', 'echo x > /dev/null && echo ok', (s) => {
      s.linux!.resources!.devices!.push({ allow: true, type: 'c', major: 1, minor: 3, access: 'rwa' });
      s.linux!.mountLabel = 'system_u:object_r:container_file_t:s0';
    });
    expect(r).toMatchObject({ code: 0, stdout: 'ok\n', stderr: '', warnings: '' });
  });

  it('spec adds a cgroup namespace only on a pure cgroup v2 host, as runc spec', () => {
    const dir = join(sb.dir, 'spec-ns');
    mkdirSync(dir);
    expect(sb.run(['spec', '--bundle', dir]).code).toBe(0);
    const types = (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Spec).linux!.namespaces!.map((n) => n.type);
    const v2 = spawnSync('stat', ['-f', '-c', '%T', '/sys/fs/cgroup'], { encoding: 'utf8' }).stdout.trim() === 'cgroup2fs';
    expect(types.includes('cgroup')).toBe(v2);
  });
});

describe.skipIf(skip)('resources and sysctls as runc applies them', () => {
  it('real-time CPU time works under tsrun\'s default cgroup parent', () => {
    const r = runSh('rt', 'cat /sys/fs/cgroup/cpu/cpu.rt_runtime_us', (s) => { s.linux!.resources!.cpu = { realtimeRuntime: 10000, realtimePeriod: 1000000 }; });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('10000\n');
  });

  it('kernel.domainname is allowed beside the domainname field and wins; kernel.hostname is refused', () => {
    const r = runSh('domain', 'cat /proc/sys/kernel/domainname', (s) => { s.domainname = 'first'; s.linux!.sysctl = { 'kernel.domainname': 'second' }; });
    expect(r).toMatchObject({ code: 0, stdout: 'second\n' });
    const q = runSh('hostsysctl', 'true', (s) => { s.linux!.sysctl = { 'kernel.hostname': 'x' }; });
    expect(q).toMatchObject({ code: 1, stderr: expect.stringMatching(/kernel.hostname.*conflicts with the OCI "hostname" field/) });
  });

  it('net.* sysctls are refused when the network namespace joined by path is the runtime\'s own', () => {
    const r = runSh('hostnet', 'true', (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: '/proc/self/ns/net' } : n));
      s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/linux.sysctl\["net.ipv4.ip_forward"\].*not allowed in the host network namespace/);
  });
});

describe.skipIf(skip)('a config without a mount namespace', () => {
  it('inherits tsrun\'s mount namespace, jails with chroot, and delete detaches every mount it made', () => {
    const b = sb.bundle('nomnt', ['sleep', '1000'], (s) => { s.linux!.namespaces = []; delete s.hostname; });
    // In a private mount namespace of the test's own, which stands for "tsrun's".
    const script = [
      'set -e', 'count() { wc -l < /proc/self/mountinfo; }', 'before=$(count)',
      `"${TSRUN}" --root "${sb.root}" run -d -b "${b}" nomnt-c 2>/dev/null`,
      'during=$(count)',
      `[ "$("${TSRUN}" --root "${sb.root}" exec nomnt-c readlink /proc/self/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ] && echo same-mount-ns`,
      `"${TSRUN}" --root "${sb.root}" exec nomnt-c sh -c 'test -e /bin/busybox && test ! -e /work && echo jailed'`,
      `"${TSRUN}" --root "${sb.root}" delete --force nomnt-c`,
      'after=$(count)', '[ "$during" -gt "$before" ] && [ "$after" = "$before" ] && echo detached',
    ].join('\n');
    writeFileSync(join(sb.dir, 'nomnt.sh'), script);
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', join(sb.dir, 'nomnt.sh')], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('same-mount-ns\njailed\ndetached\n');
  });
});

describe.skipIf(skip)('interrupted work and bad input', () => {
  const listed = () => sb.run(['list', '-f', 'json']).stdout;

  it('a create killed half-way leaves a container that list shows and delete --force removes with its cgroup and helper', async () => {
    const { spawn } = await import('node:child_process');
    const b = sb.bundle('killed', ['true'], (s) => { s.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `touch ${sb.dir}/in-hook; sleep 30`] }] }; });
    const p = spawn(TSRUN, ['--root', sb.root, 'create', '-b', b, 'killed-c'], { stdio: 'ignore' });
    while (spawnSync('test', ['-e', join(sb.dir, 'in-hook')]).status !== 0) await new Promise((r) => setTimeout(r, 10));
    const rec = JSON.parse(readFileSync(join(sb.root, 'killed-c/state.json'), 'utf8'));
    const cgroups: string[] = Object.values(rec.tsrun.cgroup.paths);
    p.kill('SIGKILL');
    await new Promise((r) => p.on('close', r));
    expect(JSON.parse(listed())).toEqual([expect.objectContaining({ id: 'killed-c', status: 'stopped' })]);
    // Not blocked: the id is taken until the leftover is deleted, and then free again.
    expect(sb.run(['create', '-b', b, 'killed-c'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/already exists/) });
    expect(sb.run(['delete', '--force', 'killed-c']).code).toBe(0);
    expect(listed()).toBe('null\n');
    for (const d of cgroups) expect(spawnSync('test', ['-e', d]).status).toBe(1);
    // A directory without any state (killed before its first write) is shown and removed too.
    mkdirSync(join(sb.root, 'bare-c'));
    expect(JSON.parse(listed())).toEqual([expect.objectContaining({ id: 'bare-c', status: 'stopped' })]);
    expect(sb.run(['delete', '--force', 'bare-c']).code).toBe(0);
    expect(listed()).toBe('null\n');
  });

  it('a hook that times out is killed with everything it started', () => {
    const marker = `tsrun-hook-child-${process.pid}`;
    const b = sb.bundle('hook-timeout', ['true'], (s) => {
      s.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `(exec -a ${marker} sleep 60) & sleep 60`], timeout: 1 }] };
    });
    const r = sb.run(['run', '-b', b, 'hook-timeout-c']);
    expect(r.stderr).toMatch(/prestart hook \/bin\/sh timed out after 1s/);
    spawnSync('sleep', ['0.2']);
    expect(spawnSync('pgrep', ['-f', marker]).status).toBe(1);
  });

  it('a damaged state.json, missing process.args, too deep nesting and a 2^64 rlimit each give one clear error', () => {
    mkdirSync(join(sb.root, 'damaged-c'), { recursive: true });
    writeFileSync(join(sb.root, 'damaged-c/state.json'), '{}');
    expect(sb.run(['state', 'damaged-c'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/state of container "damaged-c" is damaged .*tsrun delete --force damaged-c/) });
    expect(sb.run(['delete', '--force', 'damaged-c']).code).toBe(0);
    const config = (name: string, edit: (text: string) => string) => {
      const b = sb.bundle(name, ['true']);
      writeFileSync(join(b, 'config.json'), edit(readFileSync(join(b, 'config.json'), 'utf8')));
      return sb.run(['run', '-b', b, `${name}-c`]);
    };
    expect(config('noargs', (t) => JSON.stringify({ ...JSON.parse(t), process: { ...JSON.parse(t).process, args: undefined } }))).toMatchObject({ code: 1, stderr: expect.stringMatching(/config.json: process.args is required/) });
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    expect(config('deep', (t) => t.replace(/^\{/, `{"x-deep": ${deep},`))).toMatchObject({ code: 1, stderr: expect.stringMatching(/nested deeper than 64 levels/) });
    expect(config('rlimit64', (t) => t.replace(/"soft": 1024/, '"soft": 18446744073709551616'))).toMatchObject({ code: 1, stderr: expect.stringMatching(/process.rlimits\[0\].soft must be <= 18446744073709551615 \(got 18446744073709551616\)/) });
  });

  it('setup failures name their step and field: a memory limit too low, a refused uid map, a failing createContainer hook, a bad id', () => {
    expect(runSh('lowmem', 'true', (s) => { s.linux!.resources!.memory = { limit: 200000 }; })).toMatchObject({ code: 1, stderr: expect.stringMatching(/memory limit of 200000 bytes is too low.*\(linux.resources.memory.limit\)/) });
    expect(runSh('badmap', 'true', (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 1000 }, { containerID: 500, hostID: 300000, size: 1000 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.mounts = s.mounts!.filter((m) => m.type !== 'cgroup');
    })).toMatchObject({ code: 1, stderr: expect.stringMatching(/write the uid map of the user namespace \(linux.uidMappings\): invalid argument/) });
    expect(runSh('cchook', 'true', (s) => { s.hooks = { createContainer: [{ path: '/bin/false' }] }; })).toMatchObject({ code: 1, stderr: expect.stringMatching(/createContainer hook \/bin\/false exited with status 1 \(hooks.createContainer\[0\]\)/) });
    const b = sb.bundle('badid', ['true']);
    expect(sb.run(['run', '-b', b, 'a\nb'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^invalid container id "a\\nb"/) });
    expect(sb.run(['run', '-b', b, 'x'.repeat(1100)])).toMatchObject({ code: 1, stderr: expect.stringMatching(/1100 characters long/) });
    expect(listed()).toBe('null\n');
  });
});

describe.skipIf(skip)('socket activation', () => {
  it('LISTEN_FDS is passed on only when LISTEN_PID is tsrun\'s own pid (sd_listen_fds), as runc', () => {
    const b = sb.bundle('listen', ['sh', '-c', 'ls /proc/self/fd | sort -n | tr "\\n" " "; echo "LISTEN_FDS=$LISTEN_FDS"']);
    const run = (pid: string) => spawnSync('sh', ['-c', `exec 3</etc/hostname; LISTEN_FDS=1 LISTEN_PID=${pid} exec "${TSRUN}" --root "${sb.root}" run -b "${b}" listen-c`], { encoding: 'utf8' });
    expect(run('$$').stdout).toBe('0 1 2 3 4 LISTEN_FDS=1\n');
    expect(run('1').stdout).toBe('0 1 2 3 LISTEN_FDS=\n');
  });
});
