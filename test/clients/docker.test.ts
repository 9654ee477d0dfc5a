// Docker end to end: Debian's dockerd (20.10) started by hand on its own socket, roots and cgroup
// parent under a temp dir, with tsrun added as runtime "tsrun", on a containerd of our own; the
// busybox image built here is `docker load`ed and `docker run --runtime tsrun` does the rest.
// Installs nothing: .ci/run installs docker.io. `--privileged` is not tested: it cannot work on
// this VM with any runtime (the bounding set lacks CAP_SYS_RESOURCE).
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, skipReason, which } from '../helpers/env.js';
import { CLIENT_PATH, Containerd, Dockerd, RUNTIME, missingGlobalDirs, teardown } from './daemons.js';
import { cat, check, expectExit, expectOk, inPty, sh, waitFor, type Cmd } from './harness.js';
import { findBusyboxStatic, writeDockerArchive } from './image.js';

const missing = ['dockerd', 'containerd', 'containerd-shim-runc-v2'].filter((c) => !which(c));
const reason = !isRoot
  ? 'Docker end-to-end tests need root'
  : missing.length
    ? `${missing.join(', ')} not installed (apt-get install docker.io; .ci/run does)`
    : !existsSync('/usr/bin/docker')
      ? '/usr/bin/docker (docker.io) not installed'
      : !findBusyboxStatic()
        ? 'busybox-static is not installed'
        : undefined;
const skip = skipReason(reason);
const hasScript = !!which('script');

const PARENT = `tsrun-clients-dk-${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const IMAGE = 'tsrun-test/busybox:latest';
const RT = ['--runtime', 'tsrun', '--network', 'none'];

describe.skipIf(skip)('Docker drives tsrun (docker run --runtime tsrun)', () => {
  let dir = '';
  let ctd: Containerd | undefined;
  let dkd: Dockerd | undefined;
  let globalMissing: string[] = [];
  const t0 = Date.now();

  const docker = (args: string[], timeout = 30_000, input?: string): Cmd => dkd!.docker(args, { timeout, input });
  const cg = (ctrl: string, id: string, file: string) => cat(`/sys/fs/cgroup/${ctrl}/${PARENT}/${id}/${file}`);
  /** `docker run -d`, returning the full container id. */
  const runDetached = (name: string, flags: string[], args: string[]): string => {
    const r = expectOk(docker(['run', '-d', '--name', name, ...RT, ...flags, IMAGE, ...args]), `docker run -d --name ${name}`);
    const id = r.stdout.trim().split('\n').pop()!;
    check(/^[0-9a-f]{64}$/.test(id), 'docker run -d should print the container id', r);
    ctd!.tasks.push(['moby', id]);
    return id;
  };
  const inspect = (name: string, fmt: string) => docker(['inspect', '-f', fmt, name]).stdout.trim();
  const rmf = (name: string) => docker(['rm', '-f', name]);

  beforeAll(async () => {
    dir = mkdtempSync('/tmp/tsrun-dk-');
    chmodSync(dir, 0o755);
    globalMissing = missingGlobalDirs();
    ctd = new Containerd(join(dir, 'c'));
    await ctd.waitReady(20_000);
    dkd = new Dockerd(join(dir, 'd'), ctd, PARENT);
    await dkd.waitReady(40_000);
    const tar = join(dir, 'busybox-docker.tar');
    writeDockerArchive(tar);
    const r = expectOk(docker(['load', '-i', tar], 60_000), 'docker load');
    check(r.stdout.includes(`Loaded image: ${IMAGE}`), 'docker load should name the image', r);
    console.log(`[docker] runtime ${RUNTIME}; ready (${ctd.snapshotter === 'overlayfs' ? 'overlay2' : 'vfs'}), cgroup parent /${PARENT}, in ${Date.now() - t0} ms`);
  }, 120_000);

  afterAll(async () => {
    if (!dir) return;
    dkd?.removeAll();
    const rep = await teardown({
      dir,
      daemons: [dkd?.daemon, ctd?.daemon].filter((d) => d !== undefined),
      containerd: ctd,
      cgroupParents: [PARENT],
      globalMissingBefore: globalMissing,
    });
    for (const n of rep.notes) console.log(`[docker] teardown: ${n}`);
    console.log(`[docker] suite took ${Date.now() - t0} ms`);
    if (rep.leftovers.length) throw new Error(`[docker] teardown LEFT BEHIND:\n  ${rep.leftovers.join('\n  ')}`);
  }, 90_000);

  it('has tsrun registered as a runtime', () => {
    const r = expectOk(docker(['info', '--format', '{{json .Runtimes}}']), 'docker info');
    expect(r.stdout).toContain('"tsrun"');
  });

  it('runs a command: output, stderr and exit code', () => {
    const r = docker(['run', '--rm', ...RT, IMAGE, 'sh', '-c', 'echo hello from tsrun; echo to-stderr >&2; exit 3']);
    expectExit(r, 3, 'docker run --rm (exit 3)');
    expect(r.stdout).toBe('hello from tsrun\n');
    expect(r.stderr).toContain('to-stderr');
  }, 60_000);

  it('passes stdin through with -i and closes it at EOF', () => {
    const r = docker(['run', '--rm', '-i', ...RT, IMAGE, 'sh', '-c', 'cat; echo done'], 30_000, 'line one\nline two\n');
    expectOk(r, 'docker run -i with piped stdin');
    expect(r.stdout).toBe('line one\nline two\ndone\n');
  }, 60_000);

  it('applies -e, -w, --user and --hostname', () => {
    const r = docker(['run', '--rm', ...RT, '-e', 'FOO=bar baz', '-w', '/tmp', '--user', '65534:65534', '--hostname', 'tsrunhost', IMAGE, 'sh', '-c', 'echo "$FOO|$(pwd)|$(id -u):$(id -g)|$(hostname)"']);
    expectOk(r, 'docker run with -e -w --user --hostname');
    expect(r.stdout).toBe('bar baz|/tmp|65534:65534|tsrunhost\n');
  }, 60_000);

  it.skipIf(!hasScript)('-it gives the container a terminal', () => {
    const r = ptyRun(dkd!.dockerArgv(['run', '--rm', '-it', ...RT, IMAGE, 'sh', '-c', 'tty; [ -t 0 ] && [ -t 1 ] && echo all-tty; exit 4']));
    expectExit(r, 4, 'docker run -it (exit 4)');
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(r.stdout).toContain('all-tty');
  }, 60_000);

  it('-t without a terminal on the client side still gives the container one', () => {
    const r = docker(['run', '--rm', '-t', ...RT, IMAGE, 'sh', '-c', 'tty; exit 5']);
    expectExit(r, 5, 'docker run -t (exit 5)');
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
  }, 60_000);

  describe('a detached container', () => {
    const name = 'd-det';
    let id = '';
    const script = 'trap "echo got-term; exit 43" TERM; echo started; while :; do sleep 0.1; done';

    it('starts with run -d and runs', async () => {
      id = runDetached(name, [], ['sh', '-c', script]);
      await waitFor('container running with its output', () => inspect(name, '{{.State.Running}}') === 'true' && docker(['logs', name]).stdout.includes('started'), 10_000);
      const pid = Number(inspect(name, '{{.State.Pid}}'));
      check(pid > 0, `docker inspect should give the init pid, got ${pid}`);
      expect(cg('memory', id, 'cgroup.procs')?.split('\n')).toContain(String(pid));
    }, 60_000);

    it('exec runs a process in it with output and exit code', () => {
      const r = docker(['exec', name, 'sh', '-c', 'echo exec-ok; cat /proc/1/cmdline | tr "\\0" " "; echo; exit 7']);
      expectExit(r, 7, 'docker exec (exit 7)');
      expect(r.stdout).toContain('exec-ok\nsh -c trap');
    }, 60_000);

    it('exec of a missing command fails with 126/127 and the runtime error', () => {
      const r = docker(['exec', name, 'nosuch']);
      // Docker prints an exec error on stdout and exits 126 (runc: `OCI runtime exec failed: exec
      // failed: unable to start container process: exec: "nosuch": executable file not found in $PATH`).
      expectExit(r, 126, 'docker exec of a missing command');
      check((r.stdout + r.stderr).includes('executable file not found in $PATH'), 'the error should say executable file not found in $PATH', r);
      expect(inspect(name, '{{.State.Running}}')).toBe('true');
    }, 60_000);

    it('exec -i passes stdin', () => {
      const r = docker(['exec', '-i', name, 'sh', '-c', 'read l; echo "got $l"'], 30_000, 'from-stdin\n');
      expectOk(r, 'docker exec -i');
      expect(r.stdout).toBe('got from-stdin\n');
    }, 60_000);

    it.skipIf(!hasScript)('exec -it gets a terminal', () => {
      const r = ptyRun(dkd!.dockerArgv(['exec', '-it', name, 'sh', '-c', 'tty; exit 8']));
      expectExit(r, 8, 'docker exec -it (exit 8)');
      expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
    }, 60_000);

    it('top lists its processes (runtime `ps --format json`)', () => {
      const r = expectOk(docker(['top', name]), 'docker top');
      const pid = inspect(name, '{{.State.Pid}}');
      check(r.stdout.split('\n').some((l) => l.split(/\s+/)[1] === pid && l.includes('sh -c trap')), `docker top should list pid ${pid} running the script`, r);
    }, 60_000);

    it('pause freezes it and unpause thaws it', () => {
      expectOk(docker(['pause', name]), 'docker pause');
      expect(inspect(name, '{{.State.Status}}')).toBe('paused');
      expect(cg('freezer', id, 'freezer.state')).toBe('FROZEN');
      expectOk(docker(['unpause', name]), 'docker unpause');
      expect(inspect(name, '{{.State.Status}}')).toBe('running');
      expect(cg('freezer', id, 'freezer.state')).toBe('THAWED');
      expectOk(docker(['exec', name, 'true']), 'docker exec after unpause');
    }, 60_000);

    it('update --memory changes its memory cgroup (runtime `update --resources -`)', () => {
      expectOk(docker(['update', '--memory', '64m', '--memory-swap', '128m', '--pids-limit', '60', name]), 'docker update --memory 64m');
      expect(cg('memory', id, 'memory.limit_in_bytes')).toBe('67108864');
      expect(cg('pids', id, 'pids.max')).toBe('60');
      const s = expectOk(docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', name]), 'docker stats');
      check(s.stdout.includes('64MiB'), 'docker stats should show the 64MiB limit (the shim reads the cgroup)', s);
    }, 60_000);

    it('restart stops it and starts it again', async () => {
      expectOk(docker(['restart', '-t', '10', name]), 'docker restart');
      await waitFor('container running after restart', () => inspect(name, '{{.State.Running}}') === 'true', 10_000);
      expectOk(docker(['exec', name, 'true']), 'docker exec after restart');
    }, 60_000);

    it('stop sends SIGTERM, the exit code is kept, rm removes it and its cgroup', () => {
      const t = Date.now();
      expectOk(docker(['stop', '-t', '10', name]), 'docker stop');
      check(Date.now() - t < 8_000, `docker stop took ${Date.now() - t} ms: SIGTERM did not reach the container (it got SIGKILL after the timeout)`);
      expect(inspect(name, '{{.State.ExitCode}}')).toBe('43');
      expect(docker(['logs', name]).stdout).toContain('got-term');
      expectOk(docker(['rm', name]), 'docker rm');
      expect(cg('memory', id, 'cgroup.procs')).toBeUndefined();
    }, 60_000);
  });

  it('applies --memory, --cpus, --pids-limit, --read-only, --cap-drop ALL and the default seccomp profile', async () => {
    const name = 'd-lim';
    try {
      const id = runDetached(name, ['--memory', '64m', '--cpus', '0.5', '--pids-limit', '50', '--read-only', '--cap-drop', 'ALL'], [
        'sh',
        '-c',
        'grep -E "^(CapEff|CapBnd|Seccomp):" /proc/self/status; touch /x 2>&1; echo touch=$?; echo ready; exec sleep 1000',
      ]);
      const logs = await waitFor('the container to report', () => {
        const l = docker(['logs', name]);
        return l.stdout.includes('ready') ? l : undefined;
      }, 10_000);
      const out = logs.stdout + logs.stderr;
      check(/CapEff:\s+0{16}/.test(out) && /CapBnd:\s+0{16}/.test(out), '--cap-drop ALL should leave no capabilities', logs);
      check(/Seccomp:\s+2/.test(out), "Docker's default seccomp profile should be in filter mode (Seccomp: 2)", logs);
      check(/Read-only file system/.test(out) && out.includes('touch=1'), '--read-only should make / read-only', logs);
      expect(cg('memory', id, 'memory.limit_in_bytes')).toBe('67108864');
      expect(cg('cpu', id, 'cpu.cfs_quota_us')).toBe('50000');
      expect(cg('cpu', id, 'cpu.cfs_period_us')).toBe('100000');
      expect(cg('pids', id, 'pids.max')).toBe('50');
    } finally {
      rmf(name);
    }
  }, 60_000);

  it('the default seccomp profile blocks what it should (unshare of a user namespace without CAP_SYS_ADMIN)', () => {
    const r = docker(['run', '--rm', ...RT, '--cap-drop', 'ALL', IMAGE, 'sh', '-c', 'unshare -U true; echo rc=$?']);
    expectOk(r, 'docker run unshare -U');
    check(r.stdout.includes('rc=1') && /Operation not permitted|not permitted/i.test(r.stderr + r.stdout), 'unshare(CLONE_NEWUSER) should fail with EPERM under the default profile', r);
  }, 60_000);

  it('the container sees its own cgroup limits under /sys/fs/cgroup (as with runc)', () => {
    const r = docker(['run', '--rm', ...RT, '--memory', '64m', '--pids-limit', '50', IMAGE, 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max']);
    expectOk(r, 'docker run cat of the cgroup limits');
    check(r.stdout === '67108864\n50\n', "/sys/fs/cgroup/<controller> in the container should be the container's own cgroup (see /tmp/clients-findings.md F1)", r);
  }, 60_000);

  it('a missing command gives exit 127 and the runtime error', () => {
    const r = docker(['run', '--rm', ...RT, IMAGE, 'nosuchcmd']);
    expectExit(r, 127, 'docker run nosuchcmd');
    check(r.stderr.includes('executable file not found in $PATH'), 'the error should say executable file not found in $PATH', r);
    const r2 = docker(['run', '--rm', ...RT, IMAGE, '/nonexistent']);
    expectExit(r2, 127, 'docker run /nonexistent');
    check(r2.stderr.includes('no such file or directory'), 'the error should say no such file or directory', r2);
  }, 60_000);

  it('leaves no containers and no processes in its cgroup parent', () => {
    dkd!.removeAll();
    expect(docker(['ps', '-aq']).stdout.trim()).toBe('');
    for (const ctrl of ['memory', 'pids', 'freezer']) expect(cat(`/sys/fs/cgroup/${ctrl}/${PARENT}/cgroup.procs`) ?? '').toBe('');
  }, 60_000);
});

/** Docker's -it and ctr's --tty want a terminal on the client side: script(1) gives them one. */
function ptyRun(argv: string[]): Cmd {
  const r = sh(inPty(argv), { timeout: 30_000, env: { PATH: CLIENT_PATH, TERM: 'xterm' } });
  return { ...r, stdout: r.stdout.replace(/\r/g, '') };
}
