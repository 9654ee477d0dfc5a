// cgroup v1: one directory per hierarchy (co-mounted controllers share one), plus the named
// name=systemd hierarchy and, on hybrid hosts, the cgroup2 one (joined only, as runc does).
import { existsSync, mkdirSync, readdirSync } from '../sys/fs.js';
import { DEFAULT_PARENT } from './path.js';
import { dirname, join } from '../sys/path.js';
import type { LinuxDevice, LinuxResources } from '../config/gen/config.js';
import { fail } from '../errors.js';
import { applyV1 } from './apply.js';
import { deviceRules } from './devices.js';
import { allPids, CgroupDir, errCode, keyValues, removeCgroup, sleepMs, sysError, writeRaw } from './fs.js';
import type { ApplyCtx } from './resources/context.js';
import { statsV1 } from './stats.js';
import type { CgroupLog, CgroupManager } from './types.js';

const SIGKILL = 9;
const quiet: CgroupLog = { warn() {}, debug() {} };

export class V1Manager implements CgroupManager {
  readonly version = 1 as const;
  /** controller -> leaf dir; "" = the cgroup2 dir of a hybrid host. */
  constructor(private readonly dirs: Record<string, string>, private readonly log: CgroupLog = quiet, private readonly mounts: Record<string, string> = {}) {}

  paths(): Record<string, string> {
    return { ...this.dirs };
  }

  /** Distinct directories, each once (co-mounted controllers share one). */
  private uniqueDirs(): string[] {
    return [...new Set(Object.values(this.dirs))];
  }

  private ctx(updating: boolean): ApplyCtx {
    return {
      dir: (controller, field) => {
        const d = this.dirs[controller];
        if (!d) throw fail(`the ${controller} cgroup controller is not mounted on this host (cgroup v1)`, { configPath: field, hint: 'remove the setting, or mount the controller' });
        return new CgroupDir(d);
      },
      has: (controller) => !!this.dirs[controller],
      log: this.log,
      updating,
    };
  }

  create(resources: LinuxResources = {}, linuxDevices?: LinuxDevice[]): void {
    const rules = deviceRules(resources.devices, linuxDevices);
    for (const [controller, dir] of Object.entries(this.dirs)) {
      try {
        if (controller === 'cpuset') this.mkdirCpuset(dir);
        else mkdirSync(dir, { recursive: true, mode: 0o755 });
      } catch (e) {
        throw sysError(`create cgroup ${dir}`, e);
      }
    }
    this.grantRtBudget(resources.cpu);
    applyV1(resources, this.ctx(false), rules);
  }

  /**
   * Real-time CPU time must be granted down the whole chain of cgroups (each level's cpu.rt_runtime_us
   * covers its children's), and a new level gets none. runc's default cgroup is right under the root,
   * which has the budget; tsrun's default parent (/tsrun) is one level down, so tsrun raises the levels
   * it owns to what the container asks for plus what their other children hold. Parents a client gave
   * (/docker) are the client's to set up, as with runc.
   */
  private grantRtBudget(cpu: LinuxResources['cpu']): void {
    const runtime = Number(cpu?.realtimeRuntime ?? 0);
    const leaf = this.dirs.cpu;
    const mount = this.mounts.cpu;
    if (!(runtime > 0) || !leaf || !mount || !leaf.startsWith(`${mount}${DEFAULT_PARENT}/`)) return;
    const period = Number(cpu?.realtimePeriod || new CgroupDir(leaf).readOpt('cpu.rt_period_us') || 1_000_000);
    const chain: string[] = [];
    for (let d = dirname(leaf); d.length >= `${mount}${DEFAULT_PARENT}`.length; d = dirname(d)) chain.unshift(d);
    // The share of CPU time each level needs, bottom-up: its other children's, plus the next level's.
    const need = new Map<string, number>();
    let share = runtime / period;
    for (let i = chain.length - 1; i >= 0; i--) {
      const d = chain[i];
      const below = i + 1 < chain.length ? chain[i + 1] : leaf;
      for (const ent of readdirSync(d, { withFileTypes: true })) {
        const child = join(d, ent.name);
        if (!ent.isDirectory() || child === below) continue;
        const c = new CgroupDir(child);
        const rt = Number(c.readOpt('cpu.rt_runtime_us') ?? 0);
        if (rt > 0) share += rt / Number(c.readOpt('cpu.rt_period_us') ?? 1_000_000);
      }
      need.set(d, share);
    }
    for (const d of chain) {
      const dir = new CgroupDir(d);
      const have = dir.readOpt('cpu.rt_runtime_us');
      if (have === undefined) return; // no RT group scheduling in this kernel (or a fake tree)
      const us = Math.ceil(need.get(d)! * Number(dir.readOpt('cpu.rt_period_us') ?? 1_000_000));
      if (Number(have) < us) dir.write('cpu.rt_runtime_us', String(us), `linux.resources.cpu.realtimeRuntime (the real-time budget of tsrun's parent cgroup ${d})`);
    }
  }

  /** cpuset needs cpus and mems in every level before a task may join: copy them from the parent. */
  private mkdirCpuset(leaf: string): void {
    const mount = this.mounts.cpuset;
    const chain: string[] = [];
    for (let d = leaf; d !== mount && d !== dirname(d); d = dirname(d)) chain.unshift(d);
    for (const d of chain) {
      if (!existsSync(d)) mkdirSync(d, { mode: 0o755 });
      const cur = new CgroupDir(d);
      const parent = new CgroupDir(dirname(d));
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        if ((cur.readOpt(f) ?? '') === '') cur.write(f, parent.read(f), `linux.resources.cpu.${f.slice(7)} (copied from ${parent.path})`);
      }
    }
  }

  join(pid: number): void {
    for (const dir of this.uniqueDirs()) {
      try {
        writeRaw(join(dir, 'cgroup.procs'), String(pid));
      } catch (e) {
        throw sysError(`add pid ${pid} to cgroup ${dir}`, e);
      }
    }
  }

  joinTargets(): { into?: string; tasks: string[] } {
    const into = this.dirs[''];
    return { into, tasks: this.uniqueDirs().filter((d) => d !== into).map((d) => join(d, 'tasks')) };
  }

  update(resources: LinuxResources): void {
    applyV1(resources, this.ctx(true));
  }

  private freezer(): CgroupDir {
    const d = this.dirs.freezer;
    if (!d) throw fail('the freezer cgroup controller is not mounted on this host (cgroup v1)');
    return new CgroupDir(d);
  }

  freeze(): void {
    const dir = this.freezer();
    // runc's loop: FREEZING can last while tasks are in uninterruptible sleep; thaw and retry now and then.
    for (let i = 0; i < 1000; i++) {
      if (i % 50 === 49) {
        dir.tryWrite('freezer.state', 'THAWED');
        sleepMs(10);
      }
      dir.write('freezer.state', 'FROZEN', 'freezer.state');
      if (i % 25 === 24) sleepMs(1);
      const state = dir.read('freezer.state');
      if (state === 'FROZEN') return;
      if (state !== 'FREEZING') {
        dir.tryWrite('freezer.state', 'THAWED');
        throw fail(`unexpected state ${state} while freezing`);
      }
    }
    dir.tryWrite('freezer.state', 'THAWED');
    throw fail('unable to freeze');
  }

  thaw(): void {
    this.freezer().write('freezer.state', 'THAWED', 'freezer.state');
  }

  isFrozen(): boolean {
    const d = this.dirs.freezer;
    if (!d) return false;
    const dir = new CgroupDir(d);
    for (let i = 0; i < 1000; i++) {
      const state = dir.readOpt('freezer.state');
      if (state === 'FREEZING') { sleepMs(1); continue; }
      // FROZEN because a parent is frozen is not "paused" (freezer.self_freezing tells).
      return state === 'FROZEN' && dir.readOpt('freezer.self_freezing') !== '0';
    }
    return false;
  }

  private pidsDir(): string | undefined {
    for (const c of ['pids', 'devices', 'freezer', 'memory', 'cpu', '']) if (this.dirs[c]) return this.dirs[c];
    return this.uniqueDirs()[0];
  }

  pids(): number[] {
    const d = this.pidsDir();
    return d ? allPids(d) : [];
  }

  kill(signal: number): void {
    const unified = this.dirs[''];
    if (signal === SIGKILL && unified) {
      try {
        writeRaw(join(unified, 'cgroup.kill'), '1');
        return;
      } catch (e) {
        if (errCode(e) !== 'ENOENT') throw sysError(`write cgroup.kill in ${unified}`, e);
      }
    }
    const canFreeze = !!this.dirs.freezer && existsSync(this.dirs.freezer);
    if (canFreeze) {
      try { this.freeze(); } catch (e) { this.log.warn((e as Error).message); }
    }
    try {
      for (const pid of this.pids()) {
        try { process.kill(pid, signal); } catch (e) { if (errCode(e) !== 'ESRCH') this.log.warn(`kill ${pid}: ${(e as Error).message}`); }
      }
    } finally {
      if (canFreeze) {
        try { this.thaw(); } catch (e) { this.log.warn((e as Error).message); }
      }
    }
  }

  stats(): Record<string, unknown> {
    return statsV1(this.dirs);
  }

  oomKills(): number | undefined {
    const d = this.dirs.memory;
    if (!d) return undefined;
    const v = keyValues(new CgroupDir(d).readOpt('memory.oom_control')).get('oom_kill');
    return v === undefined ? undefined : Number(v);
  }

  exists(): boolean {
    return this.uniqueDirs().some((d) => existsSync(d));
  }

  destroy(opts: { force?: boolean; once?: boolean } = {}): void {
    const onBusy = opts.force ? () => { try { this.kill(SIGKILL); } catch {} } : undefined;
    const errors: string[] = [];
    for (const dir of this.uniqueDirs()) {
      try {
        removeCgroup(dir, onBusy, opts.once ? 0 : undefined);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    if (errors.length) throw fail(`cannot remove the cgroup: ${errors.join('; ')}`);
  }
}
