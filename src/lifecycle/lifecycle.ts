// start, kill, delete: small state transitions around the container's init, each under the
// container's lock. Waits use the init's pidfd (no polling loops, no sleeping like runc's 100 ms).
import { closeSync, constants, openSync, readFileSync, readSync, rmdirSync, unlinkSync } from '../sys/fs.js';
import { dirname, join } from '../sys/path.js';
import type { Hook } from '../config/gen/config.js';
import { fail, notExist, notRunning } from '../errors.js';
import { runHook, runHooks } from '../hooks/run.js';
import type { Logger } from '../io/log.js';
import { stateJson, type ContainerRecord, type StateStore } from '../state/store.js';
import { sys } from '../sys/index.js';
import { containerPids } from './procs.js';
import { isSameProcess } from '../state/status.js';
import { managerFor, storedCgroup } from '../cgroups/manager.js';
import { detachRootfsBind } from './host-mounts.js';

/** The container's cgroup when it is its own (create made it), else undefined. */
function ownCgroup(rec: ContainerRecord) {
  return storedCgroup(rec)?.shared ? undefined : managerFor(rec);
}

const POLLIN = 1;
const POLLHUP = 0x10;
const SIGKILL = 9;

interface StoredHooks { poststart?: Hook[]; poststop?: Hook[] }
const hooksOf = (rec: ContainerRecord) => (rec.tsrun.hooks ?? {}) as StoredHooks;

/** A hint for start's failure: the startContainer hooks run in between, and their errors go to stderr. */
function readHooksNote(store: StateStore, id: string): string {
  try {
    const cfg = readFileSync(join(store.dir(id), 'config.json'), 'utf8');
    return /"startContainer"\s*:\s*\[\s*\{/.test(cfg) ? ' (a startContainer hook failed: see the container\'s stderr)' : '';
  } catch {
    return '';
  }
}

/** A pidfd of pid; a process that is already gone (ESRCH) is the container having stopped. */
function pidfdOrStopped(pid: number, message: string): number {
  try {
    return sys().pidfdOpen(pid);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') throw fail(message);
    throw e;
  }
}

/** Waits until the process behind pidfd exits; false on timeout. */
function waitExit(pidfd: number, timeoutMs: number): boolean {
  return (sys().poll([pidfd], POLLIN, timeoutMs)[0] & POLLIN) !== 0;
}

/** hookCwd: the poststart hooks' working directory (run: the bundle, as runc's run chdirs there). */
export function start(store: StateStore, id: string, hookCwd?: string): void {
  const unlock = store.lock(id);
  try {
    const rec = store.read(id);
    const status = store.status(rec);
    if (status === 'stopped') throw fail('cannot start a container that has stopped');
    if (status !== 'created') throw fail(`cannot start an already ${status} container`);
    const n = sys();
    const fifo = join(store.dir(id), 'exec.fifo');
    // The pidfd first: opening the fifo releases the init, and a program that exits at once may be
    // reaped (by the shim) before a later pidfd_open could find it.
    const pidfd = pidfdOrStopped(rec.pid, 'cannot start a container that has stopped');
    let fd: number;
    try {
      fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (e) {
      closeSync(pidfd);
      throw e;
    }
    try {
      // The init opens the fifo for writing once we have it open for reading, then writes one byte.
      for (;;) {
        const [fifoEv, pidEv] = n.poll([fd, pidfd], POLLIN, 30_000);
        if (fifoEv & POLLIN) break;
        if (pidEv & POLLIN) {
          const hooks = readHooksNote(store, id);
          throw fail(`the container init exited before it could be started${hooks}`);
        }
        if (!fifoEv && !pidEv) throw fail('the container init did not answer on exec.fifo within 30s');
      }
      const buf = Buffer.alloc(1);
      if (readSync(fd, buf, 0, 1, null) !== 1) throw fail('the container init closed exec.fifo without starting');
      // As runc (it reads the fifo to EOF): the init's end closes at its execve, so from here on the
      // container's process runs, and poststart hooks come strictly after it started.
      for (let i = 0; i < 100; i++) {
        const [fifoEv, pidEv] = n.poll([fd, pidfd], POLLIN, 100);
        if (pidEv & POLLIN || (fifoEv & POLLHUP)) break;
        if (fifoEv & POLLIN && readSync(fd, buf, 0, 1, null) === 0) break;
      }
    } finally {
      closeSync(fd);
      closeSync(pidfd);
    }
    unlinkSync(fifo);
    rec.status = 'running';
    store.write(rec);
    try {
      runHooks('poststart', hooksOf(rec).poststart, stateJson(rec, 'running'), { cwd: hookCwd });
    } catch (e) {
      // runtime-spec 1.3: a failing poststart hook fails start; runc then kills the container. A
      // process that has already exited (ESRCH while signalling it) is no error of its own: the
      // hook's failure is the one to report.
      try { killAll(rec, SIGKILL); } catch {}
      throw e;
    }
  } finally {
    unlock();
  }
}

/**
 * Signals every process of the container: by its cgroup (which also reaches frozen tasks) when the
 * cgroup is its own, else by its pid namespace (a shared cgroup holds other containers' processes too).
 */
function killAll(rec: ContainerRecord, signal: number): void {
  const cgroup = ownCgroup(rec);
  if (cgroup?.exists()) return cgroup.kill(signal);
  for (const pid of containerPids(rec.pid)) {
    try { process.kill(pid, signal); } catch {}
  }
}

export function kill(store: StateStore, id: string, signal: number, all: boolean): void {
  const unlock = store.lock(id);
  try {
    const rec = store.read(id);
    const status = store.status(rec);
    // As runc: --all signals whatever is left in the container's cgroup, and succeeds when nothing is
    // (the stored pid of a stopped container may be someone else's by now: only the cgroup is used).
    if (all && status === 'stopped') {
      const cgroup = ownCgroup(rec);
      if (cgroup?.exists()) cgroup.kill(signal);
      return;
    }
    if (all) return killAll(rec, signal);
    if (status === 'stopped') throw notRunning();
    const pidfd = pidfdOrStopped(rec.pid, 'container not running');
    try {
      // The pidfd pins the process: if the pid was reused before we took it, the start time tells.
      if (!isSameProcess(rec.pid, rec.tsrun.starttime)) throw notRunning();
      sys().pidfdSendSignal(pidfd, signal);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') throw notRunning();
      throw e;
    } finally {
      closeSync(pidfd);
    }
  } finally {
    unlock();
  }
}

/**
 * Removes tsrun's own default parent (/tsrun in each hierarchy) once no container uses it, so a host
 * with no containers has no tsrun cgroups. Client-given parents (/docker, /default) are theirs.
 */
function pruneDefaultParents(paths: Record<string, string>): void {
  for (const p of new Set(Object.values(paths))) {
    const at = p.lastIndexOf('/tsrun/');
    if (at < 0) continue;
    // Relative cgroupsPaths (a/b/c) live under /tsrun too: remove each empty level up to /tsrun.
    // Every hierarchy has the same levels holding the same containers: when a level is still in
    // use (EBUSY: another container), it is in the others too, so the pruning stops at the first
    // refusal (each is a thrown error, which costs Bun ~0.1-0.3 ms; a v1 host has ~10 hierarchies).
    for (let dir = dirname(p); dir.length >= at + '/tsrun'.length; dir = dirname(dir)) {
      try { rmdirSync(dir); } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EBUSY' || (e as NodeJS.ErrnoException).code === 'ENOTEMPTY') return;
        break;
      }
    }
  }
}

/**
 * <root>/<id> without state.json: a create is writing its first state right now (the lock waits for
 * it), or one was killed before it made anything but the directory, which is then removed.
 */
function removeBareDir(store: StateStore, id: string, force: boolean, log: Logger, hookCwd?: string): void {
  let unlock: () => void;
  try {
    unlock = store.lock(id);
  } catch {
    return; // removed meanwhile
  }
  const now = store.exists(id);
  try {
    if (!now) store.remove(id);
  } finally {
    unlock();
  }
  if (now) destroy(store, id, force, log, hookCwd);
}

/** Removes a container: kills it first when forced (or when only created), runs poststop hooks. */
export function destroy(store: StateStore, id: string, force: boolean, log: Logger, hookCwd?: string): void {
  if (!store.exists(id)) {
    if (store.hasDir(id)) return removeBareDir(store, id, force, log, hookCwd);
    // The containerd shim runs `delete --force` after every task, usually on a deleted container.
    if (force) return;
    throw notExist(id);
  }
  const unlock = store.lock(id);
  try {
    let rec: ContainerRecord;
    try {
      rec = store.read(id);
    } catch (e) {
      // A damaged state.json: --force removes what is left of the directory (nothing else is known).
      if (!force || !/is damaged/.test((e as Error).message)) throw e;
      store.remove(id);
      return;
    }
    const status = store.status(rec);
    if (status !== 'stopped') {
      if (status !== 'created' && status !== 'creating' && !force) throw fail(`cannot delete container ${id} that is not stopped: ${status}`, { hint: 'stop it with tsrun kill, or use delete --force' });
      // The init may exit between the status check and here (a poststart hook failed and start
      // killed it, or the process just ended): ESRCH is the container having stopped meanwhile.
      let pidfd: number | undefined;
      try {
        pidfd = sys().pidfdOpen(rec.pid);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
      if (pidfd !== undefined) {
        try {
          killAll(rec, SIGKILL);
          if (!waitExit(pidfd, 10_000)) throw fail(`container ${id} did not die within 10s of SIGKILL`);
        } finally {
          closeSync(pidfd);
        }
      }
    }
    const hm = rec.tsrun.hostMounts as { rootfs: string; before: string | null } | undefined;
    if (hm) detachRootfsBind(hm.rootfs, hm.before ?? undefined);
    const cgroup = managerFor(rec, log);
    if (cgroup && storedCgroup(rec)?.shared) {
      // Not the container's own: removed only when nobody is left in it.
      try { cgroup.destroy({ once: true }); } catch {}
    } else if (cgroup) {
      cgroup.destroy({ force: true });
      pruneDefaultParents(cgroup.paths());
    }
    store.remove(id);
    // runtime-spec: a failing poststop hook is logged, the remaining ones still run, delete succeeds.
    const state = stateJson(rec, 'stopped');
    for (const [i, h] of (hooksOf(rec).poststop ?? []).entries()) {
      try {
        runHook('poststop', i, h, state, { cwd: hookCwd });
      } catch (e) {
        log.warn(`delete ${id}: ${(e as Error).message}`);
      }
    }
  } finally {
    unlock();
  }
}
