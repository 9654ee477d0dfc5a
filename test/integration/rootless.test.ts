// tsrun run by an unprivileged user (a user the test makes, with its own /etc/subuid range):
// runc's rootless rules, the lifecycle, exec, kill, pause (in a cgroup delegated to the user, and the
// error without one), a terminal, the failure messages, and that nothing reaches further than the
// user can without tsrun.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/config/gen/config.js';
import { cgroupMounts } from '../../src/cgroups/detect.js';
import { skipReason, which } from '../helpers/env.js';
import { DelegatedCgroup, TestUser, testUserName, testUserUnavailable, type UserRun } from '../helpers/test-user.js';

const skip = skipReason(testUserUnavailable() ?? (!which('busybox') ? 'busybox-static is not installed' : undefined));

let u: TestUser;
const started: ChildProcess[] = [];

beforeAll(() => {
  if (!skip) u = new TestUser(testUserName('tsrl'));
});

afterAll(() => {
  if (!u) return;
  try {
    for (const id of tsrun(['list', '-q']).stdout.split('\n').filter(Boolean)) tsrun(['delete', '--force', id]);
  } finally {
    for (const p of started) try { p.kill('SIGKILL'); } catch {}
    u.remove();
  }
});

function tsrun(args: string[], opts: Parameters<TestUser['run']>[1] = {}): UserRun {
  return u.run([u.tsrun, ...args], opts);
}

const ok = (r: UserRun, what: string): UserRun => {
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
};

/** A bundle made by the user itself (`tsrun spec --rootless --busybox`), its config then edited. */
function bundle(name: string, edit?: (s: Spec) => void, rootless = true): string {
  const dir = join(u.home, name);
  ok(u.run(['mkdir', '-p', dir]), 'mkdir');
  ok(tsrun(['spec', ...(rootless ? ['--rootless'] : []), '--busybox', '--bundle', dir]), 'spec');
  if (edit) {
    const path = join(dir, 'config.json');
    const spec = JSON.parse(readFileSync(path, 'utf8')) as Spec;
    edit(spec);
    writeFileSync(path, JSON.stringify(spec, null, 2)); // the file stays the user's
  }
  return dir;
}

const args = (a: string[]) => (s: Spec) => { s.process!.args = a; };
/** Whether pid runs (a zombie waiting for its reaper does not). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
const runtimeEntries = () => readdirSync(u.runtimeDir).filter((e) => e !== 'tsrun-cache').sort();
const stateOf = (id: string) => JSON.parse(ok(tsrun(['state', id]), `state ${id}`).stdout) as { status: string; pid: number };

async function waitStatus(id: string, status: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (stateOf(id).status === status) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${id} did not become ${status}`);
}

describe.skipIf(skip)('tsrun as an unprivileged user', () => {
  it('spec --rootless && run: uid 0 inside, the host files the user owns are root\'s inside; delete leaves nothing under $XDG_RUNTIME_DIR', () => {
    const before = runtimeEntries();
    const b = bundle('accept');
    const r = ok(tsrun(['run', 'rl-accept'], { cwd: b }), 'run');
    expect(r.stdout).toMatch(/^user:\s+uid=0\(root\) gid=0\(root\)/m);
    expect(r.stdout).toMatch(/^my pid:\s+1$/m);
    // The state went to $XDG_RUNTIME_DIR/tsrun (runc's rule), and run's delete left it empty.
    expect(existsSync(join(u.runtimeDir, 'tsrun'))).toBe(true);
    expect(readdirSync(join(u.runtimeDir, 'tsrun'))).toEqual([]);
    expect(runtimeEntries()).toEqual([...new Set([...before, 'tsrun'])].sort());
    // As runc: 0700 with the sticky bit.
    expect(statSync(join(u.runtimeDir, 'tsrun')).mode & 0o7777).toBe(0o1700);
  });

  it('a file the container makes is the user\'s on the host; a host file of the user\'s is root\'s inside', () => {
    const b = bundle('files', (s) => {
      s.root.readonly = false;
      s.process!.args = ['sh', '-c', 'echo made > /made-inside; ls -ln /bin/busybox'];
    });
    const r = ok(tsrun(['run', '-b', b, 'rl-files']), 'run');
    expect(r.stdout).toMatch(/^\S+\s+\d+\s+0\s+0\s/m);
    const st = statSync(join(b, 'rootfs/made-inside'));
    expect([st.uid, st.gid]).toEqual([u.uid, u.gid]);
    expect(statSync(join(b, 'rootfs/bin/busybox')).uid).toBe(u.uid);
  });

  it('create, state, start, exec, kill, delete', async () => {
    const b = bundle('life', args(['sh', '-c', 'trap "exit 3" TERM; while :; do sleep 0.1; done']));
    ok(tsrun(['create', '-b', b, 'rl-life']), 'create');
    const st = stateOf('rl-life');
    expect(st.status).toBe('created');
    // The init runs as the user on the host: its uid 0 is the user's uid.
    expect(readFileSync(`/proc/${st.pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${u.uid}\\s`, 'm'));
    expect(readFileSync(`/proc/${st.pid}/uid_map`, 'utf8').trim().split(/\s+/)).toEqual(['0', String(u.uid), '1']);
    ok(tsrun(['start', 'rl-life']), 'start');
    expect(stateOf('rl-life').status).toBe('running');
    const e = ok(tsrun(['exec', 'rl-life', 'sh', '-c', 'id -u; cat /proc/1/cmdline | tr "\\0" " "; echo; echo exec-ok']), 'exec');
    expect(e.stdout).toMatch(/^0\n.*sh -c trap.*\nexec-ok\n$/s);
    expect(tsrun(['exec', 'rl-life', 'sh', '-c', 'exit 5']).code).toBe(5);
    expect(tsrun(['list', '-q']).stdout.split('\n')).toContain('rl-life');
    ok(tsrun(['kill', 'rl-life', 'TERM']), 'kill');
    await waitStatus('rl-life', 'stopped');
    ok(tsrun(['delete', 'rl-life']), 'delete');
    expect(tsrun(['state', 'rl-life']).stderr).toMatch(/does not exist/);
    expect(readdirSync(join(u.runtimeDir, 'tsrun'))).toEqual([]);
  });

  it('kill --all and delete --force of a running container', async () => {
    const b = bundle('killall', args(['sh', '-c', 'sleep 1000 & sleep 1000']));
    ok(tsrun(['run', '-d', '-b', b, 'rl-killall']), 'run -d');
    ok(tsrun(['kill', '--all', 'rl-killall', 'KILL']), 'kill --all');
    await waitStatus('rl-killall', 'stopped');
    ok(tsrun(['delete', 'rl-killall']), 'delete');
    const b2 = bundle('force', args(['sleep', '1000']));
    ok(tsrun(['run', '-d', '-b', b2, 'rl-force']), 'run -d');
    const pid = stateOf('rl-force').pid;
    ok(tsrun(['delete', '--force', 'rl-force']), 'delete --force');
    expect(alive(pid)).toBe(false);
    expect(readdirSync(join(u.runtimeDir, 'tsrun'))).toEqual([]);
  });

  it('a terminal: run in the foreground proxies it, exec -t gets one too', () => {
    const b = bundle('tty', (s) => {
      s.process!.terminal = true;
      s.process!.args = ['sh', '-c', '[ -t 0 ] && echo is-a-tty; tty'];
    });
    const r = ok(u.run(['script', '-q', '-e', '-c', `${u.tsrun} run -b ${b} rl-tty`, '/dev/null'], { cwd: b }), 'run in a pty');
    expect(r.stdout).toMatch(/is-a-tty\r?\n\/dev\/pts\/0/);
    const b2 = bundle('tty-exec', args(['sleep', '1000']));
    ok(tsrun(['run', '-d', '-b', b2, 'rl-ttyexec']), 'run -d');
    const e = ok(u.run(['script', '-q', '-e', '-c', `${u.tsrun} exec -t rl-ttyexec sh -c '[ -t 1 ] && echo exec-tty'`, '/dev/null']), 'exec -t');
    expect(e.stdout).toMatch(/exec-tty/);
    ok(tsrun(['delete', '--force', 'rl-ttyexec']), 'delete');
  });

  it('a bind remount keeps the flags the kernel locks in a user namespace; clearing one on purpose is refused', () => {
    const src = join(u.home, 'locked-src');
    ok(u.run(['mkdir', src]), 'mkdir');
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'nosuid,nodev,noexec,mode=755', 'tmpfs', src], { encoding: 'utf8' });
    if (m.status !== 0) throw new Error(`mount tmpfs: ${m.stderr}`);
    try {
      writeFileSync(join(src, 'f'), 'locked-ok\n');
      const b = bundle('locked', (s) => {
        s.mounts!.push({ destination: '/tmp', type: 'bind', source: src, options: ['rbind', 'ro'] });
        s.process!.args = ['sh', '-c', 'cat /tmp/f; grep " /tmp " /proc/self/mounts'];
      });
      const r = ok(tsrun(['run', '-b', b, 'rl-locked']), 'run');
      expect(r.stdout).toMatch(/^locked-ok\ntmpfs \/tmp tmpfs ro,nosuid,nodev,noexec,/);
      const b2 = bundle('locked-suid', (s) => {
        s.mounts!.push({ destination: '/tmp', type: 'bind', source: src, options: ['rbind', 'ro', 'suid'] });
        s.process!.args = ['true'];
      });
      expect(tsrun(['run', '-b', b2, 'rl-locked2']).stderr).toMatch(/remount \/tmp .*\(mounts\[7\]\.options\): operation not permitted; cannot clear locked flags/);
    } finally {
      spawnSync('umount', [src]);
    }
  });

  it('more ids than its own: newuidmap/newgidmap map the user\'s /etc/subuid range', () => {
    const subids = (s: Spec) => {
      s.root.readonly = false;
      s.linux!.uidMappings = [{ containerID: 0, hostID: u.uid, size: 1 }, { containerID: 1, hostID: u.subid, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: u.gid, size: 1 }, { containerID: 1, hostID: u.subid, size: 65536 }];
    };
    const b = bundle('subids', (s) => {
      subids(s);
      s.process!.args = ['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map'];
    });
    const r = ok(tsrun(['run', '-b', b, 'rl-subids']), 'run');
    const rows = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
    expect(rows).toEqual([[0, u.uid, 1], [1, u.subid, 65536], [0, u.gid, 1], [1, u.subid, 65536]]);
    // A process user inside that range runs as its host id, and what it makes is that id's.
    const b2 = bundle('subids-user', (s) => {
      subids(s);
      s.process!.user = { uid: 1000, gid: 1000, additionalGids: [5] };
      s.process!.args = ['sh', '-c', 'touch /tmp/by-1000; exec sleep 1000'];
    });
    ok(tsrun(['run', '-d', '-b', b2, 'rl-subuser']), 'run -d');
    const status = readFileSync(`/proc/${stateOf('rl-subuser').pid}/status`, 'utf8');
    expect(status).toMatch(new RegExp(`^Uid:\\s+${u.subid + 999}\\s`, 'm'));
    expect(status).toMatch(new RegExp(`^Gid:\\s+${u.subid + 999}\\s`, 'm'));
    const st = statSync(join(b2, 'rootfs/tmp/by-1000'));
    expect([st.uid, st.gid]).toEqual([u.subid + 999, u.subid + 999]);
    ok(tsrun(['delete', '--force', 'rl-subuser']), 'delete');
  });
});

describe.skipIf(skip)('tsrun as root of a user namespace someone else made (Podman\'s case)', () => {
  it('is told apart from real root: state under $XDG_RUNTIME_DIR, devices bound, no cgroups it may not write', () => {
    // A config as Podman sends it: no user namespace of its own (tsrun runs in Podman's).
    const b = bundle('in-userns', (s) => {
      s.process!.args = ['sh', '-c', 'id -u; cat /proc/self/uid_map; ls -ln /dev/null; echo ok > /dev/null && echo null-works'];
      // (gid 5 is not mapped in a namespace that maps only the user.)
      for (const m of s.mounts!) m.options = m.options?.filter((o) => o !== 'gid=5');
      s.linux!.resources = undefined;
    }, false);
    const inNs = (argv: string[]) => u.run(['unshare', '--user', '--map-root-user', '--', ...argv]);
    const r = ok(inNs([u.tsrun, 'run', '-b', b, 'rl-inns']), 'run in a user namespace');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('0');
    expect(lines[1].trim().split(/\s+/)).toEqual(['0', String(u.uid), '1']);
    // The host's /dev/null bound (no mknod in a user namespace): its owner is unmapped there.
    expect(lines[2]).toMatch(/^c\S+\s+\d+\s+65534\s+65534\s+1,\s+3\s.*\/dev\/null$/);
    expect(lines[3]).toBe('null-works');
    expect(readdirSync(join(u.runtimeDir, 'tsrun'))).toEqual([]);
    // $USER=root there means real root's habits: /run/tsrun, as runc.
    const root = inNs(['env', 'USER=root', u.tsrun, 'list']);
    expect(root.code).toBe(1);
    expect(root.stderr).toMatch(/\/run\/tsrun/);
  });
});

describe.skipIf(skip)('cgroups of an unprivileged user', () => {
  it('without a cgroup it may write: runs without one; pause says so; a limit is refused, naming it', () => {
    const b = bundle('nocg', args(['sleep', '1000']));
    ok(tsrun(['run', '-d', '-b', b, 'rl-nocg']), 'run -d');
    const p = tsrun(['pause', 'rl-nocg']);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/pause rl-nocg: cannot toggle freezer: cgroups not configured for container/);
    expect(stateOf('rl-nocg').status).toBe('running');
    // Without a cgroup, ps lists the processes of its pid namespace.
    expect(JSON.parse(ok(tsrun(['ps', '--format', 'json', 'rl-nocg']), 'ps').stdout)).toEqual([stateOf('rl-nocg').pid]);
    expect(tsrun(['update', '--memory', '67108864', 'rl-nocg']).stderr).toMatch(/update rl-nocg: cannot set memory limit: container could not join or create cgroup/);
    ok(tsrun(['delete', '--force', 'rl-nocg']), 'delete');
    const b2 = bundle('limit', (s) => {
      s.process!.args = ['true'];
      s.linux!.resources = { memory: { limit: 64 << 20 } };
    });
    const r = tsrun(['run', '-b', b2, 'rl-limit']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/run rl-limit: cannot set memory limit: container could not join or create cgroup \(linux\.resources\.memory(\.limit)?\): .*; tsrun runs rootless/);
    expect(readdirSync(join(u.runtimeDir, 'tsrun'))).toEqual([]);
    // A cgroupsPath the user may not write is an error (runc: only an unset one is skipped).
    const b3 = bundle('notmine', (s) => {
      s.process!.args = ['true'];
      s.linux!.cgroupsPath = `/tsrun-rl-not-delegated-${process.pid}/c`;
    });
    const r3 = tsrun(['run', '-b', b3, 'rl-notmine']);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(/create cgroup .*tsrun-rl-not-delegated.*: permission denied/);
  });

  it('in a cgroup delegated to the user: limits, pause and resume, and delete removes it', async () => {
    const mounts = cgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
    const deleg = new DelegatedCgroup(`tsrun-rl-${process.pid}`, u, mounts);
    try {
      const b = bundle('deleg', (s) => {
        s.process!.args = ['sleep', '1000'];
        s.linux!.cgroupsPath = `/${deleg.name}/rl-deleg`;
        s.linux!.resources = { memory: { limit: 64 << 20 }, pids: { limit: 64 } };
      });
      // (On cgroup v2 a process may only move between cgroups below one its user owns.)
      ok(tsrun(['run', '-d', '-b', b, 'rl-deleg'], { cgroup2: deleg.leaf2 }), 'run -d');
      const v1 = mounts.some((m) => m.fstype === 'cgroup');
      const mem = mounts.find((m) => (v1 ? m.fstype === 'cgroup' && /(^|,)memory(,|$)/.test(m.superOpts) : m.fstype === 'cgroup2'))!.mountPoint;
      const leaf = join(mem, deleg.name, 'rl-deleg');
      expect(readFileSync(join(leaf, v1 ? 'memory.limit_in_bytes' : 'memory.max'), 'utf8').trim()).toBe(String(64 << 20));
      const pid = stateOf('rl-deleg').pid;
      expect(readFileSync(join(leaf, 'cgroup.procs'), 'utf8')).toContain(String(pid));
      ok(tsrun(['pause', 'rl-deleg']), 'pause');
      expect(stateOf('rl-deleg').status).toBe('paused');
      expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^State:\s+[DS]/m);
      ok(tsrun(['resume', 'rl-deleg']), 'resume');
      expect(stateOf('rl-deleg').status).toBe('running');
      const psj = JSON.parse(ok(tsrun(['ps', '--format', 'json', 'rl-deleg']), 'ps').stdout) as number[];
      expect(psj).toContain(pid);
      // exec from outside the delegated cgroup v2 tree: joining that is skipped (runc), the rest is not.
      const ex = ok(tsrun(['exec', 'rl-deleg', 'cat', '/proc/self/cgroup']), 'exec');
      if (v1) expect(ex.stdout).toMatch(new RegExp(`:memory:/${deleg.name}/rl-deleg$`, 'm'));
      // A create there from outside it is refused: with a cgroupsPath every cgroup error counts.
      if (deleg.leaf2) {
        const b2 = bundle('deleg-outside', (s) => { s.process!.args = ['true']; s.linux!.cgroupsPath = `/${deleg.name}/rl-outside`; });
        const r2 = tsrun(['run', '-b', b2, 'rl-outside']);
        expect(r2.code).toBe(1);
        expect(r2.stderr).toMatch(/run rl-outside: move tsrun-init into the cgroup .*rl-outside \(linux\.cgroupsPath\): permission denied; a user may move a process only between cgroups below one it may write/);
        expect(readdirSync(join(u.runtimeDir, 'tsrun'))).toEqual(['rl-deleg']);
        expect(existsSync(join(mem, deleg.name, 'rl-outside'))).toBe(false);
      }
      ok(tsrun(['delete', '--force', 'rl-deleg']), 'delete');
      expect(existsSync(leaf)).toBe(false);
    } finally {
      tsrun(['delete', '--force', 'rl-deleg']);
      deleg.remove();
    }
  });
});

describe.skipIf(skip)('failure messages of an unprivileged user', () => {
  it('no $XDG_RUNTIME_DIR: runc\'s /run default, and what to do', () => {
    const r = tsrun(['list'], { env: { XDG_RUNTIME_DIR: undefined } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\/run\/tsrun.*permission denied.*set XDG_RUNTIME_DIR/i);
  });

  it('an $XDG_RUNTIME_DIR it cannot write', () => {
    const r = tsrun(['list'], { env: { XDG_RUNTIME_DIR: '/' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the path in \$XDG_RUNTIME_DIR must be writable by the user: permission denied: \/tsrun/);
  });

  it('runc\'s config checks: a user namespace, its mappings, uid=/gid= options that map', () => {
    const noUserns = bundle('no-userns', (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'user');
      delete s.linux!.uidMappings;
      delete s.linux!.gidMappings;
    });
    expect(tsrun(['run', '-b', noUserns, 'rl-nouserns']).stderr).toMatch(/rootless container requires user namespaces \(linux\.namespaces\)/);
    const gidOpt = bundle('gid-opt', (s) => { s.mounts!.find((m) => m.destination === '/dev/pts')!.options!.push('gid=5'); });
    expect(tsrun(['run', '-b', gidOpt, 'rl-gidopt']).stderr).toMatch(/cannot specify gid=5 mount option for rootless container \(mounts\[2\]\.options\)/);
  });

  it('ids beyond its /etc/subuid range: newuidmap\'s refusal, named', () => {
    const b = bundle('bad-map', (s) => {
      s.process!.args = ['true'];
      s.linux!.uidMappings = [{ containerID: 0, hostID: u.uid, size: 1 }, { containerID: 1, hostID: 5_000_000, size: 1000 }];
    });
    const r = tsrun(['run', '-b', b, 'rl-badmap']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed to use newuid map on \d+ \(linux\.uidMappings\).*newuidmap: .*; the ranges must be/);
    expect(readdirSync(join(u.runtimeDir, 'tsrun'))).toEqual([]);
  });

  it('an rlimit above its hard limit, and no sysctl it may not write', () => {
    const b = bundle('rlimit', (s) => {
      s.process!.args = ['true'];
      s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1 << 30 }];
    });
    expect(tsrun(['run', '-b', b, 'rl-rlimit']).stderr).toMatch(/set RLIMIT_NOFILE to 1024\/1073741824 \(process\.rlimits\[0\]\): operation not permitted/);
    // The kernel decides which sysctls a user namespace's root may set: those of the container's own
    // ipc and network namespaces, not the host's (net.core.rmem_max belongs to the initial namespace).
    const b2 = bundle('sysctl', (s) => {
      s.process!.args = ['cat', '/proc/sys/kernel/msgmax'];
      s.linux!.namespaces!.push({ type: 'network' });
      s.linux!.sysctl = { 'kernel.msgmax': '4096', 'net.ipv4.ip_forward': '1' };
    });
    expect(ok(tsrun(['run', '-b', b2, 'rl-sysctl']), 'run').stdout).toBe('4096\n');
    const b3 = bundle('sysctl-host', (s) => {
      s.process!.args = ['true'];
      s.linux!.namespaces!.push({ type: 'network' });
      s.linux!.sysctl = { 'net.core.rmem_max': '4096' };
    });
    expect(tsrun(['run', '-b', b3, 'rl-sysctl2']).stderr).toMatch(/set sysctl net\.core\.rmem_max=4096 \(linux\.sysctl\["net\.core\.rmem_max"\]\): permission denied/);
  });
});

describe.skipIf(skip)('nothing reaches further than the user can', () => {
  it('host files the user cannot write stay unwritable, bound read-write or not, mapped ids or not', () => {
    for (const [name, maps] of [['own', false], ['subids', true]] as const) {
      const b = bundle(`host-files-${name}`, (s) => {
        s.mounts!.push({ destination: '/hostetc', type: 'bind', source: '/etc', options: ['rbind', 'rw'] });
        if (maps) {
          s.linux!.uidMappings = [{ containerID: 0, hostID: u.uid, size: 1 }, { containerID: 1, hostID: u.subid, size: 65536 }];
          s.linux!.gidMappings = [{ containerID: 0, hostID: u.gid, size: 1 }, { containerID: 1, hostID: u.subid, size: 65536 }];
        }
        s.process!.args = ['sh', '-c', 'touch /hostetc/tsrun-rl-probe && echo wrote-etc; echo x >> /hostetc/hostname && echo appended; cat /hostetc/shadow && echo read-shadow; mknod /tmp/sda b 8 0 && echo mknod; ls -ln /hostetc/hostname; exit 0'];
        s.root.readonly = false;
      });
      const r = ok(tsrun(['run', '-b', b, `rl-files-${name}`]), 'run');
      expect(r.stdout).not.toMatch(/wrote-etc|appended|read-shadow|mknod/);
      expect(r.stderr).toMatch(/Permission denied|Operation not permitted/);
      // Root's files are nobody's inside (unmapped): the container's root is not the host's.
      expect(r.stdout).toMatch(/^\S+\s+\d+\s+65534\s+65534\s.*\/hostetc\/hostname$/m);
      expect(existsSync('/etc/tsrun-rl-probe')).toBe(false);
    }
  });

  it('joining a namespace the user does not own is refused, naming the field', () => {
    const holder = spawn('unshare', ['--net', '--uts', 'sleep', '1000'], { stdio: 'ignore' });
    started.push(holder);
    const userHolder = spawn('unshare', ['--user', 'sleep', '1000'], { stdio: 'ignore' });
    started.push(userHolder);
    const waitNs = (pid: number, ns: string) => {
      const self = statSync(`/proc/self/ns/${ns}`).ino;
      for (let i = 0; i < 100; i++) {
        try { if (statSync(`/proc/${pid}/ns/${ns}`).ino !== self) return; } catch {}
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
      throw new Error(`pid ${pid} never got its own ${ns} namespace`);
    };
    waitNs(holder.pid!, 'net');
    waitNs(userHolder.pid!, 'user');
    const cases: [string, (s: Spec) => void][] = [
      ['network', (s) => s.linux!.namespaces!.push({ type: 'network', path: `/proc/${holder.pid}/ns/net` })],
      ['uts', (s) => { s.linux!.namespaces!.find((n) => n.type === 'uts')!.path = `/proc/${holder.pid}/ns/uts`; delete s.hostname; }],
      ['user', (s) => {
        s.linux!.namespaces!.find((n) => n.type === 'user')!.path = `/proc/${userHolder.pid}/ns/user`;
        delete s.linux!.uidMappings;
        delete s.linux!.gidMappings;
      }],
    ];
    for (const [type, edit] of cases) {
      const b = bundle(`join-${type}`, (s) => { s.process!.args = ['true']; edit(s); });
      const r = tsrun(['run', '-b', b, `rl-join-${type}`]);
      expect(r.code, `${type}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`join the ${type} namespace /proc/\\d+/ns/\\w+ \\(linux\\.namespaces\\[\\d\\]\\.path\\): (operation not permitted|permission denied)`));
    }
    expect(readdirSync(join(u.runtimeDir, 'tsrun'))).toEqual([]);
  });
});
