// cgroup v2: one directory. Creating it enables the available controllers in every ancestor's
// cgroup.subtree_control, as runc does (controllers the kernel refuses there are skipped one by one).
import { closeSync, constants, existsSync, mkdirSync, openSync, rmdirSync, statfsSync } from '../sys/fs.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;
import { join, relative } from '../sys/path.js';
import type { LinuxDevice, LinuxResources } from '../config/gen/config.js';
import { fail } from '../errors.js';
import { applyV2 } from './apply.js';
import { deviceFilter } from './device-bpf.js';
import { deviceRules, type DeviceRule } from './devices.js';
import { sys } from '../sys/index.js';
import { allPids, CgroupDir, errCode, keyValues, removeCgroup, sleepMs, sysError, writeRaw } from './fs.js';
import type { ApplyCtx } from './resources/context.js';
import { statsV2 } from './stats.js';
import type { CgroupLog, CgroupManager } from './types.js';

const SIGKILL = 9;
const quiet: CgroupLog = { warn() {}, debug() {} };

export class V2Manager implements CgroupManager {
  readonly version = 2 as const;
  private readonly dir: CgroupDir;
  /** rootless: runc's rootless cgroup manager (device rules that cannot be attached are ignored). */
  constructor(readonly path: string, private readonly log: CgroupLog = quiet, private readonly mount?: string, private readonly rootless = false) {
    this.dir = new CgroupDir(path);
  }

  paths(): Record<string, string> {
    return { '': this.path };
  }

  private controllers(): Set<string> {
    return new Set((this.dir.readOpt('cgroup.controllers') ?? '').split(/\s+/).filter(Boolean));
  }

  private ctx(updating: boolean): ApplyCtx {
    let have: Set<string> | undefined;
    const has = (c: string) => (have ??= this.controllers()).has(c);
    return {
      dir: (controller, field) => {
        if (!has(controller)) throw fail(`the ${controller} cgroup controller is not available in ${this.path}`, { configPath: field, hint: `it is not enabled in the parent's cgroup.subtree_control, or the kernel lacks it` });
        return this.dir;
      },
      has,
      log: this.log,
      updating,
      rootless: this.rootless,
    };
  }

  create(resources: LinuxResources = {}, linuxDevices?: LinuxDevice[]): void {
    const mount = this.mount ?? '/sys/fs/cgroup';
    const rel = relative(mount, this.path);
    if (!rel || rel.startsWith('..')) throw fail(`invalid cgroup path ${this.path}`, { hint: `it must be below ${mount}` });
    const made: string[] = [];
    try {
      let cur = mount;
      for (const part of rel.split('/')) {
        this.enableControllers(cur);
        cur = join(cur, part);
        try {
          mkdirSync(cur, { mode: 0o755 });
          made.push(cur);
        } catch (e) {
          if (errCode(e) !== 'EEXIST') throw sysError(`create cgroup ${cur}`, e);
        }
      }
      applyV2(resources, this.ctx(false), this.dir, this.controllers());
      this.applyDevices(deviceRules(resources.devices, linuxDevices));
    } catch (e) {
      for (const d of made.reverse()) try { rmdirSync(d); } catch {}
      throw e;
    }
  }

  private enableControllers(dir: string): void {
    const d = new CgroupDir(dir);
    const avail = (d.readOpt('cgroup.controllers') ?? '').split(/\s+/).filter(Boolean);
    if (!avail.length) return;
    if (!d.tryWrite('cgroup.subtree_control', avail.map((c) => `+${c}`).join(' '))) return;
    for (const c of avail) d.tryWrite('cgroup.subtree_control', `+${c}`);
  }

  join(pid: number): void {
    try {
      writeRaw(this.dir.file('cgroup.procs'), String(pid));
    } catch (e) {
      throw sysError(`add pid ${pid} to cgroup ${this.path}`, e);
    }
  }

  /** v2 has no devices files: the rules become an eBPF program attached to the cgroup (as runc). */
  private applyDevices(rules: DeviceRule[]): void {
    // Only a real cgroup2 directory takes a program (unit tests run on a fake tree in a temp dir).
    if (statfsSync(this.path).type !== CGROUP2_SUPER_MAGIC) return;
    const fd = this.openDirFd();
    try {
      sys().attachDeviceFilter(deviceFilter(rules), fd);
    } catch (e) {
      // As runc: rootless, device rules are not expected to work (attaching a program needs privilege).
      if (this.rootless) return;
      throw fail('apply the device rules (a cgroup eBPF device program)', { configPath: 'linux.resources.devices', errno: (e as { errno?: number }).errno, detail: (e as { path?: string }).path || undefined });
    } finally {
      closeSync(fd);
    }
  }

  joinTargets(): { into?: string; tasks: string[] } {
    return { into: this.path, tasks: [] };
  }

  openDirFd(): number {
    try {
      return openSync(this.path, constants.O_RDONLY | constants.O_DIRECTORY);
    } catch (e) {
      throw sysError(`open cgroup ${this.path}`, e);
    }
  }

  update(resources: LinuxResources): void {
    applyV2(resources, this.ctx(true), this.dir, this.controllers());
  }

  private setFrozen(on: boolean): void {
    const err = this.dir.tryWrite('cgroup.freeze', on ? '1' : '0');
    if (err === 'ENOENT' && !on) return;
    if (err) throw sysError(on ? 'freezer not supported' : 'thaw', Object.assign(new Error(err), { code: err }), { detail: this.path });
    if (!on) return;
    // cgroup.freeze says what was asked; cgroup.events says when every task has stopped.
    for (let i = 0; i < 1000; i++) {
      if (keyValues(this.dir.readOpt('cgroup.events')).get('frozen') === 1n) return;
      sleepMs(10);
    }
    this.dir.tryWrite('cgroup.freeze', '0');
    throw fail('timeout of 10s reached waiting for the cgroup to freeze', { detail: this.path });
  }

  freeze(): void { this.setFrozen(true); }
  thaw(): void { this.setFrozen(false); }

  isFrozen(): boolean {
    return this.dir.readOpt('cgroup.freeze') === '1';
  }

  pids(): number[] {
    return allPids(this.path);
  }

  kill(signal: number): void {
    if (signal === SIGKILL) {
      const err = this.dir.tryWrite('cgroup.kill', '1');
      if (!err) return;
      if (err !== 'ENOENT') throw sysError('write cgroup.kill', Object.assign(new Error(err), { code: err }), { detail: this.path });
    }
    try { this.freeze(); } catch (e) { this.log.warn((e as Error).message); }
    try {
      for (const pid of this.pids()) {
        try { process.kill(pid, signal); } catch (e) { if (errCode(e) !== 'ESRCH') this.log.warn(`kill ${pid}: ${(e as Error).message}`); }
      }
    } finally {
      try { this.thaw(); } catch (e) { this.log.warn((e as Error).message); }
    }
  }

  stats(): Record<string, unknown> {
    return statsV2(this.path);
  }

  oomKills(): number | undefined {
    const v = keyValues(this.dir.readOpt('memory.events')).get('oom_kill');
    return v === undefined ? undefined : Number(v);
  }

  eventFiles(): string[] {
    return [this.dir.file('memory.events'), this.dir.file('cgroup.events')];
  }

  exists(): boolean {
    return existsSync(this.path);
  }

  destroy(opts: { force?: boolean; once?: boolean } = {}): void {
    removeCgroup(this.path, opts.force ? () => { try { this.kill(SIGKILL); } catch {} } : undefined, opts.once ? 0 : undefined);
  }
}

