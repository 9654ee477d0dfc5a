// containerd end to end: a containerd started by hand (everything under a temp dir, CRI off), a
// busybox image built here and imported, and `ctr --runc-binary bin/tsrun` driving tsrun exactly
// as containerd-shim-runc-v2 does for real users. Installs nothing: .ci/run installs containerd.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, skipReason, which } from '../helpers/env.js';
import { CLIENT_PATH, Containerd, RUNTIME, missingGlobalDirs, teardown } from './daemons.js';
import { cat, check, describeCmd, expectExit, expectOk, inPty, sh, waitFor, type Cmd } from './harness.js';
import { findBusyboxStatic, writeOciArchive } from './image.js';

const missing = ['containerd', 'ctr', 'containerd-shim-runc-v2'].filter((c) => !which(c));
const reason = !isRoot
  ? 'containerd end-to-end tests need root'
  : missing.length
    ? `${missing.join(', ')} not installed (apt-get install containerd; .ci/run does)`
    : !findBusyboxStatic()
      ? 'busybox-static is not installed'
      : undefined;
const skip = skipReason(reason);
const hasScript = !!which('script');

const NS = `tsrun-clients-${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const IMAGE = 'docker.io/tsrun-test/busybox:latest';

describe.skipIf(skip)('containerd + ctr drive tsrun', () => {
  let dir = '';
  let ctd: Containerd;
  let globalMissing: string[] = [];
  const t0 = Date.now();

  const ctr = (args: string[], timeout = 30_000): Cmd => ctd.ctr(['--namespace', NS, ...args], { timeout });
  /** `ctr run` with tsrun as the runtime binary; `flags` go before the image. */
  const run = (flags: string[], id: string, args: string[], timeout = 30_000): Cmd => {
    ctd.tasks.push([NS, id]);
    return ctr(['run', '--runc-binary', RUNTIME, '--runc-root', join(dir, 'tsrun-root'), '--fifo-dir', join(dir, 'fifo'), '--snapshotter', ctd.snapshotter, ...flags, IMAGE, id, ...args], timeout);
  };
  const runArgv = (flags: string[], id: string, args: string[]): string[] => {
    ctd.tasks.push([NS, id]);
    return ['ctr', '--address', ctd.address, '--namespace', NS, 'run', '--runc-binary', RUNTIME, '--runc-root', join(dir, 'tsrun-root'), '--fifo-dir', join(dir, 'fifo'), '--snapshotter', ctd.snapshotter, ...flags, IMAGE, id, ...args];
  };
  const taskStatus = (id: string): { pid: number; status: string } | undefined => {
    const r = ctr(['task', 'ls'], 10_000);
    const line = r.stdout.split('\n').find((l) => l.split(/\s+/)[0] === id);
    if (!line) return undefined;
    const [, pid, status] = line.trim().split(/\s+/);
    return { pid: Number(pid), status };
  };
  const cgroupFile = (ctrl: string, id: string, file: string) => cat(`/sys/fs/cgroup/${ctrl}/${NS}/${id}/${file}`);
  /** Removes a container whatever state it is in, so one failing test does not break the next. */
  const forceRemove = (id: string) => {
    ctr(['task', 'kill', '-s', 'SIGKILL', id], 5_000);
    ctr(['task', 'delete', '-f', id], 10_000);
    ctr(['container', 'rm', id], 10_000);
  };

  beforeAll(async () => {
    dir = mkdtempSync('/tmp/tsrun-ctd-');
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'fifo'));
    globalMissing = missingGlobalDirs();
    ctd = new Containerd(join(dir, 'd'));
    await ctd.waitReady(20_000);
    const tar = join(dir, 'busybox-oci.tar');
    writeOciArchive(tar);
    expectOk(ctr(['images', 'import', '--snapshotter', ctd.snapshotter, tar], 60_000), 'ctr images import of the OCI layout tarball');
    console.log(`[containerd] runtime ${RUNTIME}; ready with snapshotter ${ctd.snapshotter}, namespace ${NS}, in ${Date.now() - t0} ms`);
  }, 90_000);

  afterAll(async () => {
    if (!dir) return;
    if (ctd) ctd.removeAll(NS);
    const rep = await teardown({ dir, daemons: ctd ? [ctd.daemon] : [], containerd: ctd, cgroupParents: [NS], globalMissingBefore: globalMissing });
    for (const n of rep.notes) console.log(`[containerd] teardown: ${n}`);
    console.log(`[containerd] suite took ${Date.now() - t0} ms`);
    if (rep.leftovers.length) throw new Error(`[containerd] teardown LEFT BEHIND:\n  ${rep.leftovers.join('\n  ')}`);
  }, 60_000);

  it('imported the image built from busybox-static', () => {
    const r = expectOk(ctr(['images', 'ls', '-q']), 'ctr images ls');
    expect(r.stdout).toContain(IMAGE);
  });

  it('runs a command to completion and passes its output and exit code through', () => {
    const r = run(['--rm'], 'c-exit', ['sh', '-c', 'echo hello from tsrun; id -u; echo to-stderr >&2; exit 3']);
    expectExit(r, 3, 'ctr run --rm of a command exiting 3');
    expect(r.stdout).toContain('hello from tsrun\n0\n');
    expect(r.stderr).toContain('to-stderr');
    // --rm removed the container and the task.
    expect(ctr(['container', 'ls', '-q']).stdout).not.toMatch(/^c-exit$/m);
  }, 60_000);

  it('starts containers that exit at once, every time (start must not race with the exit)', async () => {
    // The shim reaps the init as soon as it exits; `start` must succeed even when that happens
    // before it returns (runc never fails here). Four at a time, so the runtime gets preempted
    // as it would on a busy host. See /tmp/clients-findings.md F2.
    const failures: string[] = [];
    for (let round = 0; round < 4; round++) {
      const ids = [0, 1, 2, 3].map((k) => `c-quick${round}${k}`);
      const results = await Promise.all(ids.map((id) => shAsync(runArgv(['--rm'], id, ['true']), 20_000)));
      results.forEach((r, k) => {
        if (r.code !== 0) {
          failures.push(describeCmd(r));
          forceRemove(ids[k]);
        }
      });
    }
    check(failures.length === 0, `${failures.length} of 16 runs of \`true\` failed:\n${failures.join('\n')}`);
  }, 120_000);

  it('runs in its own namespaces and cgroup, as the shim placed it', () => {
    const r = run(['--rm'], 'c-ns', ['sh', '-c', 'echo pid=$$; cat /proc/self/cgroup; ls /proc | grep -c "^[0-9]"']);
    expectOk(r, 'ctr run --rm (namespaces)');
    expect(r.stdout).toContain('pid=1\n');
    // cgroup v1: the shim's cgroupsPath is /<namespace>/<id> in every hierarchy.
    check(r.stdout.includes(`:/${NS}/c-ns`), `the container's /proc/self/cgroup should name /${NS}/c-ns`, r);
  }, 60_000);

  describe('a detached task', () => {
    const id = 'c-det';
    // A shell that exits 42 on SIGTERM, so `ctr task kill` (SIGTERM) has a visible effect.
    const script = 'trap "exit 42" TERM; echo started; while :; do sleep 0.1; done';

    it('starts with run -d and is RUNNING under the shim', async () => {
      const r = run(['-d'], id, ['sh', '-c', script]);
      expectOk(r, 'ctr run -d');
      const st = await waitFor('task RUNNING', () => {
        const s = taskStatus(id);
        return s?.status === 'RUNNING' ? s : undefined;
      }, 10_000);
      // The init is the shim's child (tsrun left no monitor process between them) and sits in
      // the task's cgroup.
      const ppid = Number(readFileSync(`/proc/${st.pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      const parent = readFileSync(`/proc/${ppid}/cmdline`, 'utf8').split('\0');
      check(parent[0].endsWith('containerd-shim-runc-v2') && parent.includes(id), `the task's parent should be its shim, is ${JSON.stringify(parent)}`);
      expect(cgroupFile('memory', id, 'cgroup.procs')?.split('\n')).toContain(String(st.pid));
    }, 60_000);

    it('task exec runs a process in it, with stdin, output and exit code', () => {
      const r = ctd.ctr(['--namespace', NS, 'task', 'exec', '--fifo-dir', join(dir, 'fifo'), '--exec-id', 'e1', id, 'sh', '-c', 'read line; echo "got $line"; cat /proc/1/cmdline | tr "\\0" " "; echo; exit 4'], {
        input: 'piped-in\n',
        timeout: 30_000,
      });
      expectExit(r, 4, 'ctr task exec (exit 4)');
      expect(r.stdout).toContain('got piped-in\n');
      expect(r.stdout).toContain('sh -c trap');
    }, 60_000);

    it("task exec of a missing command fails with tsrun's message", () => {
      const r = ctr(['task', 'exec', '--fifo-dir', join(dir, 'fifo'), '--exec-id', 'e-missing', id, 'nosuch']);
      check(r.code !== 0, 'ctr task exec of a missing command should fail', r);
      check(r.stderr.includes('OCI runtime exec failed') && r.stderr.includes('executable file not found in $PATH'), "the error should carry the runtime's exec message", r);
      // The task itself is unaffected.
      expect(taskStatus(id)?.status).toBe('RUNNING');
    }, 60_000);

    it.skipIf(!hasScript)('task exec --tty gets a terminal', () => {
      const argv = ['ctr', '--address', ctd.address, '--namespace', NS, 'task', 'exec', '--tty', '--fifo-dir', join(dir, 'fifo'), '--exec-id', 'e2', id, 'sh', '-c', 'tty; [ -t 0 ] && echo stdin-is-tty; exit 5'];
      const res = ptyRun(argv);
      expectExit(res, 5, 'ctr task exec --tty (exit 5)');
      expect(res.stdout).toMatch(/\/dev\/pts\/\d+/);
      expect(res.stdout).toContain('stdin-is-tty');
    }, 60_000);

    it('task ps lists the init pid (runtime `ps --format json`)', () => {
      const st = taskStatus(id);
      check(st, 'task not listed');
      const r = expectOk(ctr(['task', 'ps', id]), 'ctr task ps');
      const pids = r.stdout.split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[0])).filter((n) => n > 0);
      check(pids.includes(st!.pid), `ctr task ps should list the init pid ${st!.pid}`, r);
    }, 60_000);

    it('task pause freezes it and task resume thaws it', async () => {
      expectOk(ctr(['task', 'pause', id]), 'ctr task pause');
      expect(taskStatus(id)?.status).toBe('PAUSED');
      expect(cgroupFile('freezer', id, 'freezer.state')).toBe('FROZEN');
      expectOk(ctr(['task', 'resume', id]), 'ctr task resume');
      expect(taskStatus(id)?.status).toBe('RUNNING');
      expect(cgroupFile('freezer', id, 'freezer.state')).toBe('THAWED');
      // It really runs again: an exec completes.
      expectOk(ctr(['task', 'exec', '--fifo-dir', join(dir, 'fifo'), '--exec-id', 'e3', id, 'true']), 'ctr task exec after resume');
    }, 60_000);

    it('task metrics reads the task cgroup (memory, cpu, pids)', () => {
      const r = expectOk(ctr(['task', 'metrics', '--format', 'json', id]), 'ctr task metrics');
      let m: { memory?: { usage?: { usage?: number } }; cpu?: { usage?: { total?: number } }; pids?: { current?: number } };
      try {
        m = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
      } catch {
        throw new Error(`ctr task metrics printed no JSON\n${describeCmd(r)}`);
      }
      check((m.memory?.usage?.usage ?? 0) > 0, 'memory usage should be > 0', r);
      check((m.cpu?.usage?.total ?? 0) > 0, 'cpu usage should be > 0', r);
      check((m.pids?.current ?? 0) >= 1, 'pids.current should be >= 1', r);
    }, 60_000);

    it('task kill sends SIGTERM, the exit status reaches ctr, and delete removes it', async () => {
      expectOk(ctr(['task', 'kill', id]), 'ctr task kill');
      await waitFor('task STOPPED', () => taskStatus(id)?.status === 'STOPPED', 10_000);
      const d = expectOk(ctr(['task', 'delete', id]), 'ctr task delete');
      check(d.stdout.includes('42') || d.stderr.includes('exit code 42'), 'ctr task delete should report exit code 42', d);
      expectOk(ctr(['container', 'rm', id]), 'ctr container rm');
      expect(ctr(['container', 'ls', '-q']).stdout).not.toMatch(new RegExp(`^${id}$`, 'm'));
      // The shim and tsrun removed the task's cgroup.
      expect(cgroupFile('memory', id, 'cgroup.procs')).toBeUndefined();
    }, 60_000);
  });

  it('task kill --all kills every process of the task', async () => {
    const id = 'c-all';
    try {
      expectOk(run(['-d'], id, ['sh', '-c', 'sleep 1000 & sleep 1000 & wait']), 'ctr run -d');
      await waitFor('task RUNNING with 3 processes', () => (cgroupFile('pids', id, 'cgroup.procs')?.split('\n').length ?? 0) >= 3, 10_000);
      expectOk(ctr(['task', 'kill', '--all', '--signal', 'SIGKILL', id]), 'ctr task kill --all -s SIGKILL');
      await waitFor('task STOPPED', () => taskStatus(id)?.status === 'STOPPED', 10_000);
      expectOk(ctr(['task', 'delete', id]), 'ctr task delete');
    } finally {
      forceRemove(id);
    }
  }, 60_000);

  it.skipIf(!hasScript)('run --tty gives the container a terminal', () => {
    const r = ptyRun(runArgv(['--rm', '--tty'], 'c-tty', ['sh', '-c', 'tty; [ -t 0 ] && [ -t 1 ] && echo all-tty; exit 6']));
    forceRemove('c-tty');
    expectExit(r, 6, 'ctr run --rm --tty (exit 6)');
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(r.stdout).toContain('all-tty');
  }, 60_000);

  it("a command that does not exist fails the run with tsrun's message (through log.json)", () => {
    const r = run(['--rm'], 'c-fail', ['nosuch']);
    forceRemove('c-fail');
    check(r.code !== 0, 'ctr run of a missing command should fail', r);
    check(r.stderr.includes('exec: "nosuch": executable file not found in $PATH'), "ctr's error should carry tsrun's message", r);
    check(r.stderr.includes('OCI runtime create failed'), 'the error should come from the runtime create call', r);
  }, 60_000);

  it('a missing absolute path gives "no such file or directory"', () => {
    const r = run(['--rm'], 'c-fail2', ['/nonexistent']);
    forceRemove('c-fail2');
    check(r.code !== 0, 'ctr run of /nonexistent should fail', r);
    check(r.stderr.includes('/nonexistent') && r.stderr.includes('no such file or directory'), 'the error should say no such file or directory', r);
  }, 60_000);

  it('leaves no tasks, containers or task cgroups behind', () => {
    expect(ctr(['task', 'ls', '-q']).stdout.trim()).toBe('');
    expect(ctr(['container', 'ls', '-q']).stdout.trim()).toBe('');
    for (const ctrl of ['memory', 'pids', 'freezer', 'cpu']) {
      const kids = cat(`/sys/fs/cgroup/${ctrl}/${NS}/cgroup.procs`);
      expect(kids ?? '').toBe('');
    }
  }, 30_000);
});

/** Like sh(), without blocking the event loop (for runs in parallel). */
function shAsync(argv: string[], timeout: number): Promise<Cmd> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: CLIENT_PATH } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeout);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - t0;
      resolve({ argv, code, signal, stdout, stderr, ms, timedOut: signal === 'SIGKILL' && ms >= timeout - 50 });
    });
  });
}

/** ctr --tty insists on a console: script(1) gives it one; the output comes back with \r\n. */
function ptyRun(argv: string[]): Cmd {
  const r = sh(inPty(argv), { timeout: 30_000, env: { PATH: CLIENT_PATH, TERM: 'xterm' } });
  return { ...r, stdout: r.stdout.replace(/\r/g, '') };
}
