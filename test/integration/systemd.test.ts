// The systemd cgroup driver end to end (--systemd-cgroup): needs a host booted with systemd, its D-Bus
// system bus and cgroup v2 (the guest of `v2vm.sh --systemd`; scripts/test.mjs runs it there).
// Unit properties are read over tsrun's own D-Bus client; `systemctl show` observes them too.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isRoot, skipReason, which } from '../helpers/env.js';
import { Sandbox } from '../helpers/sandbox.js';
import { TestUser, testUserUnavailable } from '../helpers/test-user.js';
import { connectSystemd } from '../../src/cgroups/systemd/manager.js';
import type { Systemd } from '../../src/cgroups/systemd/systemd1.js';
import { DBusError } from '../../src/dbus/connection.js';

const BUS = process.env.DBUS_SYSTEM_BUS_ADDRESS?.replace(/^unix:path=/, '') || '/run/dbus/system_bus_socket';
const V2 = existsSync('/sys/fs/cgroup/cgroup.controllers') && !existsSync('/sys/fs/cgroup/memory');
const skip = skipReason(
  !isRoot ? 'integration tests need root'
    : !which('busybox') ? 'busybox-static is not installed'
      : !existsSync('/run/systemd/system') ? 'the host is not booted with systemd (run it in `v2vm.sh --systemd`)'
        : !existsSync(BUS) ? `no D-Bus system bus at ${BUS}`
          : !V2 ? 'the systemd driver needs cgroup v2' : undefined,
);

const MiB = 1024 * 1024;
const SCOPE = 'org.freedesktop.systemd1.Scope';
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(f: () => T | undefined | false, ms = 20_000): Promise<T> {
  for (const t0 = Date.now(); ; await wait(50)) {
    const v = f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out');
  }
}
const scopeDir = (unit: string, slice = '/system.slice') => `/sys/fs/cgroup${slice}/${unit}`;
const read = (p: string) => readFileSync(p, 'utf8').trim();
const show = (unit: string, ...props: string[]) => spawnSync('systemctl', ['show', unit, ...props.map((p) => `-p${p}`)], { encoding: 'utf8' }).stdout;

let sb: Sandbox;
let sd: Systemd;
beforeAll(() => { if (!skip) sd = connectSystemd('system'); });
afterAll(() => sd?.conn.close());
// Its own flags only (not TSRUN_TEST_GLOBALS): some commands here are meant to run without --systemd-cgroup.
beforeEach(() => { sb = new Sandbox([]); });
afterEach(() => sb.cleanup());

/** Whether systemd knows the unit (loaded: running, or failed and not yet collected). */
function unitLoaded(unit: string): boolean {
  try {
    sd.conn.call({ destination: 'org.freedesktop.systemd1', path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'GetUnit', signature: 's', body: [unit] });
    return true;
  } catch (e) {
    if (e instanceof DBusError && e.dbusName === 'org.freedesktop.systemd1.NoSuchUnit') return false;
    throw e;
  }
}

describe.skipIf(skip)('the systemd cgroup driver', () => {
  it('a scope with MemoryMax and TasksMax holds the limits', async () => {
    const b = sb.bundle('b', ['sh', '-c', '(while true; do sleep 100 & done) 2>/dev/null; exec sleep 100'], (s) => {
      s.linux!.cgroupsPath = 'system.slice:tsrun:sd1';
      s.linux!.resources = { memory: { limit: 64 * MiB }, pids: { limit: 10 } };
    });
    const r = sb.run(['--systemd-cgroup', 'run', '-d', '-b', b, 'sd1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const unit = 'tsrun-sd1.scope';
    expect(sd.unitProperty(unit, SCOPE, 'MemoryMax')).toBe(BigInt(64 * MiB));
    expect(sd.unitProperty(unit, SCOPE, 'TasksMax')).toBe(10n);
    expect(sd.unitProperty(unit, SCOPE, 'Delegate')).toBe(true);
    expect(sd.unitProperty(unit, SCOPE, 'Slice')).toBe('system.slice');
    expect(sd.unitProperty(unit, SCOPE, 'ControlGroup')).toBe('/system.slice/tsrun-sd1.scope');
    expect(sd.unitProperty(unit, 'org.freedesktop.systemd1.Unit', 'Description')).toBe('libcontainer container sd1');
    expect(show(unit, 'MemoryMax', 'TasksMax')).toBe(`MemoryMax=${64 * MiB}\nTasksMax=10\n`);
    // The limits hold in the files; the fork loop stops at 10 (init, subshell, 8 sleeps).
    const dir = scopeDir(unit);
    expect(read(join(dir, 'memory.max'))).toBe(String(64 * MiB));
    expect(read(join(dir, 'pids.max'))).toBe('10');
    await until(() => /^max [1-9]/.test(read(join(dir, 'pids.events'))));
    expect(Number(read(join(dir, 'pids.current')))).toBeLessThanOrEqual(10);
    // Every process of the container is in the scope.
    const pids = JSON.parse(sb.run(['ps', '--format', 'json', 'sd1']).stdout) as number[];
    expect(pids.length).toBeGreaterThan(1);
    for (const p of pids) expect(read(`/proc/${p}/cgroup`)).toBe('0::/system.slice/tsrun-sd1.scope');
    // delete (without the flag: the record names the unit) stops the unit: nothing is left.
    expect(sb.run(['delete', '--force', 'sd1']).code).toBe(0);
    expect(unitLoaded(unit)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it('update sets the unit properties and the files; pause, resume and kill --all work on the scope', async () => {
    const b = sb.bundle('b', ['sleep', '1000'], (s) => {
      s.linux!.cgroupsPath = 'system.slice:tsrun:sd2';
      s.linux!.resources = { memory: { limit: 64 * MiB } };
    });
    expect(sb.run(['--systemd-cgroup', 'run', '-d', '-b', b, 'sd2']).code).toBe(0);
    const unit = 'tsrun-sd2.scope';
    const u = sb.run(['--systemd-cgroup', 'update', '--memory', String(96 * MiB), '--pids-limit', '50', '--cpu-quota', '12345', '--cpu-period', '100000', 'sd2']);
    expect(u.stderr).toBe('');
    expect(sd.unitProperty(unit, SCOPE, 'MemoryMax')).toBe(BigInt(96 * MiB));
    expect(sd.unitProperty(unit, SCOPE, 'TasksMax')).toBe(50n);
    // systemd keeps whole percents: 12.345% -> 13%, and cpu.max says the same.
    expect(sd.unitProperty(unit, SCOPE, 'CPUQuotaPerSecUSec')).toBe(130000n);
    const dir = scopeDir(unit);
    expect(read(join(dir, 'memory.max'))).toBe(String(96 * MiB));
    expect(read(join(dir, 'cpu.max'))).toBe('13000 100000');
    // update without --systemd-cgroup: the record names the unit.
    expect(sb.run(['update', '--memory', String(80 * MiB), 'sd2']).code).toBe(0);
    expect(sd.unitProperty(unit, SCOPE, 'MemoryMax')).toBe(BigInt(80 * MiB));
    expect(sb.run(['pause', 'sd2']).code).toBe(0);
    expect(read(join(dir, 'cgroup.freeze'))).toBe('1');
    expect(JSON.parse(sb.run(['state', 'sd2']).stdout).status).toBe('paused');
    expect(sb.run(['resume', 'sd2']).code).toBe(0);
    expect(read(join(dir, 'cgroup.freeze'))).toBe('0');
    expect(sb.run(['kill', '--all', 'sd2', 'KILL']).code).toBe(0);
    await until(() => JSON.parse(sb.run(['state', 'sd2']).stdout).status === 'stopped');
    expect(sb.run(['delete', 'sd2']).code).toBe(0);
    expect(unitLoaded(unit)).toBe(false);
  });

  it('exec lands in the scope', async () => {
    const b = sb.bundle('b', ['sleep', '1000'], (s) => { s.linux!.cgroupsPath = 'system.slice:tsrun:sd3'; });
    expect(sb.run(['--systemd-cgroup', 'run', '-d', '-b', b, 'sd3']).code).toBe(0);
    const e = sb.run(['--systemd-cgroup', 'exec', '-d', 'sd3', 'sleep', '999']);
    expect(e.code).toBe(0);
    await until(() => (JSON.parse(sb.run(['ps', '--format', 'json', 'sd3']).stdout) as number[]).length === 2);
    const procs = read(join(scopeDir('tsrun-sd3.scope'), 'cgroup.procs')).split('\n');
    expect(procs).toHaveLength(2);
    // Without the flag too (exec joins the recorded directory).
    const out = sb.run(['exec', 'sd3', 'cat', '/proc/self/cgroup']);
    expect(out.stdout).toBe('0::/\n'); // its own cgroup namespace: the scope is its root
  });

  it('defaults to system.slice/tsrun-<id>.scope and applies org.systemd.property.* annotations', () => {
    const b = sb.bundle('b', ['sleep', '1000'], (s) => {
      s.annotations = { 'org.systemd.property.TimeoutStopSec': 'uint64 7', 'org.systemd.property.CollectMode': "'inactive-or-failed'" };
    });
    expect(sb.run(['--systemd-cgroup', 'run', '-d', '-b', b, 'sd4']).code).toBe(0);
    const unit = 'tsrun-sd4.scope';
    expect(sd.unitProperty(unit, SCOPE, 'TimeoutStopUSec')).toBe(7_000_000n);
    expect(sd.unitProperty(unit, 'org.freedesktop.systemd1.Unit', 'CollectMode')).toBe('inactive-or-failed');
    expect(sd.unitProperty(unit, SCOPE, 'MemoryAccounting')).toBe(true);
    expect(sd.unitProperty(unit, SCOPE, 'TasksAccounting')).toBe(true);
    expect(existsSync(scopeDir(unit))).toBe(true);
    expect(sb.run(['delete', '--force', 'sd4']).code).toBe(0);
    expect(unitLoaded(unit)).toBe(false);
  });

  it('nested slices are expanded as runc does', () => {
    const b = sb.bundle('b', ['sleep', '1000'], (s) => { s.linux!.cgroupsPath = 'tsrun-test.slice:tsrun:sd5'; });
    expect(sb.run(['--systemd-cgroup', 'run', '-d', '-b', b, 'sd5']).code).toBe(0);
    expect(existsSync(scopeDir('tsrun-sd5.scope', '/tsrun.slice/tsrun-test.slice'))).toBe(true);
    expect(sd.unitProperty('tsrun-sd5.scope', SCOPE, 'Slice')).toBe('tsrun-test.slice');
    expect(sb.run(['delete', '--force', 'sd5']).code).toBe(0);
    expect(unitLoaded('tsrun-sd5.scope')).toBe(false);
  });

  it('bad cgroupsPaths fail with runc\'s words; a failed create leaves no unit', () => {
    const bad = (path: string) => {
      const b = sb.bundle(`b${Math.random().toString(36).slice(2, 8)}`, ['true'], (s) => { s.linux!.cgroupsPath = path; });
      return sb.run(['--systemd-cgroup', 'run', '-b', b, 'sd6']);
    };
    expect(bad('/tsrun/sd6').stderr).toContain('expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "/tsrun/sd6" instead');
    expect(bad('system:tsrun:sd6').stderr).toContain('invalid slice name: system');
    expect(bad('a--b.slice:tsrun:sd6').stderr).toContain('invalid slice name: a--b.slice');
    // The process cannot start: create fails after the unit was started, and removes it.
    const b = sb.bundle('nox', ['/no/such/program'], (s) => { s.linux!.cgroupsPath = 'system.slice:tsrun:sd7'; });
    const r = sb.run(['--systemd-cgroup', 'run', '-b', b, 'sd7']);
    expect(r.code).not.toBe(0);
    expect(unitLoaded('tsrun-sd7.scope')).toBe(false);
    expect(existsSync(scopeDir('tsrun-sd7.scope'))).toBe(false);
    expect(existsSync(join(sb.root, 'sd7'))).toBe(false);
  });

  it('a running unit of the same name is refused, and the other container keeps it', () => {
    const b = sb.bundle('b', ['sleep', '1000'], (s) => { s.linux!.cgroupsPath = 'system.slice:tsrun:same'; });
    expect(sb.run(['--systemd-cgroup', 'run', '-d', '-b', b, 'sd8']).code).toBe(0);
    const r = sb.run(['--systemd-cgroup', 'run', '-d', '-b', b, 'sd9']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/start the systemd unit tsrun-same\.scope|not empty/);
    expect(unitLoaded('tsrun-same.scope')).toBe(true);
    expect(JSON.parse(sb.run(['state', 'sd8']).stdout).status).toBe('running');
  });
});

// Rootless: the user's own systemd (systemd --user, started by `loginctl enable-linger`), its bus at
// /run/user/<uid>/bus, the unit below user@<uid>.service in user.slice.
const userSkip = skip || skipReason(testUserUnavailable() ?? (!which('loginctl') ? 'loginctl is not installed' : undefined));
describe.skipIf(userSkip)('the systemd cgroup driver, rootless (the user\'s systemd)', () => {
  let u: TestUser | undefined;
  afterEach(() => {
    if (!u) return;
    spawnSync('loginctl', ['disable-linger', u.name]);
    spawnSync('loginctl', ['terminate-user', u.name]);
    u.remove();
    u = undefined;
  });

  it('runs the container in a scope of the user\'s systemd, with limits; update, exec and delete go through it', async () => {
    u = new TestUser(`tsrunsd${process.pid % 10000}`, { subids: false });
    const xdg = `/run/user/${u.uid}`;
    expect(spawnSync('loginctl', ['enable-linger', u.name]).status).toBe(0);
    await until(() => existsSync(`${xdg}/bus`), 60_000);
    const env = { XDG_RUNTIME_DIR: xdg };
    const root = join(u.home, 'state');
    const b = join(u.home, 'b');
    const t = (args: string[]) => u!.run([u!.tsrun, '--root', root, ...args], { env });
    expect(u.run(['/bin/mkdir', b]).code).toBe(0);
    expect(t(['spec', '--rootless', '--busybox', '--bundle', b]).code).toBe(0);
    // (No cgroup mount: a fresh cgroup2 mount in the rootless container fails with EBUSY in this guest,
    // with or without --systemd-cgroup; not the driver's business.)
    const edit = `const fs=require('fs');const p='${b}/config.json';const s=JSON.parse(fs.readFileSync(p));s.process.terminal=false;s.process.args=['sleep','1000'];`
      + `s.mounts=s.mounts.filter(m=>m.type!=='cgroup');s.linux.resources={memory:{limit:${64 * MiB}},pids:{limit:20}};fs.writeFileSync(p,JSON.stringify(s));`;
    expect(u.run([process.execPath, '-e', edit]).code).toBe(0);
    const r = t(['--systemd-cgroup', 'run', '-d', '-b', b, 'rl1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const show = (...p: string[]) => u!.run(['systemctl', '--user', 'show', 'tsrun-rl1.scope', ...p.map((x) => `-p${x}`)], { env }).stdout;
    const cg = `/user.slice/user-${u.uid}.slice/user@${u.uid}.service/user.slice/tsrun-rl1.scope`;
    expect(show('ControlGroup', 'MemoryMax', 'TasksMax', 'Slice')).toBe(`Slice=user.slice\nControlGroup=${cg}\nMemoryMax=${64 * MiB}\nTasksMax=20\n`);
    const pid = JSON.parse(t(['state', 'rl1']).stdout).pid;
    expect(read(`/proc/${pid}/cgroup`)).toBe(`0::${cg}`);
    expect(t(['update', '--memory', String(96 * MiB), 'rl1']).code).toBe(0);
    expect(show('MemoryMax')).toBe(`MemoryMax=${96 * MiB}\n`);
    expect(read(`/sys/fs/cgroup${cg}/memory.max`)).toBe(String(96 * MiB));
    // exec: the user may not move the process there itself; its systemd does (AttachProcessesToUnit).
    expect(t(['exec', '-d', 'rl1', 'sleep', '999']).code).toBe(0);
    await until(() => read(`/sys/fs/cgroup${cg}/cgroup.procs`).split('\n').length === 2);
    expect(t(['delete', '--force', 'rl1']).code).toBe(0);
    expect(show('LoadState')).toBe('LoadState=not-found\n');
  });
});
