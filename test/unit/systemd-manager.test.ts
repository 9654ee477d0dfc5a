// The systemd manager against a fake systemd and a fake cgroup2 tree: what it asks systemd for and
// when (the unit at adopt, with the init's pid; resources as properties, then the files), the retry
// of a leftover unit, stop and reset at destroy.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SystemdManager, type SystemdApi } from '../../src/cgroups/systemd/manager.js';
import type { Property } from '../../src/cgroups/systemd/properties.js';
import { DBusError } from '../../src/dbus/connection.js';

let root = '';
beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'tsrun-sdm-')); });
afterEach(() => rmSync(root, { recursive: true, force: true }));

const V2_FILES = { 'cgroup.controllers': 'cpu memory pids', 'cgroup.procs': '', 'memory.max': 'max', 'pids.max': 'max', 'cpu.max': 'max 100000', 'cpu.weight': '100', 'memory.low': '0', 'cgroup.freeze': '0' };

/** A systemd that records the calls and makes the scope's directory as the real one does. */
function fakeSystemd(dir: string, opts: { exists?: number; result?: string } = {}) {
  const calls: [string, ...unknown[]][] = [];
  let exists = opts.exists ?? 0;
  const api: SystemdApi = {
    managerVersion: () => 252,
    startTransient: (unit: string, props: Property[]) => {
      calls.push(['start', unit, props]);
      if (exists-- > 0) throw new DBusError('org.freedesktop.systemd1.UnitExists', `Unit ${unit} was already loaded or has a fragment file.`);
      mkdirSync(dir, { recursive: true });
      for (const [f, v] of Object.entries(V2_FILES)) writeFileSync(join(dir, f), v);
      return opts.result ?? 'done';
    },
    stop: (unit: string) => { calls.push(['stop', unit]); rmSync(dir, { recursive: true, force: true }); return 'done'; },
    resetFailed: (unit: string) => { calls.push(['reset', unit]); },
    setProperties: (unit: string, props: Property[]) => { calls.push(['set', unit, props]); },
    attach: (unit: string, sub: string, pids: number[]) => { calls.push(['attach', unit, sub, pids]); },
  };
  return { api, calls };
}
const names = (props: unknown) => Object.fromEntries((props as Property[]).map(([k, v]) => [k, v.value]));

describe('SystemdManager', () => {
  it('starts the unit only at adopt, with runc\'s properties and the pid, then writes the limits', () => {
    const dir = join(root, 'system.slice/tsrun-c1.scope');
    const { api, calls } = fakeSystemd(dir);
    const m = new SystemdManager({ unit: 'tsrun-c1.scope', name: 'c1', slice: 'system.slice', path: dir, mount: root, bus: 'system', systemd: api, annotations: { 'org.systemd.property.TimeoutStopSec': '3' } });
    expect(m.joinTargets()).toEqual({ tasks: [] }); // born outside: systemd moves it
    m.create({ memory: { limit: 1 << 26 }, cpu: { shares: 1024 } });
    expect(calls).toEqual([]);
    m.adopt(4242);
    expect(calls.map((c) => c[0])).toEqual(['start', 'set']);
    expect(names(calls[0][2])).toEqual({
      Description: 'libcontainer container c1', Slice: 'system.slice', Delegate: true, PIDs: [4242],
      MemoryAccounting: true, CPUAccounting: true, IOAccounting: true, TasksAccounting: true, DefaultDependencies: false,
      TimeoutStopUSec: 3000000n,
    });
    expect(names(calls[1][2])).toEqual({ MemoryMax: 1n << 26n, CPUWeight: 100n });
    expect(readFileSync(join(dir, 'memory.max'), 'utf8')).toBe(String(1 << 26));
    expect(m.joinTargets()).toEqual({ into: dir, tasks: [] });
    expect(m.unit).toEqual({ unit: 'tsrun-c1.scope', bus: 'system' });
    m.update({ pids: { limit: 5 } });
    expect(names(calls[2][2])).toEqual({ TasksMax: 5n });
    expect(readFileSync(join(dir, 'pids.max'), 'utf8')).toBe('5');
    m.destroy({ force: true });
    expect(calls.slice(3).map((c) => c[0])).toEqual(['stop', 'reset']);
    expect(existsSync(dir)).toBe(false);
  });

  it('resets a leftover unit of that name and tries once more, as runc', () => {
    const dir = join(root, 'system.slice/x.scope');
    const once = fakeSystemd(dir, { exists: 1 });
    new SystemdManager({ unit: 'x.scope', slice: 'system.slice', path: dir, mount: root, bus: 'system', systemd: once.api }).adopt(1);
    expect(once.calls.map((c) => c[0])).toEqual(['start', 'reset', 'start']);
    const twice = fakeSystemd(join(root, 'y'), { exists: 2 });
    const m = new SystemdManager({ unit: 'x.scope', slice: 'system.slice', path: join(root, 'y'), mount: root, bus: 'system', systemd: twice.api });
    expect(() => m.adopt(1)).toThrow(/start the systemd unit x.scope.*another container has this cgroupsPath/);
  });

  it('says a failed job in runc\'s words, and resets the unit', () => {
    const f = fakeSystemd(join(root, 's'), { result: 'failed' });
    const m = new SystemdManager({ unit: 'z.scope', slice: 'system.slice', path: join(root, 's'), mount: root, bus: 'system', systemd: f.api });
    expect(() => m.adopt(1)).toThrow('error creating systemd unit `z.scope`: got `failed`');
    expect(f.calls.map((c) => c[0])).toEqual(['start', 'reset']);
  });

  it('makes a slice wanted by its parent, without Delegate', () => {
    const f = fakeSystemd(join(root, 'a.slice'));
    new SystemdManager({ unit: 'a.slice', slice: 'system.slice', path: join(root, 'a.slice'), mount: root, bus: 'system', systemd: f.api }).adopt(7);
    const p = names(f.calls[0][2]);
    expect(p.Wants).toEqual(['system.slice']);
    expect(p.Slice).toBeUndefined();
    expect(p.Delegate).toBeUndefined();
  });

  it('checks annotations at create, before anything is spawned', () => {
    const f = fakeSystemd(join(root, 'q'));
    const m = new SystemdManager({ unit: 'q.scope', slice: 'system.slice', path: join(root, 'q'), mount: root, bus: 'system', systemd: f.api, annotations: { 'org.systemd.property.X': 'true' } });
    expect(() => m.create()).toThrow(/name incorrect: too short/);
    expect(f.calls).toEqual([]);
  });
});

describe('connectSystemd', () => {
  it('names --systemd-cgroup and the bus when there is no bus', async () => {
    const { connectSystemd } = await import('../../src/cgroups/systemd/manager.js');
    const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    process.env.DBUS_SYSTEM_BUS_ADDRESS = `unix:path=${join(root, 'no-bus')}`;
    try {
      expect(() => connectSystemd('system')).toThrow(new RegExp(`^--systemd-cgroup: cannot reach systemd over D-Bus at ${join(root, 'no-bus')} \\(DBUS_SYSTEM_BUS_ADDRESS\\): .*(no such file|ENOENT).*; the systemd cgroup driver needs`, 'i'));
      process.env.DBUS_SYSTEM_BUS_ADDRESS = 'tcp:host=localhost,port=1';
      expect(() => connectSystemd('system')).toThrow(/no unix:path= in the bus address/);
    } finally {
      if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
      else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
    }
  });
});
