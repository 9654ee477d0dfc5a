// Resource control end to end: real containers, real cgroups (v1 here; v2 in the VM).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
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
    // 0 until the shell has written its first count (a slow guest starts it late).
    const count = () => { try { return Number(readFileSync(join(b, 'rootfs/tmp/count'), 'utf8') || 0); } catch { return 0; } };
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

/**
 * What kubelet (through containerd 2.x's CRI) and containerd put in linux.resources on a cgroup v2 node,
 * on real containers: unified keys (memory.oom.group, memory.high, memory.min), cpu shares as runc's
 * weight, CFS burst, cpu.idle, rdma, and `update --resources` of a running container (in-place pod
 * resize). Pure cgroup v2 only (the v2 guest of `npm test`).
 */
const skipV2 = skip || skipReason(!V2 ? 'cgroup v2 resources (kubelet/containerd): this host is not pure cgroup v2 (npm test runs them in its v2 guest pass)' : undefined);
describe.skipIf(skipV2)('cgroup v2: what kubelet and containerd pass', () => {
  const cg = (id: string, f: string) => readFileSync(`${v2Dir(id)}/${f}`, 'utf8').trim();
  /**
   * An RDMA device's name: the first one the kernel has, or with TSRUN_TEST_SOFT_RDMA=1 (set by the v2
   * guest pass of npm test: the guest is thrown away) a soft-RoCE one (rdma_rxe on a dummy netdev).
   */
  let soft = false;
  function rdmaDevice(): string | undefined {
    const have = () => (existsSync('/sys/class/infiniband') ? readdirSync('/sys/class/infiniband')[0] : undefined);
    if (have() || process.env.TSRUN_TEST_SOFT_RDMA !== '1' || !which('rdma') || !which('ip') || !which('modprobe')) return have();
    for (const m of ['rdma_rxe', 'crc32_generic', 'dummy']) spawnSync('modprobe', [m]);
    spawnSync('ip', ['link', 'add', 'tsrun-rdma0', 'type', 'dummy']);
    spawnSync('ip', ['link', 'set', 'tsrun-rdma0', 'up']);
    soft = spawnSync('rdma', ['link', 'add', 'tsrun-rxe0', 'type', 'rxe', 'netdev', 'tsrun-rdma0']).status === 0;
    return have();
  }
  afterAll(() => {
    if (soft) spawnSync('rdma', ['link', 'delete', 'tsrun-rxe0']);
    if (process.env.TSRUN_TEST_SOFT_RDMA === '1') spawnSync('ip', ['link', 'del', 'tsrun-rdma0']);
  });

  it('applies unified keys, cpu shares as runc >= 1.3.2 weights, quota with burst, and pids', () => {
    const b = sb.bundle('b', ['sleep', '100'], (s) => {
      s.linux!.resources = {
        memory: { limit: 64 * MiB, swap: 64 * MiB },
        cpu: { shares: 2000, quota: 50000, period: 100000, burst: 20000 },
        pids: { limit: 50 },
        unified: { 'memory.oom.group': '1', 'memory.high': String(48 * MiB), 'memory.min': String(4 * MiB) },
      };
    });
    const r = sb.run(['run', '-d', '-b', b, 'kube']);
    expect(r.code, r.stderr).toBe(0);
    expect(cg('kube', 'memory.max')).toBe(String(64 * MiB));
    expect(cg('kube', 'memory.swap.max')).toBe('0');
    expect(cg('kube', 'memory.oom.group')).toBe('1');
    expect(cg('kube', 'memory.high')).toBe(String(48 * MiB));
    expect(cg('kube', 'memory.min')).toBe(String(4 * MiB));
    expect(cg('kube', 'cpu.weight')).toBe('170'); // runc 1.4 (and 1.3.2+); runc <= 1.3.1 wrote 77
    expect(cg('kube', 'cpu.max')).toBe('50000 100000');
    expect(cg('kube', 'cpu.max.burst')).toBe('20000');
    expect(cg('kube', 'pids.max')).toBe('50');
  });

  it('sets cpu.idle (SCHED_IDLE for the whole group)', () => {
    const b = sb.bundle('b', ['sleep', '100'], (s) => { s.linux!.resources = { cpu: { idle: 1 } }; });
    const r = sb.run(['run', '-d', '-b', b, 'idle']);
    expect(r.code, r.stderr).toBe(0);
    expect(cg('idle', 'cpu.idle')).toBe('1');
  });

  it('refuses a unified key of a controller the cgroup lacks, or a path, naming the key; create leaves nothing', () => {
    for (const [key, msg] of [['nosuch.max', /controller "nosuch" not available/], ['../cgroup.procs', /must be a file name/]] as const) {
      const b = sb.bundle(`b-${key.length}`, ['true'], (s) => { s.linux!.resources = { unified: { [key]: '1' } }; });
      const r = sb.run(['create', '-b', b, 'uni']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).toContain(`linux.resources.unified["${key}"]`);
      expect(existsSync(join(sb.root, 'uni'))).toBe(false);
      expect(cgroupDirs('uni')).toEqual([]);
    }
  });

  it('writes rdma.max for an RDMA device, and names the field when the kernel has no such device', () => {
    const r0 = sb.run(['create', '-b', sb.bundle('b0', ['true'], (s) => { s.linux!.resources = { rdma: { nosuch0: { hcaHandles: 2 } } }; }), 'rdma0']);
    expect(r0.code).toBe(1);
    expect(r0.stderr).toMatch(/linux\.resources\.rdma\.nosuch0.*(no such device|ENODEV)/i);
    expect(cgroupDirs('rdma0')).toEqual([]);
    const dev = rdmaDevice();
    if (!dev) return void console.log('rdma: no RDMA device here (TSRUN_TEST_SOFT_RDMA=1 makes a soft-RoCE one in a throwaway guest): only the error path was checked');
    const b = sb.bundle('b', ['sleep', '100'], (s) => { s.linux!.resources = { rdma: { [dev]: { hcaHandles: 2, hcaObjects: 100 } } }; });
    const r = sb.run(['run', '-d', '-b', b, 'rdma']);
    expect(r.code, r.stderr).toBe(0);
    expect(cg('rdma', 'rdma.max')).toBe(`${dev} hca_handle=2 hca_object=100`);
  });

  it('resizes a running container in place: update --resources (containerd) and runc\'s flags', () => {
    const b = sb.bundle('b', ['sleep', '100'], (s) => {
      s.linux!.resources = { memory: { limit: 64 * MiB, swap: 64 * MiB }, cpu: { shares: 1024, quota: 50000, period: 100000 }, pids: { limit: 50 } };
    });
    expect(sb.run(['run', '-d', '-b', b, 'rsz']).code).toBe(0);
    expect(cg('rsz', 'cpu.weight')).toBe('100');
    // containerd's UpdateContainerResources: the container's whole LinuxResources as JSON.
    const file = join(sb.dir, 'resources.json');
    writeFileSync(file, JSON.stringify({
      memory: { limit: 128 * MiB, swap: 128 * MiB }, cpu: { shares: 512, quota: 150000, period: 100000 }, pids: { limit: 80 },
      unified: { 'memory.high': String(120 * MiB) },
    }));
    let r = sb.run(['update', '--resources', file, 'rsz']);
    expect(r.code, r.stderr).toBe(0);
    expect(cg('rsz', 'memory.max')).toBe(String(128 * MiB));
    expect(cg('rsz', 'memory.swap.max')).toBe('0');
    expect(cg('rsz', 'memory.high')).toBe(String(120 * MiB));
    expect(cg('rsz', 'cpu.weight')).toBe('59');
    expect(cg('rsz', 'cpu.max')).toBe('150000 100000');
    expect(cg('rsz', 'pids.max')).toBe('80');
    // runc update's flags: what is not given keeps its value (the period, the weight).
    r = sb.run(['update', '--memory', '96m', '--memory-swap', '96m', '--cpu-quota', '30000', '--cpu-burst', '10000', '--pids-limit', '30', 'rsz']);
    expect(r.code, r.stderr).toBe(0);
    expect(cg('rsz', 'memory.max')).toBe(String(96 * MiB));
    expect(cg('rsz', 'cpu.max')).toBe('30000 100000');
    expect(cg('rsz', 'cpu.max.burst')).toBe('10000');
    expect(cg('rsz', 'cpu.weight')).toBe('59');
    expect(cg('rsz', 'pids.max')).toBe('30');
    expect(sb.run(['update', '--cpu-share', '2048', 'rsz']).code).toBe(0);
    expect(cg('rsz', 'cpu.weight')).toBe('174');
    // The stored resources follow: events --stats reports the new limits.
    const stats = JSON.parse(sb.run(['events', '--stats', 'rsz']).stdout);
    expect(stats.data.memory.usage.limit).toBe(96 * MiB);
    expect(stats.data.pids.limit).toBe(30);
    // Below the current usage the kernel reclaims or OOM-kills; a limit the kernel refuses names the field.
    r = sb.run(['update', '--cpu-quota', '500', 'rsz']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/linux\.resources\.cpu\.quota/);
  });

  it('memory.oom.group=1: an OOM kills the whole container, and events reports it promptly and ends', async () => {
    const b = sb.bundle('b', ['sh', '-c', 'sleep 100 & echo up > /tmp/up; while [ ! -e /tmp/go ]; do sleep 0.05; done; dd if=/dev/zero of=/dev/null bs=64M count=1; echo survived > /tmp/survived; sleep 100'], (s) => {
      s.linux!.resources = { memory: { limit: 32 * MiB, swap: 32 * MiB }, unified: { 'memory.oom.group': '1' } };
    });
    expect(sb.run(['run', '-d', '-b', b, 'oomg']).code).toBe(0);
    await until(() => existsSync(join(b, 'rootfs/tmp/up')));
    // A long interval: only a change of memory.events / cgroup.events wakes events up.
    const out = join(sb.dir, 'events.out');
    const ev = spawn('/bin/sh', ['-c', `exec ${TSRUN} --root ${sb.root} events --interval 60s oomg > ${out} 2>&1`]);
    const ended = new Promise<number>((res) => ev.once('exit', () => res(Date.now())));
    try {
      // Let the container allocate once events watches (its inotify fd is open).
      const watching = () => { try { return readdirSync(`/proc/${ev.pid}/fd`).some((fd) => { try { return readlinkSync(`/proc/${ev.pid}/fd/${fd}`) === 'anon_inode:inotify'; } catch { return false; } }); } catch { return false; } };
      await until(watching, 20_000);
      writeFileSync(join(b, 'rootfs/tmp/go'), '');
      await until(() => JSON.parse(sb.run(['state', 'oomg']).stdout).status === 'stopped', 20_000);
      const stoppedAt = Date.now();
      const endAt = await Promise.race([ended, wait(5000).then(() => 0)]);
      expect(endAt, 'events ended once the cgroup emptied').toBeGreaterThan(0);
      console.log(`events ended ${endAt - stoppedAt} ms after state said stopped`);
      // On the systemd driver (systemd 252) the scope's cgroup is removed as soon as the group kill
      // empties it, and under emulation that can come before events has read memory.events: an open
      // limit (issue note), not checked here; the kill itself is.
      if (SYSTEMD_CGROUP) console.log('systemd driver: the oom event itself is not asserted (the scope may be gone before events reads memory.events)');
      else expect(readFileSync(out, 'utf8')).toMatch(/"type":"oom"/);
    } finally {
      ev.kill('SIGTERM');
    }
    expect(existsSync(join(b, 'rootfs/tmp/survived'))).toBe(false);
  });
});
