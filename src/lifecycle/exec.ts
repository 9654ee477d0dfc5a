// `exec`: run another process in a live container through the same helper and protocol as create.
// The process comes from --process (validated against the process schema) or from the container's
// own process with runc's flags applied. Foreground: forwards signals, returns the exit status.
import { closeSync } from '../sys/fs.js';
import { join } from '../sys/path.js';
import type { Process, Spec } from '../config/gen/config.js';
import { readJsonDocument } from '../config/load.js';
import { fail, TsrunError } from '../errors.js';
import { listenConsole, proxyTerminal } from '../io/tty.js';
import type { Logger } from '../io/log.js';
import { buildExecPlan } from '../plan/exec.js';
import { SyncKind } from '../plan/ops.gen.js';
import { compileForSpec } from '../seccomp/compile.js';
import { cacheDir as seccompCacheDir } from '../seccomp/cache.js';
import type { StateStore } from '../state/store.js';
import { sys } from '../sys/index.js';
import { connectConsole, sendPidfd, writePidFile } from './create.js';
import { abort, closeRun, converse, helperFds, spawnHelper, type HelperRun } from './helper.js';
import { containerHome, hostLsm, ownCapBound } from './host.js';
import { forwardSignals, waitForExit } from './run.js';
import { sendToListener } from '../seccomp/listener.js';
import { cgroupManagerFromPaths, managerFor } from '../cgroups/manager.js';
import { parseSubCgroups, subCgroupPaths } from '../cgroups/sub-cgroup.js';
import { rootless, rootlessCgroups, rootlessEUID, runningInUserNS } from '../sys/userns.js';

export interface ExecOptions {
  id: string;
  store: StateStore;
  log: Logger;
  /** A process.json file (or - for stdin is not supported: runc reads a file). */
  processFile?: string;
  args: string[];
  cwd?: string;
  env?: string[];
  tty?: boolean;
  user?: string;
  additionalGids?: string[];
  caps?: string[];
  noNewPrivs?: boolean;
  apparmor?: string;
  processLabel?: string;
  detach: boolean;
  pidFile?: string;
  pidfdSocket?: string;
  consoleSocket?: string;
  preserveFds?: number;
  ignorePaused?: boolean;
  /** --cgroup: sub-cgroups to run the process in ([controller[,controller]:]path). */
  cgroup?: string[];
}

/** runc's getProcess: the container's process, with the command line's changes. */
export function processFromFlags(base: Process, o: ExecOptions): Process {
  if (!o.args.length) throw fail('exec needs a command to run', { hint: 'tsrun exec <container-id> <command> [args...], or --process FILE' });
  const p: Process = structuredClone(base);
  p.args = o.args;
  if (o.cwd) p.cwd = o.cwd;
  if (o.env?.length) p.env = [...(p.env ?? []), ...o.env];
  p.terminal = !!o.tty;
  if (o.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(o.user);
    if (!m) throw fail(`invalid --user "${o.user}": use uid or uid:gid (numbers)`);
    p.user = { ...p.user, uid: Number(m[1]), gid: m[2] !== undefined ? Number(m[2]) : (p.user?.gid ?? 0) };
  }
  if (o.additionalGids?.length) {
    const gids = o.additionalGids.map((g) => {
      if (!/^\d+$/.test(g)) throw fail(`invalid --additional-gids "${g}": not a number`);
      return Number(g);
    });
    p.user = { ...(p.user ?? { uid: 0, gid: 0 }), additionalGids: gids };
  }
  if (o.caps?.length) {
    const c = (p.capabilities ??= {});
    for (const set of ['bounding', 'effective', 'permitted'] as const) c[set] = [...new Set([...(c[set] ?? []), ...o.caps])];
    // As runc: ambient too, but only when the process has an inheritable set (without one the kernel
    // refuses to raise an ambient capability, and --cap does not add inheritable ones).
    if (c.inheritable) c.ambient = [...new Set([...(c.ambient ?? []), ...o.caps])];
  }
  if (o.noNewPrivs) p.noNewPrivileges = true;
  if (o.apparmor) p.apparmorProfile = o.apparmor;
  if (o.processLabel) p.selinuxLabel = o.processLabel;
  return p;
}

export async function exec(o: ExecOptions): Promise<number> {
  const { store, log, id } = o;
  const rec = store.read(id);
  const status = store.status(rec);
  if (status === 'stopped') throw fail('cannot exec in a stopped container');
  if (status === 'paused' && !o.ignorePaused) throw fail('cannot exec in a paused container', { hint: 'resume it, or pass --ignore-paused' });
  const spec = readJsonDocument(join(store.dir(id), 'config.json'), 'config', 'config.json') as Spec;
  const proc = o.processFile
    ? (readJsonDocument(o.processFile, 'process', 'process.json') as Process)
    : processFromFlags(spec.process ?? { cwd: '/', user: { uid: 0, gid: 0 } }, o);
  if (proc.terminal && o.detach && !o.consoleSocket) throw fail('cannot allocate tty if tsrun will detach without setting console socket', { configPath: 'process.terminal' });
  if (!proc.terminal && o.consoleSocket) throw fail('cannot use console socket if tsrun will not allocate tty', { configPath: 'process.terminal' });

  const listener = proc.terminal && !o.consoleSocket ? listenConsole() : undefined;
  const consolePath = o.consoleSocket ?? listener?.path;
  const preserve = o.preserveFds ?? 0;
  const mgr = managerFor(rec, log);
  const subs = parseSubCgroups(o.cgroup ?? []);
  if (subs.size && !mgr) throw fail('--cgroup: the container has no cgroup');
  const cgroup = (mgr && subs.size ? cgroupManagerFromPaths(subCgroupPaths(mgr.paths(), subs), log) : mgr)?.joinTargets();
  const fds = helperFds(preserve, { console: !!consolePath, cgroupTasks: cgroup?.tasks });
  const seccomp = compileForSpec({ ...spec, process: proc }, undefined, seccompCacheDir());
  const plan = buildExecPlan({
    spec, process: proc, id, initPid: rec.pid, fds,
    host: { homeOf: (uid) => containerHome(rec.rootfs, uid), capBound: ownCapBound(), lsm: hostLsm() },
    seccomp: seccomp && { bpf: seccomp.bpf, flags: seccomp.flags },
    runAs: rootless() ? { rootlessEUID: rootlessEUID(), inUserNs: runningInUserNS() } : undefined,
  });
  for (const w of plan.warnings ?? []) log.warn(`exec ${id}: ${w}`);
  // The init's pid must still be the container's init when the helper opens its namespaces.
  if (store.status(store.read(id)) === 'stopped') throw fail('cannot exec in a stopped container');

  let run: HelperRun | undefined;
  let proxy: { stop(): Promise<void> } | undefined;
  try {
    const own = consolePath ? [connectConsole(consolePath)] : [];
    try {
      try {
        run = spawnHelper(preserve, own, cgroup);
      } catch (e) {
        // As runc: rootless, a cgroup the process may not join is not an error for exec (cgroup v2:
        // moving into it needs write access where the caller's cgroup and the container's meet).
        const code = (e as NodeJS.ErrnoException).code;
        if (!cgroup?.into || (code !== 'EACCES' && code !== 'EPERM') || !rootlessCgroups('auto', false)) throw e;
        run = spawnHelper(preserve, own, { ...cgroup, into: undefined });
        // The user's systemd may move it (runc's AddPid), before its plan: nothing has run yet.
        if (mgr?.attach && !subs.size) mgr.attach(run.helperPid);
        else log.debug(`exec ${id}: cannot join the cgroup ${cgroup.into} (${code}): rootless, the process stays in tsrun's cgroup v2`);
      }
    } finally {
      for (const fd of own) closeSync(fd);
    }
    const started = run;
    converse(run, plan, log, (kind) => {
      if (kind !== SyncKind.ready) throw fail(`tsrun-init asked for an unexpected sync ${kind} during exec`);
      if (o.pidFile) writePidFile(o.pidFile, started.pid || started.helperPid);
      if (o.pidfdSocket) sendPidfd(o.pidfdSocket, started.pid || started.helperPid);
      return undefined;
    }, {
      mustStayAlive: false,
      onFd: (_kind, fd) => sendToListener(spec, started.pid || started.helperPid, { ociVersion: rec.ociVersion, id, status: store.status(rec), pid: rec.pid, bundle: rec.bundle }, fd),
    });
    if (listener) proxy = proxyTerminal(listener.receive());
  } catch (e) {
    if (run) abort(run);
    throw e instanceof TsrunError ? e : fail('exec failed', { detail: e instanceof Error ? e.message : String(e) });
  } finally {
    listener?.close();
    if (run) closeRun(run);
  }
  if (o.detach) return 0;
  const pidfd = sys().pidfdOpen(run.pid || run.helperPid);
  const stopForwarding = forwardSignals(pidfd);
  try {
    return await waitForExit(pidfd);
  } finally {
    stopForwarding();
    await proxy?.stop();
    closeSync(pidfd);
  }
}
