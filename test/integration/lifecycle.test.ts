// Real containers from a busybox rootfs: isolation, lifecycle, failures that leave nothing behind.
import { chmodSync, existsSync, readFileSync, readlinkSync, readdirSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRoot, skipReason, userNsUnavailable, which } from '../helpers/env.js';
import { Sandbox } from '../helpers/sandbox.js';

const skip = skipReason(!isRoot ? 'integration tests need root' : !which('busybox') ? 'busybox-static is not installed' : undefined);

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

/** tsrun-init processes of this test's sandbox (their fds name its files): a leak if any is left. */
function initProcesses(): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (!readlinkSync(`/proc/${p}/exe`).includes('tsrun-init')) continue;
      const mine = readdirSync(`/proc/${p}/fd`).some((fd) => { try { return readlinkSync(`/proc/${p}/fd/${fd}`).startsWith(sb.dir); } catch { return false; } });
      const cwd = (() => { try { return readlinkSync(`/proc/${p}/cwd`); } catch { return ''; } })();
      if (mine || cwd.startsWith(sb.dir)) out.push(Number(p));
    } catch {}
  }
  return out;
}

function expectNothingLeft(id: string): void {
  expect(existsSync(join(sb.root, id))).toBe(false);
  expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(sb.dir);
}

describe.skipIf(skip)('a container is isolated', () => {
  it('is pid 1, sees only its processes, its hostname, mounts, user, umask, env and cwd', () => {
    const b = sb.bundle('b', ['sh', '-c', 'echo pid=$$; echo procs=$(cd /proc && echo [0-9]*); echo host=$(hostname); id; umask; pwd; env | sort; cat /proc/self/mountinfo'], (s) => {
      s.hostname = 'iso-test';
      s.process!.user = { uid: 1000, gid: 1000, additionalGids: [5, 100], umask: 0o027 };
      s.process!.cwd = '/tmp';
      s.process!.env = ['PATH=/bin', 'FOO=bar baz'];
    });
    const r = sb.run(['run', '-b', b, 'iso']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^pid=1$/m);
    // Only the container's own processes, with small pids: its own pid namespace.
    const pids = /^procs=(.*)$/m.exec(out)![1].split(' ').map(Number);
    expect(pids).toContain(1);
    expect(Math.max(...pids)).toBeLessThan(10);
    expect(out).toMatch(/^host=iso-test$/m);
    expect(out).toMatch(/^uid=1000 gid=1000 groups=5\(tty\),100/m);
    expect(out).toMatch(/^0027$/m);
    expect(out).toMatch(/^\/tmp$/m);
    const env = out.split('\n').filter((l) => /^(PATH|FOO|HOME|PWD|SHLVL)=/.test(l));
    expect(env).toContain('FOO=bar baz');
    expect(env).toContain('PATH=/bin');
    expect(out).not.toMatch(/NODE_|TSRUN|npm_/);
    const mounts = out.split('\n').filter((l) => / - /.test(l)).map((l) => l.split(' ')[4]);
    expect(mounts).toEqual(expect.arrayContaining(['/', '/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys']));
    expect(mounts).not.toContain('/work');
  });

  it.skipIf(skipReason(userNsUnavailable()))('maps uid 0 to the configured host uid in a user namespace', () => {
    const b = sb.bundle('b', ['sh', '-c', 'cat /proc/self/uid_map; id -u; sleep 100'], (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.mounts = s.mounts!.filter((m) => m.type !== 'cgroup');
    });
    const r = sb.run(['create', '-b', b, '--pid-file', join(sb.dir, 'pid'), 'userns']);
    expect(r.stderr).toBe('');
    const pid = Number(readFileSync(join(sb.dir, 'pid'), 'utf8'));
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(status).toMatch(/^Uid:\s+100000\s+100000/m);
    expect(readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
    expect(sb.run(['delete', '--force', 'userns']).code).toBe(0);
  });
});

describe.skipIf(skip)('lifecycle', () => {
  it('create leaves the program unrun until start; state follows; delete removes every trace', () => {
    const b = sb.bundle('b', ['sh', '-c', 'echo ran > /tmp/marker']);
    const marker = join(b, 'rootfs/tmp/marker');
    expect(sb.run(['create', '-b', b, 'c1']).code).toBe(0);
    const st = JSON.parse(sb.run(['state', 'c1']).stdout);
    expect(st).toMatchObject({ id: 'c1', status: 'created', bundle: b, ociVersion: '1.3.0' });
    expect(st.pid).toBeGreaterThan(1);
    expect(existsSync(marker)).toBe(false);
    expect(sb.run(['start', 'c1']).code).toBe(0);
    for (let i = 0; i < 100 && JSON.parse(sb.run(['state', 'c1']).stdout).status !== 'stopped'; i++) spinWait(20);
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    expect(JSON.parse(sb.run(['state', 'c1']).stdout)).toMatchObject({ status: 'stopped', pid: 0 });
    expect(sb.run(['start', 'c1']).stderr).toMatch(/cannot start a container that has stopped/);
    expect(sb.run(['delete', 'c1']).code).toBe(0);
    expectNothingLeft('c1');
    expect(sb.run(['state', 'c1']).stderr).toMatch(/container "c1" does not exist/);
  });

  it('kill delivers the signal given, by name or number; delete refuses a running container', () => {
    const b = sb.bundle('b', ['sh', '-c', 'trap "echo got-usr1 > /tmp/sig; exit 3" USR1; echo ready > /tmp/ready; while true; do sleep 0.05; done']);
    expect(sb.run(['run', '-d', '-b', b, 'k1']).code).toBe(0);
    for (let i = 0; i < 100 && !existsSync(join(b, 'rootfs/tmp/ready')); i++) spinWait(20);
    expect(JSON.parse(sb.run(['state', 'k1']).stdout).status).toBe('running');
    const d = sb.run(['delete', 'k1']);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/cannot delete container k1 that is not stopped: running/);
    expect(sb.run(['kill', 'k1', 'USR1']).code).toBe(0);
    for (let i = 0; i < 100 && JSON.parse(sb.run(['state', 'k1']).stdout).status !== 'stopped'; i++) spinWait(20);
    expect(readFileSync(join(b, 'rootfs/tmp/sig'), 'utf8')).toBe('got-usr1\n');
    const k = sb.run(['kill', 'k1', '9']);
    expect(k.code).toBe(1);
    expect(k.stderr).toMatch(/container not running/);
    expect(sb.run(['delete', 'k1']).code).toBe(0);
  });

  it('run exits with the container\'s status and deletes it; --keep keeps it', () => {
    const b = sb.bundle('b', ['sh', '-c', 'exit 7']);
    expect(sb.run(['run', '-b', b, 'r1']).code).toBe(7);
    expect(existsSync(join(sb.root, 'r1'))).toBe(false);
    expect(sb.run(['run', '--keep', '-b', b, 'r2']).code).toBe(7);
    expect(JSON.parse(sb.run(['state', 'r2']).stdout).status).toBe('stopped');
  });

  it('run forwards signals to the container and exits 128+N when it is killed', async () => {
    const b = sb.bundle('b', ['sh', '-c', 'trap "exit 5" TERM; echo up > /tmp/up; while true; do sleep 0.05; done']);
    const up = join(b, 'rootfs/tmp/up');
    const p1 = sb.spawn(['run', '-b', b, 's1']);
    await until(() => existsSync(up));
    p1.kill('SIGTERM');
    expect(await exitOf(p1)).toBe(5);
    const b2 = sb.bundle('b2', ['sh', '-c', 'echo up > /tmp/up; while true; do sleep 0.05; done']);
    const p2 = sb.spawn(['run', '-b', b2, 's2']);
    await until(() => existsSync(join(b2, 'rootfs/tmp/up')));
    expect(sb.run(['kill', 's2', 'KILL']).code).toBe(0);
    expect(await exitOf(p2)).toBe(137);
    expect(existsSync(join(sb.root, 's2'))).toBe(false);
  });

  it('delete --force of an unknown container succeeds silently; plain delete says it does not exist', () => {
    const f = sb.run(['delete', '--force', 'ghost']);
    expect([f.code, f.stdout, f.stderr]).toEqual([0, '', '']);
    expect(sb.run(['delete', 'ghost']).stderr).toMatch(/container "ghost" does not exist/);
  });

  it('refuses a second container with the same id', () => {
    const b = sb.bundle('b', ['sleep', '100']);
    expect(sb.run(['create', '-b', b, 'dup']).code).toBe(0);
    const r = sb.run(['create', '-b', b, 'dup']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/container "dup" already exists/);
    expect(JSON.parse(sb.run(['state', 'dup']).stdout).status).toBe('created');
  });
});

describe.skipIf(skip)('failures name the step and field and leave nothing behind', () => {
  it('a failing mount', () => {
    const b = sb.bundle('b', ['true'], (s) => s.mounts!.push({ destination: '/bad', type: 'nosuchfs', source: 'x' }));
    const r = sb.run(['create', '-b', b, 'f1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^create f1: mount nosuchfs "x" on \/bad \(mounts\[7\]\): no such device/m);
    expectNothingLeft('f1');
    expect(initProcesses()).toEqual([]);
  });

  it('a missing binary, in $PATH or by path, in the words Docker and Podman map to 127', () => {
    const b = sb.bundle('b', ['nosuchcmd']);
    const r = sb.run(['create', '-b', b, 'f2']);
    expect(r.stderr).toMatch(/create f2: exec: "nosuchcmd": executable file not found in \$PATH \(process.args\[0\]\)/);
    const b2 = sb.bundle('b2', ['/nonexistent']);
    expect(sb.run(['create', '-b', b2, 'f3']).stderr).toMatch(/exec: "\/nonexistent": stat \/nonexistent.*: no such file or directory/);
    expectNothingLeft('f2');
    expectNothingLeft('f3');
  });

  it('a failing hook', () => {
    const b = sb.bundle('b', ['true'], (s) => (s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'echo hook-output; exit 4'] }] }));
    const r = sb.run(['create', '-b', b, 'f4']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/createRuntime hook \/bin\/sh exited with status 4, output: hook-output \(hooks.createRuntime\[0\]\)/);
    expectNothingLeft('f4');
    expect(initProcesses()).toEqual([]);
  });

  it('a bad config, before anything is made', () => {
    const b = sb.bundle('b', ['true'], (s) => (s.linux!.namespaces![0].type = 'pdi' as never));
    const r = sb.run(['create', '-b', b, 'f5']);
    expect(r.stderr).toMatch(/create f5: config.json: linux.namespaces\[0\].type must be one of/);
    expectNothingLeft('f5');
  });
});

describe.skipIf(skip)('the root filesystem is a jail', () => {
  it('a symlink in the rootfs pointing a mount destination at a host path does not mount outside', () => {
    const hostTarget = join(sb.dir, 'host-target');
    mkdirSync(hostTarget);
    const b = sb.bundle('b', ['sh', '-c', 'grep " /escape\\| '.concat(hostTarget, '" /proc/self/mountinfo; ls -a ', hostTarget, ' >/dev/null && echo inside-ok')], (s) => {
      s.mounts!.push({ destination: '/escape', type: 'tmpfs', source: 'tmpfs' });
    });
    symlinkSync(hostTarget, join(b, 'rootfs/escape'));
    const r = sb.run(['run', '-b', b, 'j1']);
    expect(r.code).toBe(0);
    // The mount landed on <rootfs><hostTarget> inside the container, never on the host directory.
    expect(r.stdout).toContain(` ${hostTarget} rw`);
    expect(existsSync(join(b, 'rootfs', hostTarget))).toBe(true);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(hostTarget);
  });

  it('the container gets only fds 0, 1, 2 (and preserved ones); the waiting init is a small sealed helper', () => {
    const b = sb.bundle('b', ['sleep', '100']);
    expect(sb.run(['create', '-b', b, '--pid-file', join(sb.dir, 'pid'), 'fd1']).code).toBe(0);
    const pid = Number(readFileSync(join(sb.dir, 'pid'), 'utf8'));
    const exe = readlinkSync(`/proc/${pid}/exe`);
    expect(exe).toMatch(/^\/memfd:tsrun-init/);
    expect(exe).not.toMatch(/node|bun/);
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    expect(rss).toBeLessThan(2048);
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Threads:\s+1$/m);
    // After start, the program itself (looked at from the host, no shell in the way) has 0, 1, 2 only.
    expect(sb.run(['start', 'fd1']).code).toBe(0);
    for (let i = 0; i < 100 && readlinkSync(`/proc/${pid}/exe`).includes('memfd'); i++) spinWait(10);
    expect(readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b)).toEqual([0, 1, 2]);
  });
});

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  for (const t0 = Date.now(); !cond(); ) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function exitOf(p: import('node:child_process').ChildProcess): Promise<number> {
  return new Promise((r) => p.on('exit', (code, sig) => r(code ?? 128 + (sig ? 1 : 0))));
}

function spinWait(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe.skipIf(skip)('create options', () => {
  it('writes the pid file atomically, decimal with no newline', () => {
    const b = sb.bundle('b', ['sleep', '100']);
    const pidFile = join(sb.dir, 'init.pid');
    expect(sb.run(['create', '-b', b, '--pid-file', pidFile, 'p1']).code).toBe(0);
    const text = readFileSync(pidFile, 'utf8');
    expect(text).toMatch(/^\d+$/);
    expect(Number(text)).toBe(JSON.parse(sb.run(['state', 'p1']).stdout).pid);
  });

  it('--no-pivot jails with MS_MOVE and chroot', () => {
    const b = sb.bundle('b', ['sh', '-c', 'ls / | tr "\\n" " "; grep " / " /proc/self/mountinfo | wc -l']);
    const r = sb.run(['run', '--no-pivot', '-b', b, 'np']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^bin dev etc proc root run sys tmp var /);
  });

  it('--preserve-fds passes extra fds through, numbered from 3', () => {
    const b = sb.bundle('b', ['sh', '-c', 'cat <&3; exec sleep 100']);
    writeFileSync(join(sb.dir, 'extra'), 'through-fd-3\n');
    const pidFile = join(sb.dir, 'pf.pid');
    const r = sb.run(['run', '-d', '--pid-file', pidFile, '--preserve-fds', '1', '-b', b, 'pf'], { fd3: join(sb.dir, 'extra') });
    expect(r.code, r.stderr).toBe(0);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // cat has run once its output is there (busybox is already the exe of the sh before it).
    for (let i = 0; i < 200 && readFileSync(join(sb.dir, 'out.0.stdout'), 'utf8') === ''; i++) spinWait(10);
    for (let i = 0; i < 200 && !readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep'); i++) spinWait(10);
    expect(readFileSync(join(sb.dir, 'out.0.stdout'), 'utf8')).toBe('through-fd-3\n');
    expect(readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b)).toEqual([0, 1, 2, 3]);
  });

  it('a time namespace applies timeOffsets', () => {
    const b = sb.bundle('b', ['sh', '-c', 'cat /proc/uptime'], (s) => {
      s.linux!.namespaces!.push({ type: 'time' });
      s.linux!.timeOffsets = { boottime: { secs: 864000 } };
    });
    const r = sb.run(['run', '-b', b, 'tn']);
    expect(r.code, r.stderr).toBe(0);
    const hostUptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    expect(Number(r.stdout.split(' ')[0]) - hostUptime).toBeGreaterThan(864000 - 60);
  });

  it('create --dry-run prints the plan and runs nothing', () => {
    const b = sb.bundle('b', ['true']);
    const r = sb.run(['create', '--dry-run', '-b', b, 'dr']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pivot_root into the root filesystem  \(root.path\)/);
    expect(r.stdout).toMatch(/exec argv=\["true"\]/);
    expect(existsSync(join(sb.root, 'dr'))).toBe(false);
  });
});

describe.skipIf(skip)('mount options reach the kernel', () => {
  it('bind ro, recursive rro/rnosuid via mount_setattr, tmpfs data, propagation', () => {
    const src = join(sb.dir, 'src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    const b = sb.bundle('b', ['sh', '-c', 'grep -E " /(ro|rro|t|pr) " /proc/self/mountinfo; touch /rro/x 2>&1; touch /ro/x 2>&1; true'], (s) => {
      s.mounts!.push({ destination: '/ro', type: 'bind', source: src, options: ['bind', 'ro', 'nosuid'] });
      s.mounts!.push({ destination: '/rro', type: 'bind', source: src, options: ['rbind', 'rro', 'rnosuid', 'rnoatime'] });
      s.mounts!.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['nodev', 'mode=700', 'size=2m'] });
      s.mounts!.push({ destination: '/pr', type: 'tmpfs', source: 'tmpfs', options: ['rshared'] });
    });
    const r = sb.run(['run', '-b', b, 'mo']);
    expect(r.code, r.stderr).toBe(0);
    const line = (dest: string) => r.stdout.split('\n').find((l) => l.split(' ')[4] === dest) ?? '';
    expect(line('/ro').split(' ')[5]).toMatch(/^ro,nosuid/);
    expect(line('/rro').split(' ')[5]).toMatch(/^ro,nosuid,.*noatime/);
    expect(line('/t')).toMatch(/ - tmpfs tmpfs rw,size=2048k,mode=700/);
    expect(line('/pr')).toMatch(/ shared:\d+ /);
    expect(r.stdout).toMatch(/touch: \/rro\/x: Read-only file system/);
    expect(r.stdout).toMatch(/touch: \/ro\/x: Read-only file system/);
  });

  it('tmpcopyup fills the tmpfs with what the directory held (Podman --read-only)', () => {
    const b = sb.bundle('b', ['sh', '-c', 'grep " /etc " /proc/self/mountinfo | cut -d" " -f9; cat /etc/passwd | head -1; ls -l /etc/link; stat -c "%a %u" /etc/sub/f; echo new > /etc/x && echo writable'], (s) => {
      s.root.readonly = true;
      s.mounts!.push({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'nosuid'] });
    });
    mkdirSync(join(b, 'rootfs/etc/sub'));
    writeFileSync(join(b, 'rootfs/etc/sub/f'), 'x');
    chmodSync(join(b, 'rootfs/etc/sub/f'), 0o640);
    symlinkSync('passwd', join(b, 'rootfs/etc/link'));
    const r = sb.run(['run', '-b', b, 'cu']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^tmpfs\nroot:x:0:0/);
    expect(r.stdout).toMatch(/\/etc\/link -> passwd/);
    expect(r.stdout).toMatch(/^640 0$/m);
    expect(r.stdout).toMatch(/^writable$/m);
    expect(existsSync(join(b, 'rootfs/etc/x'))).toBe(false);
  });

  it('an option used where it does not apply is an error naming the field, not silently dropped', () => {
    const b = sb.bundle('b', ['true'], (s) => s.mounts!.push({ destination: '/x', type: 'bind', source: '/tmp', options: ['rbind', 'tmpcopyup'] }));
    expect(sb.run(['create', '-b', b, 'mu']).stderr).toMatch(/tmpcopyup is only for tmpfs mounts \(mounts\[7\].options\)/);
  });
});

describe.skipIf(skip)('namespaces by path, devices, domainname, keyring', () => {
  it('joins another container\'s namespaces by path', () => {
    const a = sb.bundle('a', ['sleep', '100'], (s) => (s.hostname = 'host-a'));
    expect(sb.run(['create', '-b', a, '--pid-file', join(sb.dir, 'a.pid'), 'nsa']).code).toBe(0);
    const pid = Number(readFileSync(join(sb.dir, 'a.pid'), 'utf8'));
    const b = sb.bundle('b', ['sh', '-c', 'hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/uts'], (s) => {
      delete s.hostname;
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' || n.type === 'uts' ? { type: n.type, path: `/proc/${pid}/ns/${n.type === 'network' ? 'net' : 'uts'}` } : n));
    });
    const r = sb.run(['run', '-b', b, 'nsb']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['host-a', readlinkSync(`/proc/${pid}/ns/net`), readlinkSync(`/proc/${pid}/ns/uts`), '']);
  });

  it('creates linux.devices with their mode and owner, and sets the domainname', () => {
    const b = sb.bundle('b', ['sh', '-c', 'ls -ln /dev/fuse0 /dev/blk0; cat /proc/sys/kernel/domainname'], (s) => {
      s.linux!.devices = [
        { path: '/dev/fuse0', type: 'c', major: 10, minor: 229, fileMode: 0o640, uid: 5, gid: 6 },
        { path: '/dev/blk0', type: 'b', major: 7, minor: 0, fileMode: 0o600 },
      ];
      s.domainname = 'example.org';
    });
    const r = sb.run(['run', '-b', b, 'dv']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^crw-r-----\s+1 5\s+6\s+10,\s+229 .*\/dev\/fuse0$/m);
    expect(r.stdout).toMatch(/^brw-------\s+1 0\s+0\s+7,\s+0 .*\/dev\/blk0$/m);
    expect(r.stdout).toMatch(/^example.org$/m);
  });

  it('gives the container its own session keyring unless --no-new-keyring', () => {
    // Each run looks for a keyring named after its own id: a released keyring of an earlier run can
    // still be listed in /proc/keys until the kernel's key GC has run.
    const counting = (id: string) => sb.bundle(`b-${id}`, ['sh', '-c', `grep -c " _ses.${id}:" /proc/keys || true`], (s) => {
      s.linux!.maskedPaths = s.linux!.maskedPaths!.filter((p) => p !== '/proc/keys');
    });
    expect(sb.run(['run', '-b', counting('kr1'), 'kr1']).stdout.trim()).toBe('1');
    expect(sb.run(['run', '--no-new-keyring', '-b', counting('kr2'), 'kr2']).stdout.trim()).toBe('0');
  });
});
