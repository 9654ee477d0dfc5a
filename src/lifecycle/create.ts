// `create`: validate the bundle, build the plan, spawn tsrun-init (sealed memfd image, vfork-style
// clone3), feed it the plan and answer its syncs, record the state. Any failure kills the helper and
// removes everything create made: no state dir, no process (mounts live and die in its namespace).
import { chmodSync, closeSync, copyFileSync, renameSync, statSync, writeFileSync } from '../sys/fs.js';
import { basename, dirname, join } from '../sys/path.js';
import { loadBundle, type Bundle } from '../config/load.js';
import { launchProblems } from '../config/semantic.js';
import { fail, TsrunError } from '../errors.js';
import { runHook, runHooks } from '../hooks/run.js';
import type { Logger } from '../io/log.js';
import { buildPlan, type InitPlan } from '../plan/build.js';
import { compileForSpec } from '../seccomp/compile.js';
import { cacheDir as seccompCacheDir } from '../seccomp/cache.js';
import { SyncKind } from '../plan/ops.gen.js';
import { readProcStat } from '../state/status.js';
import { SPEC_VERSION, stateJson, type ContainerRecord, type StateStore } from '../state/store.js';
import { sys } from '../sys/index.js';
import { hostFacts } from './host.js';
import { sendToListener } from '../seccomp/listener.js';
import { cgroupManager, cgroupRecord, type CgroupManager } from '../cgroups/manager.js';
import { cgroupInnerPath } from '../cgroups/path.js';
import { notApplied } from '../plan/not-applied.js';
import { phase } from '../io/phases.js';
import { detachRootfsBind, topMountId } from './host-mounts.js';
import { abort, closeRun, converse, helperFds, spawnHelper, type CgroupJoin, type HelperRun } from './helper.js';
import { writeIdMaps } from './idmap.js';
import { egid, rootless, rootlessCgroups, rootlessEUID, runningInUserNS } from '../sys/userns.js';
import { checkRootlessConfig } from '../config/rootless.js';
import { rootlessCgroupBinds } from '../cgroups/rootless.js';

/** Whether create uses runc's rootless cgroup manager: --rootless, or auto. */
const useRootlessCgroups = (opts: CreateOptions) => opts.rootlessCgroups ?? rootlessCgroups('auto', !!opts.systemdCgroup);

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** The caller returns before the container exits (create, run -d): a terminal then needs a console socket. */
  detach: boolean;
  /** --systemd-cgroup: the systemd driver (src/cgroups/systemd/; the CLI loads it, loadSystemdDriver). */
  systemdCgroup?: boolean;
  /** runc's rootless cgroup manager (--rootless; default: auto, src/sys/userns.ts rootlessCgroups). */
  rootlessCgroups?: boolean;
  /** --pidfd-socket: a pidfd of the container's init is sent there (SCM_RIGHTS), as runc does. */
  pidfdSocket?: string;
  /** The bundle when the caller has already loaded and validated it (run). */
  loaded?: Bundle;
  store: StateStore;
  log: Logger;
}

const O_PATH = 0o10000000;

/** systemd's LISTEN_FDS when they are meant for this process (LISTEN_PID is ours, as sd_listen_fds checks). */
function listenFds(): number {
  const listen = Number(process.env.LISTEN_FDS ?? 0);
  return Number.isInteger(listen) && listen > 0 && Number(process.env.LISTEN_PID) === process.pid ? listen : 0;
}

/** Number of fds passed through: --preserve-fds plus systemd's LISTEN_FDS (socket activation). */
export function preservedCount(opts: { preserveFds?: number }): number {
  return (opts.preserveFds ?? 0) + listenFds();
}

/** Whether a network namespace path is the one tsrun itself runs in (same inode). */
function isHostNetns(path: string): boolean {
  try {
    const a = statSync(path);
    const b = statSync('/proc/self/ns/net');
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/** The plan; cgroupTasks are the v1 tasks files the helper joins itself (CgroupManager.joinTargets). */
export function planFor(bundle: Bundle, opts: CreateOptions, cgroupTasks: string[] = [], cgroup?: CgroupManager): InitPlan {
  const problems = launchProblems(bundle.spec, { consoleSocket: opts.consoleSocket, detach: opts.detach, isHostNetns });
  if (problems.length) throw fail(`config.json: ${problems[0].path} ${problems[0].text}`);
  const spec = bundle.spec;
  const runAs = rootless() ? { rootlessEUID: rootlessEUID(), inUserNs: runningInUserNS() } : undefined;
  if (runAs?.rootlessEUID) checkRootlessConfig(spec);
  const listen = listenFds();
  if (listen > 0 && spec.process) spec.process.env = [...(spec.process.env ?? []), `LISTEN_FDS=${listen}`, 'LISTEN_PID=1'];
  const seccomp = compileForSpec(spec, undefined, seccompCacheDir());
  if (seccomp?.fromCache) opts.log.debug('seccomp: the compiled filter came from the cache');
  if (seccomp?.skipped.length) opts.log.debug(`seccomp: syscalls unknown to libseccomp skipped: ${seccomp.skipped.join(', ')}`);
  return buildPlan({
    spec,
    id: opts.id,
    noNewKeyring: !!opts.noNewKeyring,
    bundle: bundle.dir,
    rootfs: bundle.rootfs,
    noPivot: !!opts.noPivot,
    fds: helperFds(preservedCount(opts), { fifo: true, console: !!opts.consoleSocket, cgroupTasks }),
    waitForStart: true,
    cgroupPath: cgroupInnerPath(opts.id, spec.linux?.cgroupsPath, !!opts.systemdCgroup),
    host: hostFacts(bundle.rootfs, !!opts.noPivot),
    seccomp,
    runAs,
    cgroupBinds: cgroup && useRootlessCgroups(opts) ? rootlessCgroupBinds(cgroup) : undefined,
  });
}

/** The plan create would run (--dry-run), with the cgroup joins this host needs; starts nothing. */
export function dryRunPlan(bundle: Bundle, opts: CreateOptions): InitPlan {
  const cgroup = cgroupManager({ id: opts.id, cgroupsPath: bundle.spec.linux?.cgroupsPath, systemd: !!opts.systemdCgroup, rootless: useRootlessCgroups(opts), annotations: bundle.spec.annotations, log: opts.log });
  return planFor(bundle, opts, cgroup.joinTargets().tasks, cgroup);
}

/** Writes the pid file atomically (temp + rename) as decimal with no newline: go-runc Atoi's it as is. */
export function writePidFile(path: string, pid: number): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}`);
  writeFileSync(tmp, String(pid), { mode: 0o644 });
  renameSync(tmp, path);
}


export function create(opts: CreateOptions): ContainerRecord {
  const { store, log, id } = opts;
  let bundle = opts.loaded;
  if (!bundle) {
    bundle = loadBundle(opts.bundle);
    phase('bundle loaded and validated');
  }
  const linux = bundle.spec.linux;
  // Only reads the host's layout: nothing to undo if the plan fails.
  const cgroup: CgroupManager = cgroupManager({ id, cgroupsPath: linux?.cgroupsPath, systemd: !!opts.systemdCgroup, rootless: useRootlessCgroups(opts), annotations: bundle.spec.annotations, log });
  const joinAt = cgroup.joinTargets();
  const plan = planFor(bundle, opts, joinAt.tasks, cgroup);
  phase('plan built');
  for (const w of notApplied(bundle.spec)) log.warn(`create ${id}: ${w.text}`);
  for (const w of plan.warnings ?? []) log.warn(`create ${id}: ${w}`);
  const dir = store.createDir(id);
  const rec: ContainerRecord = {
    ociVersion: SPEC_VERSION,
    id,
    status: 'creating',
    pid: 0,
    bundle: bundle.dir,
    rootfs: bundle.rootfs,
    created: new Date().toISOString(),
    owner: '',
    ...(bundle.spec.annotations ? { annotations: bundle.spec.annotations } : {}),
    tsrun: { hooks: { poststart: bundle.spec.hooks?.poststart, poststop: bundle.spec.hooks?.poststop } },
  };
  let run: HelperRun | undefined;
  let made = false;
  // Held until create returns: a delete of this id (containerd's after a failed create) waits for it.
  const unlock = store.lock(id);
  try {
    // state.json before anything else is made: a create killed at any point after this leaves a
    // record of what it made (the cgroup, the mounts), which list shows and delete removes.
    const shared = existingCgroup(cgroup, log);
    rec.tsrun.cgroup = cgroupRecord(cgroup, linux?.resources, shared);
    // Without a mount namespace the helper mounts in ours: remember what was at the rootfs before.
    if (plan.hostMounts) rec.tsrun.hostMounts = { rootfs: plan.hostMounts, before: topMountId(plan.hostMounts) ?? null };
    store.write(rec);
    // exec reads the container's config from here, as it was at create (lossless: the text itself).
    copyFileSync(join(bundle.dir, 'config.json'), join(dir, 'config.json'));
    // pids.max is set once the init exists (at the ready sync): a limit as low as 0 or 1 would
    // otherwise refuse the helper's own fork into the pid namespace (runc too sets it after).
    const { pids, ...early } = linux?.resources ?? {};
    made = !shared;
    cgroup.create(linux?.resources ? early : undefined, linux?.devices);
    phase('cgroup created');
    run = spawnIntoCgroup(opts, dir, joinAt);
    phase('tsrun-init spawned');
    rec.pid = run.helperPid;
    store.write(rec);
    // The systemd driver: the unit starts now, with the helper (which waits for its plan) as its process.
    if (cgroup.adopt) {
      cgroup.adopt(run.helperPid);
      phase('systemd unit started');
    }
    const started = run;
    const cg = cgroup;
    converse(run, plan, log, (kind) => {
      if (kind === SyncKind.ready && linux?.resources?.pids) cg.update({ pids: linux.resources.pids });
      return answerSync(kind, bundle, plan, rec, started, opts);
    }, {
      mustStayAlive: true,
      onFd: (_kind, fd) => sendToListener(bundle.spec, started.pid || started.helperPid, JSON.parse(stateJson({ ...rec, pid: started.pid || started.helperPid }, 'creating')), fd),
    });
    phase('container set up (tsrun-init done)');
    return rec;
  } catch (e0) {
    let e = e0;
    if (run) abort(run);
    // The helper's death at setup is most often the memory limit: the kernel's OOM killer says so.
    const limit = linux?.resources?.memory?.limit;
    if (e instanceof TsrunError && /^tsrun-init exited before setup/.test(e.fields.what) && limit !== undefined && Number(limit) > 0) {
      let oom = 0;
      try { oom = cgroup.oomKills() ?? 0; } catch {}
      log.debug(`oom kills in the container's cgroup: ${oom}`);
      if (oom > 0) e = fail(`the container's memory limit of ${limit} bytes is too low: the kernel killed tsrun-init while it set the container up (OOM)`, { configPath: 'linux.resources.memory.limit', hint: 'raise it; setting up a container takes a few MiB' });
    }
    if (made) try { cgroup.destroy({ force: true }); } catch {}
    const hm = rec.tsrun.hostMounts as { rootfs: string; before: string | null } | undefined;
    if (hm) detachRootfsBind(hm.rootfs, hm.before ?? undefined);
    store.remove(id);
    // runtime-spec: a failing prestart, createRuntime or createContainer hook stops the container and
    // the lifecycle goes on at delete, whose poststop hooks run (their failures are warnings).
    if (e instanceof TsrunError && /^hooks\.(prestart|createRuntime|createContainer)\[/.test(e.fields.configPath ?? '')) {
      const state = stateJson({ ...rec, pid: 0 }, 'stopped');
      for (const [i, h] of (bundle.spec.hooks?.poststop ?? []).entries()) {
        try { runHook('poststop', i, h, state); } catch (w) { log.warn(`create ${id}: ${(w as Error).message}`); }
      }
    }
    throw e instanceof TsrunError ? e : fail('create failed', { detail: e instanceof Error ? e.message : String(e) });
  } finally {
    if (run) closeRun(run);
    unlock();
  }
}

/**
 * Whether the container's cgroup is already there (a cgroupsPath shared with other processes). As
 * runc 1.1: a frozen one is refused (the container would hang at once), a non-empty one is a warning
 * (runc 1.2 refuses it). Such a cgroup is not the container's own: delete leaves it and its processes.
 */
function existingCgroup(cgroup: CgroupManager, log: Logger): boolean {
  if (!cgroup.exists()) return false;
  if (cgroup.isFrozen()) throw fail('container\'s cgroup unexpectedly frozen', { configPath: 'linux.cgroupsPath', detail: Object.values(cgroup.paths())[0], hint: 'thaw it (tsrun resume of the container that froze it), or use another cgroupsPath' });
  const n = cgroup.pids().length;
  if (n) log.warn(`container's cgroup is not empty: ${n} process(es) found`);
  return true;
}

/** spawnForCreate, with a refused cgroup v2 join said in words (clone3's CLONE_INTO_CGROUP checks it). */
function spawnIntoCgroup(opts: CreateOptions, dir: string, cgroupJoin: CgroupJoin): HelperRun {
  try {
    return spawnForCreate(opts, dir, cgroupJoin);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!cgroupJoin.into || (code !== 'EACCES' && code !== 'EPERM')) throw e;
    throw fail(`move tsrun-init into the cgroup ${cgroupJoin.into}`, {
      configPath: 'linux.cgroupsPath', errno: code === 'EACCES' ? 13 : 1,
      hint: rootless() ? 'a user may move a process only between cgroups below one it may write: run tsrun from a cgroup inside the one delegated to it' : undefined,
    });
  }
}

/** The exec fifo (O_PATH, for the init to reopen) and the console socket, then the helper. */
function spawnForCreate(opts: CreateOptions, dir: string, cgroupJoin: CgroupJoin): HelperRun {
  const n = sys();
  const fifo = join(dir, 'exec.fifo');
  n.mkfifo(fifo, 0o622);
  // mkfifo's mode is cut by the umask; the container's user (any uid) must be able to open it for writing.
  chmodSync(fifo, 0o622);
  const own: number[] = [];
  try {
    own.push(n.open(fifo, O_PATH));
    if (opts.consoleSocket) own.push(connectConsole(opts.consoleSocket));
    return spawnHelper(preservedCount(opts), own, cgroupJoin);
  } finally {
    for (const fd of own) closeSync(fd);
  }
}

/** Sends a pidfd of pid to a client listening at path (--pidfd-socket; the payload names the fd, as runc's). */
export function sendPidfd(path: string, pid: number): void {
  const n = sys();
  const fd = n.pidfdOpen(pid);
  try {
    n.sendFdTo(path, 'pidfd', fd);
  } catch (e) {
    throw fail(`send a pidfd to ${path}`, { errno: (e as { errno?: number }).errno, hint: 'the client must listen on the --pidfd-socket before tsrun connects' });
  } finally {
    closeSync(fd);
  }
}

export function connectConsole(path: string): number {
  try {
    return sys().connectUnix(path);
  } catch (e) {
    throw fail(`connect to the console socket ${path}`, { errno: (e as { errno?: number }).errno, hint: 'the client must listen on it before tsrun connects' });
  }
}

function answerSync(kind: number, bundle: Bundle, plan: InitPlan, rec: ContainerRecord, run: HelperRun, opts: CreateOptions): Uint8Array | undefined {
  const pid = run.pid || run.helperPid;
  switch (kind) {
    case SyncKind.usermap:
      writeIdMaps(run.helperPid, plan.usermap!, { rootlessEUID: rootlessEUID(), egid: egid(), gidMappings: bundle.spec.linux?.gidMappings ?? [] });
      return undefined;
    case SyncKind.timens:
      writeFileSync(`/proc/${run.helperPid}/timens_offsets`, plan.timeOffsets!);
      return undefined;
    case SyncKind.hooks: {
      // Status "created", as crun reports it to these hooks (runc says "creating"; the runtime-tools
      // validation suite expects "created" in hooks_stdin). The cwd is the bundle, as with runc.
      const state = stateJson({ ...rec, pid }, 'created');
      runHooks('prestart', bundle.spec.hooks?.prestart, state, { cwd: bundle.dir });
      runHooks('createRuntime', bundle.spec.hooks?.createRuntime, state, { cwd: bundle.dir });
      return new TextEncoder().encode(state);
    }
    case SyncKind.ready: {
      rec.pid = pid;
      rec.status = 'created';
      rec.tsrun.starttime = readProcStat(pid)?.starttime;
      opts.store.write(rec);
      if (opts.pidFile) writePidFile(opts.pidFile, pid);
      if (opts.pidfdSocket) sendPidfd(opts.pidfdSocket, pid);
      return new TextEncoder().encode(stateJson(rec, 'created'));
    }
    default:
      throw fail(`tsrun-init asked for an unknown sync ${kind}`);
  }
}
