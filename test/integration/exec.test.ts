// exec: a new process joins every namespace of the container's init, with its own settings.
import { closeSync, existsSync, readFileSync, readlinkSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRoot, skipReason, userNsUnavailable, which } from '../helpers/env.js';
import { Sandbox } from '../helpers/sandbox.js';
import { sys } from '../../src/sys/index.js';

const skip = skipReason(!isRoot ? 'integration tests need root' : !which('busybox') ? 'busybox-static is not installed' : undefined);

const noUserNs = !skip && userNsUnavailable();
if (noUserNs) console.log(`exec: the user namespace part is skipped: ${noUserNs}`);

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

function started(edit?: Parameters<Sandbox['bundle']>[2], args = ['sleep', '1000']): { id: string; pid: number; bundle: string } {
  const bundle = sb.bundle('b', args, edit);
  const pidFile = join(sb.dir, 'init.pid');
  const r = sb.run(['run', '-d', '-b', bundle, '--pid-file', pidFile, 'e1']);
  expect(r.code, r.stderr).toBe(0);
  return { id: 'e1', pid: Number(readFileSync(pidFile, 'utf8')), bundle };
}

describe.skipIf(skip)('exec', () => {
  it('sees the init\'s hostname, pid namespace, mounts, user namespace and cgroup namespace', () => {
    const { pid } = started((s) => {
      s.hostname = 'exec-host';
      // Without user namespaces here (the v2 guest's chroot), the other namespaces are still checked.
      if (!noUserNs) {
        s.linux!.namespaces!.push({ type: 'user' });
        s.linux!.uidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
        s.linux!.gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
      }
      s.mounts = s.mounts!.filter((m) => m.type !== 'cgroup');
    });
    const r = sb.run(['exec', 'e1', 'sh', '-c', 'echo pid=$$; hostname; for n in pid mnt user uts ipc net cgroup; do readlink /proc/self/ns/$n; done; ps -o pid,args']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(Number(lines[0].slice(4))).toBeLessThan(10);
    expect(lines[1]).toBe('exec-host');
    expect(lines.slice(2, 9)).toEqual(['pid', 'mnt', 'user', 'uts', 'ipc', 'net', 'cgroup'].map((n) => readlinkSync(`/proc/${pid}/ns/${n}`)));
    expect(r.stdout).toMatch(/^\s+1 sleep 1000$/m);
    // and the init's cgroup, in every hierarchy (seen from the host)
    const d = join(sb.dir, 'x.pid');
    expect(sb.run(['exec', '-d', '--pid-file', d, 'e1', 'sleep', '30']).code).toBe(0);
    expect(readFileSync(`/proc/${readFileSync(d, 'utf8')}/cgroup`, 'utf8')).toBe(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
  });

  it('exits with the process\'s status; -d --pid-file writes the real host pid; a missing command says so', () => {
    started();
    expect(sb.run(['exec', 'e1', 'sh', '-c', 'exit 42']).code).toBe(42);
    const pidFile = join(sb.dir, 'exec.pid');
    expect(sb.run(['exec', '-d', '--pid-file', pidFile, 'e1', 'sleep', '30']).code).toBe(0);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toBe('sleep\x0030\x00');
    const m = sb.run(['exec', 'e1', 'nosuch']);
    expect(m.code).toBe(255); // runc exits 255 when exec itself fails
    expect(m.stderr).toMatch(/exec e1: exec: "nosuch": executable file not found in \$PATH/);
  });

  it('applies --user, --env, --cwd, and a --process file with a reduced capability set, exactly', () => {
    started();
    const r = sb.run(['exec', '--user', '1000:1000', '--additional-gids', '5', '-e', 'X=1', '--cwd', '/tmp', 'e1', 'sh', '-c', 'id; echo $X; pwd']);
    expect(r.stdout).toBe('uid=1000 gid=1000 groups=5(tty)\n1\n/tmp\n');
    const file = join(sb.dir, 'process.json');
    writeFileSync(file, JSON.stringify({
      // A non-root user: for uid 0 the kernel recomputes the permitted set from the bounding set at execve.
      args: ['sh', '-c', 'grep -E "^Cap(Eff|Prm|Bnd|Amb)" /proc/self/status'], cwd: '/', user: { uid: 1000, gid: 1000 }, env: ['PATH=/bin'],
      capabilities: { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] },
    }));
    const p = sb.run(['exec', '--process', file, 'e1']);
    expect(p.stderr).toBe('');
    expect(p.stdout).toBe('CapPrm:\t0000000000000020\nCapEff:\t0000000000000020\nCapBnd:\t0000000000000021\nCapAmb:\t0000000000000020\n');
  });

  it('is confined by the container\'s seccomp filter', () => {
    started((s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
    const r = sb.run(['exec', 'e1', 'sh', '-c', 'mkdir /tmp/x 2>&1; grep "^Seccomp:" /proc/self/status']);
    expect(r.stdout).toMatch(/Operation not permitted/);
    expect(r.stdout).toMatch(/Seccomp:\s+2/);
  });

  it('-t with a console socket gets a working pty', () => {
    started();
    const sock = join(sb.dir, 'c.sock');
    const listen = sys().listenUnix(sock);
    try {
      expect(sb.run(['exec', '-d', '-t', '--console-socket', sock, 'e1', 'sh']).code).toBe(0);
      const { fd } = sys().recvFd(listen, 5000);
      writeSync(fd, 'tty; exit\n');
      let out = '';
      const buf = Buffer.alloc(1024);
      for (let i = 0; i < 100 && !/\r\n\/dev\/pts\/\d+\r\n/.test(out); i++) {
        if (sys().poll([fd], 1, 50)[0] & 1) out += buf.toString('utf8', 0, readSync(fd, buf));
      }
      expect(out).toMatch(/\r\n\/dev\/pts\/\d+\r\n/);
      closeSync(fd);
    } finally {
      closeSync(listen);
    }
  });

  it('refuses a stopped container with runc\'s words', () => {
    const b = sb.bundle('b', ['true']);
    expect(sb.run(['run', '--keep', '-b', b, 'gone']).code).toBe(0);
    const r = sb.run(['exec', 'gone', 'true']);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/cannot exec in a stopped container/);
    expect(sb.run(['exec', 'nope', 'true']).stderr).toMatch(/container "nope" does not exist/);
  });

  it('keeps the exec helper non-dumpable: a container process cannot read its /proc files (CVE-2016-9962)', () => {
    // The watcher (container root, default caps) records every tsrun-init whose exe it can read.
    const { bundle } = started(undefined, ['sh', '-c', 'while true; do for p in /proc/[0-9]*; do e=$(readlink $p/exe 2>/dev/null); case "$e" in *tsrun*) echo "$p $e $(readlink $p/cwd)" >> /tmp/seen;; esac; done; done']);
    for (let i = 0; i < 12; i++) expect(sb.run(['exec', 'e1', 'true']).code).toBe(0);
    expect(existsSync(join(bundle, 'rootfs/tmp/seen')) ? readFileSync(join(bundle, 'rootfs/tmp/seen'), 'utf8') : '').toBe('');
  });

  it('never shows the container a host binary through /proc/<pid>/exe while execs run (CVE-2019-5736)', () => {
    const { bundle } = started(undefined, ['sh', '-c', 'while true; do for p in /proc/[0-9]*; do readlink $p/exe; done >> /tmp/exes 2>/dev/null; done']);
    for (let i = 0; i < 8; i++) expect(sb.run(['exec', 'e1', 'true']).code).toBe(0);
    const seen = new Set(readFileSync(join(bundle, 'rootfs/tmp/exes'), 'utf8').split('\n').filter(Boolean));
    for (const exe of seen) expect(exe).toMatch(/^(\/bin\/busybox|\/memfd:tsrun-init \(deleted\))$/);
    expect(existsSync(join(bundle, 'rootfs/tmp/exes'))).toBe(true);
  });
});
