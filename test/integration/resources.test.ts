// Resource control end to end: real containers, real cgroups (v1 here; v2 in the VM).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GLOBAL_FLAGS, isRoot, skipReason, SYSTEMD_CGROUP, TSRUN, which } from '../helpers/env.js';
import { Sandbox } from '../helpers/sandbox.js';

const skip = skipReason(!isRoot ? 'integration tests need root' : !which('busybox') ? 'busybox-static is not installed' : undefined);

let sb: Sandbox;
beforeEach(() => { sb = new Sandbox(); });
afterEach(() => sb.cleanup());

const MiB = 1024 * 1024;
/** A pure cgroup v2 host (the v2 VM) has no v1 hierarchies. */
const V2 = !existsSync('/sys/fs/cgroup/memory') && existsSync('/sys/fs/cgroup/cgroup.controllers');
/** A container's cgroup file from the host: <v1 hierarchy>/tsrun/<id>/<v1 file>, or tsrun/<id>/<v2 file>. */
/** (On the systemd driver, TSRUN_TEST_GLOBALS=--systemd-cgroup: the unit's cgroup, v2 only.) */
const v2Dir = (id: string) => (SYSTEMD_CGROUP ? `/sys/fs/cgroup/system.slice/tsrun-${id}.scope` : `/sys/fs/cgroup/tsrun/${id}`);
const hostFile = (id: string, controller: string, v1: string, v2: string) => (V2 ? `${v2Dir(id)}/${v2}` : `/sys/fs/cgroup/${controller}/tsrun/${id}/${v1}`);
/** The same file from inside a container with a cgroup namespace. */
const innerFile = (controller: string, v1: string, v2: string) => (V2 ? `/sys/fs/cgroup/${v2}` : `/sys/fs/cgroup/${controller}/${v1}`);
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(f: () => T | undefined | false, ms = 10_000): Promise<T> {
  for (const t0 = Date.now(); ; await wait(25)) {
    const v = f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out');
  }
}
function cgroupDirs(id: string): string[] {
  const out: string[] = [];
  for (const h of readdirSync('/sys/fs/cgroup')) {
    for (const p of [join('/sys/fs/cgroup', h, 'tsrun', id), join('/sys/fs/cgroup/tsrun', id), v2Dir(id)]) if (existsSync(p) && !out.includes(p)) out.push(p);
  }
  return out;
}

describe.skipIf(skip)('resources', () => {
  it('a 32 MiB container that allocates 64 MiB is OOM-killed, and events reports it', async () => {
    // dd waits for /tmp/go, made once events runs (its first stats line): on a slow host (the emulated
    // guests) events could otherwise start after the OOM kill, which it would then not report.
    const b = sb.bundle('b', ['sh', '-c', 'echo up > /tmp/up; while [ ! -e /tmp/go ]; do sleep 0.1; done; dd if=/dev/zero of=/dev/null bs=64M count=1; echo dd-exit=$? > /tmp/dd; sleep 100'], (s) => {
      s.linux!.resources = { memory: { limit: 32 * MiB, swap: 32 * MiB } };
    });
    expect(sb.run(['run', '-d', '-b', b, 'oom']).code).toBe(0);
    const out = join(sb.dir, 'events.out');
    const ev = spawn('/bin/sh', ['-c', `exec ${TSRUN} --root ${sb.root} ${GLOBAL_FLAGS.join(' ')} events --interval 100ms oom > ${out} 2>&1`]);
    try {
      await until(() => existsSync(out) && /"type":"stats"/.test(readFileSync(out, 'utf8')), 30_000);
      writeFileSync(join(b, 'rootfs/tmp/go'), '');
      await until(() => existsSync(join(b, 'rootfs/tmp/dd')));
      expect(readFileSync(join(b, 'rootfs/tmp/dd'), 'utf8')).toBe('dd-exit=137\n');
      await until(() => existsSync(out) && /"type":"oom"/.test(readFileSync(out, 'utf8')));
    } finally {
      ev.kill('SIGTERM');
    }
    const stats = JSON.parse(sb.run(['events', '--stats', 'oom']).stdout);
    expect(stats.type).toBe('stats');
    expect(stats.data.memory.usage.limit).toBe(32 * MiB);
  });

  it('pids.limit 10 stops a fork loop at 10; cpu quota is visible from inside', async () => {
    // busybox sh exits when a fork fails: the loop runs in a subshell that may die.
    const b = sb.bundle('b', ['sh', '-c', `(while true; do sleep 100 & done) 2>/dev/null; read q < ${innerFile('cpu', 'cpu.cfs_quota_us', 'cpu.max')}; echo $q > /tmp/quota; exec sleep 100`], (s) => {
      s.linux!.resources = { pids: { limit: 10 }, cpu: { quota: 50000, period: 100000 } };
    });
    expect(sb.run(['run', '-d', '-b', b, 'pids']).code).toBe(0);
    // The file exists as soon as the shell opens it, before echo has written: wait for the line.
    await until(() => existsSync(join(b, 'rootfs/tmp/quota')) && readFileSync(join(b, 'rootfs/tmp/quota'), 'utf8').endsWith('\n'));
    expect(readFileSync(join(b, 'rootfs/tmp/quota'), 'utf8')).toBe(V2 ? '50000 100000\n' : '50000\n');
    // At the limit there were 10: init, the subshell and 8 sleeps; the subshell then died on the
    // refused fork, leaving 9, and the kernel counted the refusal.
    await until(() => Number(readFileSync(hostFile('pids', 'pids', 'pids.current', 'pids.current'), 'utf8')) === 9);
    expect(readFileSync(hostFile('pids', 'pids', 'pids.events', 'pids.events'), 'utf8')).toMatch(/^max [1-9]/);
    expect(JSON.parse(sb.run(['ps', '--format', 'json', 'pids']).stdout)).toHaveLength(9);
  });

  it('pause freezes every process and resume continues; update changes the memory limit', async () => {
    const b = sb.bundle('b', ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done']);
    expect(sb.run(['run', '-d', '-b', b, 'pz']).code).toBe(0);
    // (0 until the shell has written the file once: run -d returns before it has.)
    const count = () => (existsSync(join(b, 'rootfs/tmp/count')) ? Number(readFileSync(join(b, 'rootfs/tmp/count'), 'utf8') || 0) : 0);
    await until(() => count() > 2);
    expect(sb.run(['pause', 'pz']).code).toBe(0);
    expect(JSON.parse(sb.run(['state', 'pz']).stdout).status).toBe('paused');
    const frozen = count();
    await wait(400);
    expect(count()).toBe(frozen);
    expect(sb.run(['exec', 'pz', 'true']).stderr).toMatch(/cannot exec in a paused container/);
    expect(sb.run(['resume', 'pz']).code).toBe(0);
    await until(() => count() > frozen + 2);
    expect(JSON.parse(sb.run(['state', 'pz']).stdout).status).toBe('running');
    expect(sb.run(['update', '--memory', '48m', 'pz']).code).toBe(0);
    expect(Number(readFileSync(hostFile('pz', 'memory', 'memory.limit_in_bytes', 'memory.max'), 'utf8'))).toBe(48 * MiB);
  });

  it('ps --format json lists exactly the container\'s processes; kill --all ends them all; delete leaves no cgroup', async () => {
    const b = sb.bundle('b', ['sh', '-c', 'sleep 100 & sleep 100 & echo up > /tmp/up; wait']);
    expect(sb.run(['run', '-d', '--pid-file', join(sb.dir, 'pid'), '-b', b, 'pk']).code).toBe(0);
    await until(() => existsSync(join(b, 'rootfs/tmp/up')));
    const init = Number(readFileSync(join(sb.dir, 'pid'), 'utf8'));
    const pids = JSON.parse(sb.run(['ps', '--format', 'json', 'pk']).stdout) as number[];
    expect(pids).toHaveLength(3);
    expect(pids).toContain(init);
    for (const p of pids) expect(readFileSync(`/proc/${p}/cmdline`, 'utf8')).toMatch(/^(sh|sleep)\0/);
    expect(cgroupDirs('pk').length).toBeGreaterThan(0);
    expect(sb.run(['kill', '--all', 'pk', 'KILL']).code).toBe(0);
    await until(() => JSON.parse(sb.run(['state', 'pk']).stdout).status === 'stopped');
    for (const p of pids) expect(existsSync(`/proc/${p}/cmdline`) && !readFileSync(`/proc/${p}/stat`, 'utf8').includes(') Z')).toBe(false);
    expect(sb.run(['delete', 'pk']).code).toBe(0);
    expect(cgroupDirs('pk')).toEqual([]);
  });

  it('without a cgroup namespace the container sees its own cgroup and limits, not the host\'s tree', () => {
    const b = sb.bundle('b', ['sh', '-c', `cat ${innerFile('memory', 'memory.limit_in_bytes', 'memory.max')} ${innerFile('pids', 'pids.max', 'pids.max')}; ls ${V2 ? '/sys/fs/cgroup' : '/sys/fs/cgroup/memory'} | grep -c "^tsrun$" || true`], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'cgroup');
      s.linux!.resources = { memory: { limit: 64 * MiB }, pids: { limit: 50 } };
    });
    const r = sb.run(['run', '-b', b, 'own']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${64 * MiB}\n50\n0\n`);
  });

  it('a value the kernel refuses is an error naming the field, and create leaves nothing behind', () => {
    const b = sb.bundle('b', ['true'], (s) => (s.linux!.resources = { cpu: { cpus: '999' } }));
    const r = sb.run(['create', '-b', b, 'bad']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/linux.resources.cpu.cpus/);
    expect(existsSync(join(sb.root, 'bad'))).toBe(false);
    expect(cgroupDirs('bad')).toEqual([]);
  });
});
