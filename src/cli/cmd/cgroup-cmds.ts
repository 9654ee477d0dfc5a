// pause, resume, update, events and ps: the commands that act on a container's cgroup.
import { readFileSync as readFd } from 'node:fs';
import { existsSync } from '../../sys/fs.js';
import { join } from '../../sys/path.js';
import { managerFor, storedCgroup, cgroupRecord, type CgroupManager } from '../../cgroups/manager.js';
import { psTable } from '../../cgroups/ps-table.js';
import { psWithArgs } from '../../cgroups/ps-run.js';
import { containerPids } from '../../lifecycle/procs.js';
import { goJson } from '../../cgroups/stats.js';
import { FileWaker } from '../../cgroups/watch.js';
import { mergeUpdate, resourcesFromFlags } from '../../cgroups/update.js';
import type { LinuxResources } from '../../config/gen/config.js';
import { readJsonDocument } from '../../config/load.js';
import { fail, notRunning, TsrunError } from '../../errors.js';
import type { ContainerRecord } from '../../state/store.js';
import { parseDuration } from '../argv.js';
import type { Ctx } from '../context.js';
import { out } from '../context.js';
import { loadSystemdFor } from '../systemd.js';

async function withContext<T>(ctx: Ctx, command: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof TsrunError) e.withContext(`${command} ${ctx.args[0] ?? ''}`.trim());
    throw e;
  }
}

/** The container's record and status under its lock; fn runs while the lock is held. */
function locked<T>(ctx: Ctx, fn: (rec: ContainerRecord) => T): T {
  const id = ctx.args[0];
  const unlock = ctx.store.lock(id);
  try {
    return fn(ctx.store.read(id));
  } finally {
    unlock();
  }
}

function manager(ctx: Ctx, rec: ContainerRecord): CgroupManager {
  const m = managerFor(rec, ctx.log);
  if (!m) throw fail('the container has no cgroup recorded', { hint: 'it was created by a tsrun without cgroup support; recreate it' });
  return m;
}

export function pauseCmd(ctx: Ctx): Promise<number> {
  return withContext(ctx, 'pause', () => locked(ctx, (rec) => {
    const status = ctx.store.status(rec);
    if (status !== 'running' && status !== 'created') throw notRunning();
    manager(ctx, rec).freeze();
    rec.status = 'paused';
    ctx.store.write(rec);
    return 0;
  }));
}

export function resumeCmd(ctx: Ctx): Promise<number> {
  return withContext(ctx, 'resume', () => locked(ctx, (rec) => {
    const status = ctx.store.status(rec);
    const mgr = status === 'stopped' ? undefined : manager(ctx, rec);
    if (!mgr || !(status === 'paused' || mgr.isFrozen())) throw fail('container not paused');
    mgr.thaw();
    // A container paused before start is still waiting on its exec fifo.
    rec.status = existsSync(join(ctx.store.dir(rec.id), 'exec.fifo')) ? 'created' : 'running';
    ctx.store.write(rec);
    return 0;
  }));
}

function requestedResources(ctx: Ctx): LinuxResources {
  const f = ctx.flags;
  if (f['l3-cache-schema']) throw fail('Intel RDT/CAT: l3 cache schema is not enabled');
  if (f['mem-bw-schema']) throw fail('Intel RDT/MBA: memory bandwidth schema is not enabled');
  const src = f.resources as string | undefined;
  if (!src) return resourcesFromFlags(f);
  const text = src === '-' ? readFd(0, 'utf8') : undefined;
  return readJsonDocument(src, 'resources', src === '-' ? 'the resources on stdin' : src, text) as LinuxResources;
}

export function updateCmd(ctx: Ctx): Promise<number> {
  return withContext(ctx, 'update', async () => {
    await loadSystemdFor(ctx, true);
    const req = requestedResources(ctx);
    return locked(ctx, (rec) => {
      if (ctx.store.status(rec) === 'stopped') throw notRunning();
      const mgr = manager(ctx, rec);
      const merged = mergeUpdate(storedCgroup(rec)?.resources, req);
      mgr.update(merged);
      rec.tsrun.cgroup = cgroupRecord(mgr, merged);
      ctx.store.write(rec);
      return 0;
    });
  });
}

const event = (type: string, id: string, data?: unknown) => goJson(data === undefined ? { type, id } : { type, id, data }) + '\n';

export function eventsCmd(ctx: Ctx): Promise<number> {
  return withContext(ctx, 'events', async () => {
    const id = ctx.args[0];
    const interval = parseDuration(String(ctx.flags.interval ?? '5s')) ?? 5000;
    if (interval <= 0) throw fail('duration interval must be greater than 0');
    const rec = ctx.store.read(id);
    if (ctx.store.status(rec) === 'stopped') throw fail(`container with id ${id} is not running`);
    const mgr = manager(ctx, rec);
    if (ctx.flags.stats) {
      out(event('stats', id, mgr.stats()));
      return 0;
    }
    // OOM kills: on v2 a change of memory.events or cgroup.events wakes the loop (inotify, as runc
    // watches them), with a 1 s check as a safety net; v1 is polled every 200 ms (runc uses an eventfd
    // on memory.oom_control there). Stats come every interval.
    const waker = new FileWaker(mgr.eventFiles?.() ?? []);
    const tick = Math.min(interval, waker.watching ? 1000 : 200);
    try {
      let ooms = mgr.oomKills() ?? 0;
      let next = Date.now() + interval;
      while (mgr.exists() && mgr.pids().length) {
        await waker.wait(Math.min(tick, next - Date.now()));
        const now = mgr.oomKills() ?? 0;
        if (now > ooms) out(event('oom', id));
        ooms = now;
        if (Date.now() >= next) {
          next += interval;
          try {
            out(event('stats', id, mgr.stats()));
          } catch (e) {
            ctx.log.error((e as Error).message);
          }
        }
      }
    } finally {
      waker.close();
    }
    return 0;
  });
}

export function psCmd(ctx: Ctx): Promise<number> {
  return withContext(ctx, 'ps', () => {
    const format = String(ctx.flags.format ?? 'table');
    if (format !== 'table' && format !== 'json') throw fail(`invalid format option "${format}": use table or json`);
    const rec = ctx.store.read(ctx.args[0]);
    const mgr = managerFor(rec, ctx.log);
    let pids = mgr?.exists() ? mgr.pids() : [];
    // A rootless container that got no cgroup: its processes are those of its pid namespace.
    if (mgr && !Object.keys(mgr.paths()).length && ctx.store.status(rec) !== 'stopped') pids = containerPids(rec.pid);
    if (format === 'json') {
      // runc encodes a nil slice: null when there is no process.
      out(JSON.stringify(pids.length ? pids : null) + '\n');
      return 0;
    }
    const psArgs = ctx.args.slice(1);
    out(psArgs.length && !(psArgs.length === 1 && psArgs[0] === '-ef') ? psWithArgs(psArgs, pids) : psTable(pids));
    return 0;
  });
}
