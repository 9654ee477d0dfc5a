// Rootless Podman drives tsrun: `podman --runtime <tsrun>` as an unprivileged user the test makes
// (its own /etc/subuid range; Podman's user namespace, conmon, storage and runtime state all the
// user's), with the busybox image built here loaded into its storage. Podman calls the runtime as uid
// 0 of its user namespace, with no --root and (for kill and delete) no PATH or HOME: tsrun takes the
// rootless paths (state under $XDG_RUNTIME_DIR/tsrun, no cgroups it may not write).
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipReason, which } from '../helpers/env.js';
import { TestUser, testUserName, testUserUnavailable, type UserRun } from '../helpers/test-user.js';
import { findBusyboxStatic, writeOciArchive } from './image.js';

const missing = ['podman', 'conmon', 'newuidmap', 'newgidmap'].filter((c) => !which(c));
const skip = skipReason(testUserUnavailable() ?? (missing.length ? `${missing.join(', ')} not installed (apt-get install podman uidmap)` : !findBusyboxStatic() ? 'busybox-static is not installed' : undefined));

const IMAGE = 'docker.io/tsrun-test/busybox:latest';

/** The hard limit of an rlimit of this process (/proc/self/limits), for Podman's default ulimits. */
function hardLimit(name: string): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(name));
  const v = line?.trim().split(/\s{2,}/)[2];
  return v && /^\d+$/.test(v) ? Number(v) : Infinity;
}

describe.skipIf(skip)('rootless Podman drives tsrun (podman --runtime tsrun, as an unprivileged user)', () => {
  let u: TestUser;
  let runtime = '';

  const podman = (args: string[], timeout = 60_000): UserRun => u.run(['podman', '--runtime', runtime, ...args], { timeout });
  const ok = (r: UserRun, what: string): UserRun => {
    if (r.code !== 0) throw new Error(`${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  };
  // (runc keeps its own under $XDG_RUNTIME_DIR/runc: TSRUN_CLIENTS_RUNTIME=/usr/sbin/runc compares.)
  const stateDir = () => join(u.runtimeDir, basename(runtime) === 'runc' ? 'runc' : 'tsrun');
  // Everything under the state root: nothing but containers' state (delete must leave it empty).
  const containers = () => readdirSync(stateDir());

  beforeAll(() => {
    u = new TestUser(testUserName('tspm'));
    runtime = process.env.TSRUN_CLIENTS_RUNTIME || u.tsrun;
    // Podman's default ulimits (nofile 1048576) exceed this VM's hard limits, with runc too.
    const nofile = Math.min(hardLimit('Max open files'), 1048576);
    const nproc = Math.min(hardLimit('Max processes'), 32768);
    const conf = join(u.home, '.config/containers');
    mkdirSync(conf, { recursive: true });
    writeFileSync(join(conf, 'containers.conf'), [
      '[containers]',
      `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
      'netns = "none"',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      '',
    ].join('\n'));
    for (const d of [join(u.home, '.config'), conf, join(conf, 'containers.conf')]) chownSync(d, u.uid, u.gid);
    const archive = join(u.dir, 'busybox-oci.tar');
    writeOciArchive(archive);
    chmodSync(archive, 0o644);
    ok(u.run(['podman', 'load', '-i', archive], { timeout: 120_000 }), 'podman load');
  }, 180_000);

  afterAll(() => {
    if (!u) return;
    try {
      u.run(['podman', '--runtime', runtime, 'rm', '--all', '--force', '--time', '0'], { timeout: 60_000 });
    } finally {
      u.remove();
    }
  }, 120_000);

  it('run: the process is uid 0 of Podman\'s user namespace, which maps the user and its sub-ids', () => {
    const r = ok(podman(['run', '--rm', IMAGE, 'sh', '-c', 'id -u; cat /proc/self/uid_map; echo hello from tsrun']), 'podman run');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('0');
    expect(lines[1].trim().split(/\s+/)).toEqual(['0', String(u.uid), '1']);
    expect(lines[2].trim().split(/\s+/)).toEqual(['1', String(u.subid), '65536']);
    expect(lines.at(-1)).toBe('hello from tsrun');
    expect(containers()).toEqual([]);
  });

  it('run -d, exec, stop, rm', () => {
    const id = ok(podman(['run', '-d', '--name', 'rl-pd', IMAGE, 'sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done']), 'podman run -d').stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    // The runtime's state is the user's, under its XDG_RUNTIME_DIR (Podman passes no --root).
    expect(containers()).toEqual([id]);
    const e = ok(podman(['exec', 'rl-pd', 'sh', '-c', 'echo exec-ok; id -u']), 'podman exec');
    expect(e.stdout).toBe('exec-ok\n0\n');
    expect(podman(['exec', 'rl-pd', 'sh', '-c', 'exit 4']).code).toBe(4);
    ok(podman(['stop', '--time', '10', 'rl-pd']), 'podman stop');
    expect(ok(podman(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'rl-pd']), 'inspect').stdout.trim()).toBe('exited 0');
    ok(podman(['rm', 'rl-pd']), 'podman rm');
    expect(podman(['inspect', 'rl-pd']).code).not.toBe(0);
    expect(containers()).toEqual([]);
  });

  it('a failing command\'s exit code, and 127 for a missing executable', () => {
    expect(podman(['run', '--rm', IMAGE, 'sh', '-c', 'exit 7']).code).toBe(7);
    const r = podman(['run', '--rm', IMAGE, '/nonexistent']);
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/no such file or directory/);
    expect(containers()).toEqual([]);
  });

  it('run -t: the container gets a terminal', () => {
    const r = ok(u.run(['script', '-q', '-e', '-c', `podman --runtime ${runtime} run --rm -t ${IMAGE} sh -c '[ -t 0 ] && echo "tty:$(tty)"'`, '/dev/null'], { timeout: 60_000 }), 'podman run -t');
    expect(r.stdout).toMatch(/tty:\/dev\/pts\/\d+/);
  });
});
