// The cgroup managers on this host's real cgroupfs (root): a cgroup under /tsrun-test-<random>, a
// `sleep` we start moved into it, limits written and read back, freeze/thaw, pids, the CLI handlers
// (pause, resume, update, ps, events) on a hand-made state record, kill and destroy. Everything the
// test makes is removed, whatever happens.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stdout as cliStdout } from '../../src/cli/context.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { detectHost } from '../../src/cgroups/detect.js';
import { cgroupManager, cgroupRecord, type CgroupManager } from '../../src/cgroups/manager.js';
import { eventsCmd, pauseCmd, psCmd, resumeCmd, updateCmd } from '../../src/cli/cmd/cgroup-cmds.js';
import type { Ctx } from '../../src/cli/context.js';
import { Logger } from '../../src/io/log.js';
import { StateStore, type ContainerRecord } from '../../src/state/store.js';
import { isRoot, skipReason } from '../helpers/env.js';

const host = isRoot ? detectHost() : undefined;
const skip = skipReason(!isRoot ? 'cgroup integration tests need root' : undefined);
const parent = `/tsrun-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const inner = `${parent}/c1`;

let child: ChildProcess;
let mgr: CgroupManager;
let stateRoot: string;
const log = new Logger({ format: 'text', debug: false });

function parentDirs(): string[] {
  if (!host) return [];
  const mounts = host.mode === 'v2' ? [host.unified!] : [...new Set(Object.values(host.v1)), ...(host.unified ? [host.unified] : [])];
  return mounts.map((m) => join(m, parent));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what: string, fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function ctxFor(args: string[], flags: Ctx['flags'] = {}): Ctx {
  return { globals: { root: stateRoot, logFormat: 'text', debug: false, systemdCgroup: false, rootless: 'auto' }, flags, args, log, store: new StateStore(stateRoot) };
}

async function captureStdout(fn: () => unknown): Promise<string> {
  const chunks: string[] = [];
  const spy = vi.spyOn(cliStdout, 'write').mockImplementation((c: string) => { chunks.push(c); });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

const v = (controller: string, file: string) => readFileSync(join(mgr.paths()[mgr.version === 2 ? '' : controller], file), 'utf8').trim();

describe.skipIf(skip)('cgroups on this host', () => {
  beforeAll(() => {
    stateRoot = mkdtempSync(join(tmpdir(), 'tsrun-cg-state-'));
    child = spawn('sleep', ['60'], { stdio: 'ignore' });
  });

  afterAll(async () => {
    try { child.kill('SIGKILL'); } catch {}
    await sleep(50);
    try { mgr?.destroy({ force: true }); } catch {}
    for (const d of parentDirs()) {
      try { rmdirSync(d); } catch {}
    }
    rmSync(stateRoot, { recursive: true, force: true });
    for (const d of parentDirs()) expect(existsSync(d), `${d} left behind`).toBe(false);
  });

  it('creates the cgroup with limits and moves a process into it', () => {
    mgr = cgroupManager({ id: 'c1', cgroupsPath: inner, log });
    expect(mgr.version).toBe(host!.mode === 'v2' ? 2 : 1);
    mgr.create({
      devices: [{ allow: false, access: 'rwm' }],
      memory: { limit: 64 * 1024 * 1024, swap: 128 * 1024 * 1024, reservation: 0 },
      cpu: { shares: 512, quota: 50000, period: 100000 },
      pids: { limit: 10 },
    });
    mgr.join(child.pid!);
    const cg = readFileSync(`/proc/${child.pid}/cgroup`, 'utf8');
    if (mgr.version === 1) {
      expect(cg).toMatch(new RegExp(`:memory:${inner}\\n`));
      expect(cg).toMatch(new RegExp(`:pids:${inner}\\n`));
      expect(v('memory', 'memory.limit_in_bytes')).toBe(String(64 * 1024 * 1024));
      expect(v('memory', 'memory.memsw.limit_in_bytes')).toBe(String(128 * 1024 * 1024));
      expect(v('cpu', 'cpu.shares')).toBe('512');
      expect(v('cpu', 'cpu.cfs_quota_us')).toBe('50000');
      expect(v('pids', 'pids.max')).toBe('10');
      const devices = v('devices', 'devices.list').split('\n');
      expect(devices).toContain('c 1:3 rwm');
      expect(devices).toContain('c 136:* rwm');
      expect(devices).not.toContain('a *:* rwm');
      expect(v('cpuset', 'cpuset.cpus')).not.toBe('');
    } else {
      expect(cg).toBe(`0::${inner}\n`);
      expect(v('', 'memory.max')).toBe(String(64 * 1024 * 1024));
      expect(v('', 'memory.swap.max')).toBe(String(64 * 1024 * 1024));
      expect(v('', 'cpu.weight')).toBe('59');
      expect(v('', 'cpu.max')).toBe('50000 100000');
      expect(v('', 'pids.max')).toBe('10');
    }
    expect(mgr.pids()).toEqual([child.pid]);
  });

  it('names the field when the kernel refuses a value', () => {
    expect(() => mgr.update({ cpu: { quota: 500 } })).toThrow(/linux.resources.cpu.quota.*invalid argument/);
    expect(() => mgr.update({ cpu: { cpus: '4096' } })).toThrow(/linux.resources.cpu.cpus/);
  });

  it('freezes and thaws', async () => {
    mgr.freeze();
    expect(mgr.isFrozen()).toBe(true);
    if (mgr.version === 1) expect(v('freezer', 'freezer.state')).toBe('FROZEN');
    else expect(v('', 'cgroup.events')).toMatch(/frozen 1/);
    mgr.thaw();
    expect(mgr.isFrozen()).toBe(false);
  });

  it('serves pause, resume, update, ps and events from a state record', async () => {
    const store = new StateStore(stateRoot);
    store.createDir('c1');
    const rec: ContainerRecord = {
      ociVersion: '1.3.0', id: 'c1', status: 'running', pid: child.pid!, bundle: '/nonexistent', rootfs: '/nonexistent/rootfs',
      created: new Date().toISOString(), owner: '', tsrun: { cgroup: cgroupRecord(mgr, { memory: { limit: 64 * 1024 * 1024, swap: 128 * 1024 * 1024 }, cpu: { quota: 50000, period: 100000 } }) },
    };
    store.write(rec);
    expect(await pauseCmd(ctxFor(['c1']))).toBe(0);
    expect(store.status(store.read('c1'))).toBe('paused');
    expect(mgr.isFrozen()).toBe(true);
    await expect(pauseCmd(ctxFor(['c1']))).rejects.toThrow(/pause c1: container not running/);
    expect(await resumeCmd(ctxFor(['c1']))).toBe(0);
    expect(store.status(store.read('c1'))).toBe('running');
    await expect(resumeCmd(ctxFor(['c1']))).rejects.toThrow(/container not paused/);

    expect(await updateCmd(ctxFor(['c1'], { memory: '32m', 'cpu-quota': '20000', 'pids-limit': 20 }))).toBe(0);
    const file = join(stateRoot, 'res.json');
    writeFileSync(file, JSON.stringify({ memory: { limit: 67108864, reservation: 0, swap: 134217728, kernel: 0 }, cpu: { shares: 0, quota: 0, period: 0 }, blockIO: { weight: 0 } }));
    if (mgr.version === 1) {
      expect(v('memory', 'memory.limit_in_bytes')).toBe(String(32 * 1024 * 1024));
      expect(v('cpu', 'cpu.cfs_quota_us')).toBe('20000');
      expect(v('cpu', 'cpu.cfs_period_us')).toBe('100000');
      expect(v('pids', 'pids.max')).toBe('20');
      expect(await updateCmd(ctxFor(['c1'], { resources: file }))).toBe(0);
      expect(v('memory', 'memory.limit_in_bytes')).toBe(String(64 * 1024 * 1024));
      expect(v('memory', 'memory.memsw.limit_in_bytes')).toBe(String(128 * 1024 * 1024));
      expect(v('cpu', 'cpu.cfs_quota_us')).toBe('20000'); // zeros mean unset
    } else {
      expect(v('', 'memory.max')).toBe(String(32 * 1024 * 1024));
      expect(v('', 'memory.swap.max')).toBe(String(96 * 1024 * 1024)); // stored memory+swap 128M minus 32M
      expect(v('', 'cpu.max')).toBe('20000 100000');
      expect(v('', 'pids.max')).toBe('20');
      expect(await updateCmd(ctxFor(['c1'], { resources: file }))).toBe(0);
      expect(v('', 'memory.max')).toBe(String(64 * 1024 * 1024));
      expect(v('', 'memory.swap.max')).toBe(String(64 * 1024 * 1024));
    }
    writeFileSync(file, '{"memory":{"limit":"lots"}}');
    await expect(updateCmd(ctxFor(['c1'], { resources: file }))).rejects.toThrow(/update c1: .*res.json/);

    expect(await captureStdout(() => psCmd(ctxFor(['c1'], { format: 'json' })))).toBe(`[${child.pid}]\n`);
    const table = await captureStdout(() => psCmd(ctxFor(['c1'])));
    expect(table.split('\n')[0]).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    expect(table).toMatch(new RegExp(`\\n\\S+\\s+${child.pid}\\s+${process.pid}\\s+\\d+\\s+\\S+\\s+\\S+\\s+\\d\\d:\\d\\d:\\d\\d sleep 60\\n`));

    const ev = JSON.parse(await captureStdout(() => eventsCmd(ctxFor(['c1'], { stats: true }))));
    expect(ev.type).toBe('stats');
    expect(ev.id).toBe('c1');
    expect(ev.data.pids.current).toBe(1);
    expect(ev.data.pids.limit).toBe(20);
    expect(ev.data.memory.usage.limit).toBe(64 * 1024 * 1024);
    expect(ev.data.cpu.usage).toHaveProperty('user');
    await expect(eventsCmd(ctxFor(['nope'], { stats: true }))).rejects.toThrow(/container "nope" does not exist/);
  });

  it('streams stats every interval and reports an OOM kill', async () => {
    const c2 = cgroupManager({ id: 'c2', cgroupsPath: `${parent}/c2`, log });
    const hog = spawn('sh', ['-c', 'sleep 0.3; exec tail /dev/zero'], { stdio: 'ignore' });
    try {
      c2.create({ memory: { limit: 16 * 1024 * 1024, swap: 16 * 1024 * 1024 } });
      c2.join(hog.pid!);
      c2.join(child.pid!); // keeps the cgroup populated after the OOM kill
      const store = new StateStore(stateRoot);
      store.createDir('c2');
      store.write({ ociVersion: '1.3.0', id: 'c2', status: 'running', pid: child.pid!, bundle: '/x', rootfs: '/x/rootfs', created: new Date().toISOString(), owner: '', tsrun: { cgroup: cgroupRecord(c2) } });
      setTimeout(() => { try { c2.kill(9); } catch {} }, 1500);
      const text = await captureStdout(() => eventsCmd(ctxFor(['c2'], { interval: '200ms' })));
      const events = text.trim().split('\n').map((l) => JSON.parse(l));
      expect(events.filter((e) => e.type === 'stats').length).toBeGreaterThanOrEqual(3);
      expect(events).toContainEqual({ type: 'oom', id: 'c2' });
    } finally {
      try { hog.kill('SIGKILL'); } catch {}
      await waitFor('c2 to empty', () => c2.pids().length === 0);
      c2.destroy({ force: true });
    }
  });

  it('reports an OOM kill promptly and ends when the cgroup empties (inotify on v2, 200 ms polls on v1)', async () => {
    const c3 = cgroupManager({ id: 'c3', cgroupsPath: `${parent}/c3`, log });
    const keeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    let hog: ChildProcess | undefined;
    try {
      c3.create({ memory: { limit: 16 * 1024 * 1024, swap: 16 * 1024 * 1024 } });
      c3.join(keeper.pid!); // keeps the cgroup populated after the OOM kill
      const store = new StateStore(stateRoot);
      store.createDir('c3');
      store.write({ ociVersion: '1.3.0', id: 'c3', status: 'running', pid: keeper.pid!, bundle: '/x', rootfs: '/x/rootfs', created: new Date().toISOString(), owner: '', tsrun: { cgroup: cgroupRecord(c3) } });
      // A long interval: no stats tick wakes the loop, only the OOM does.
      const seen: { type: string; at: number }[] = [];
      const spy = vi.spyOn(cliStdout, 'write').mockImplementation((c: string) => { for (const l of c.trim().split('\n')) seen.push({ type: JSON.parse(l).type, at: Date.now() }); });
      let oomAt = 0;
      let killedAt = 0;
      const watcher = setInterval(() => {
        if (!oomAt && (c3.oomKills() ?? 0) > 0) {
          oomAt = Date.now();
          killedAt = oomAt + 300;
          setTimeout(() => { try { c3.kill(9); } catch {} }, 300);
        }
      }, 5);
      try {
        const done = eventsCmd(ctxFor(['c3'], { interval: '60s' }));
        await sleep(200); // the loop is waiting
        hog = spawn('sh', ['-c', `echo $$ > ${c3.paths()[c3.version === 2 ? '' : 'memory']}/cgroup.procs; exec tail /dev/zero`], { stdio: 'ignore' });
        await done;
      } finally {
        clearInterval(watcher);
        spy.mockRestore();
      }
      const ooms = seen.filter((e) => e.type === 'oom');
      if (ooms.length) console.log(`cgroup v${c3.version}: oom event ${ooms[0].at - oomAt} ms after the kill count rose`);
      expect(ooms.length).toBeGreaterThanOrEqual(1);
      expect(oomAt).toBeGreaterThan(0);
      // The test's own 5 ms poll and the command share one event loop: allow for a slow (TCG) guest.
      expect(ooms[0].at - oomAt, 'oom event latency (ms)').toBeLessThan(500);
      expect(Date.now() - killedAt, 'end after the cgroup emptied (ms)').toBeLessThan(1500);
    } finally {
      try { hog?.kill('SIGKILL'); } catch {}
      try { keeper.kill('SIGKILL'); } catch {}
      await waitFor('c3 to empty', () => c3.pids().length === 0);
      c3.destroy({ force: true });
    }
  });

  it('kills every process and removes the cgroup', async () => {
    child = spawn('sleep', ['60'], { stdio: 'ignore' });
    mgr.join(child.pid!);
    const exited = new Promise((r) => child.once('exit', r));
    mgr.kill(9);
    await exited;
    await waitFor('the cgroup to empty', () => mgr.pids().length === 0);
    mgr.destroy();
    expect(mgr.exists()).toBe(false);
    for (const p of Object.values(mgr.paths())) expect(existsSync(p)).toBe(false);
    const ps = await captureStdout(() => psCmd(ctxFor(['c1'], { format: 'json' })));
    expect(ps).toBe('null\n');
  });
});
