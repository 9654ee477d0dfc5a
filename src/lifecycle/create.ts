// `create`: validate the bundle, build the plan, spawn tsrun-init (sealed memfd image, vfork-style
// clone3), feed it the plan and answer its syncs, record the state. Any failure kills the helper and
// removes everything create made: no state dir, no process (mounts live and die in its namespace).
import { chmodSync, closeSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadBundle, type Bundle } from '../config/load.js';
import { launchProblems } from '../config/semantic.js';
import { fail, TsrunError } from '../errors.js';
import { runHooks } from '../hooks/run.js';
import type { Logger } from '../io/log.js';
import { buildPlan, type InitPlan } from '../plan/build.js';
import { compileForSpec } from '../seccomp/compile.js';
import { decodeFromInit, encodePlan } from '../plan/encode.js';
import { MsgType, PlanFlag, SyncKind } from '../plan/ops.gen.js';
import { readProcStat } from '../state/status.js';
import { SPEC_VERSION, type ContainerRecord, type StateStore } from '../state/store.js';
import { sys } from '../sys/index.js';
import { initPath } from '../sys/paths.js';
import { hostFacts } from './host.js';
import { notApplied } from '../plan/not-applied.js';
import { initError } from './init-error.js';

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
  store: StateStore;
  log: Logger;
}

const O_PATH = 0o10000000;
const SIGKILL = 9;
/** How long create waits for one message from the helper before calling it hung. */
const STEP_TIMEOUT_MS = 120_000;

/** fd numbers inside the helper: stdio, preserved fds, then tsrun's own. */
export function helperFds(preserve: number, console: boolean) {
  const channel = 3 + preserve;
  return { channel, fifo: channel + 1, consoleSocket: console ? channel + 2 : undefined, firstToClose: channel };
}

/** Number of fds passed through: --preserve-fds plus systemd's LISTEN_FDS (socket activation). */
export function preservedCount(opts: { preserveFds?: number }): number {
  const listen = Number(process.env.LISTEN_FDS ?? 0);
  return (opts.preserveFds ?? 0) + (Number.isInteger(listen) && listen > 0 ? listen : 0);
}

export function planFor(bundle: Bundle, opts: CreateOptions): InitPlan {
  const problems = launchProblems(bundle.spec, { consoleSocket: opts.consoleSocket, detach: opts.detach });
  if (problems.length) throw fail(`config.json: ${problems[0].path} ${problems[0].text}`);
  const spec = bundle.spec;
  const listen = Number(process.env.LISTEN_FDS ?? 0);
  if (listen > 0 && spec.process) spec.process.env = [...(spec.process.env ?? []), `LISTEN_FDS=${listen}`, 'LISTEN_PID=1'];
  const seccomp = compileForSpec(spec);
  if (seccomp?.skipped.length) opts.log.debug(`seccomp: syscalls unknown to libseccomp skipped: ${seccomp.skipped.join(', ')}`);
  return buildPlan({
    spec,
    id: opts.id,
    noNewKeyring: !!opts.noNewKeyring,
    bundle: bundle.dir,
    rootfs: bundle.rootfs,
    noPivot: !!opts.noPivot,
    fds: helperFds(preservedCount(opts), !!opts.consoleSocket),
    waitForStart: true,
    host: hostFacts(bundle.rootfs),
    seccomp,
  });
}

/** Writes the pid file atomically (temp + rename) as decimal with no newline: go-runc Atoi's it as is. */
export function writePidFile(path: string, pid: number): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}`);
  writeFileSync(tmp, String(pid), { mode: 0o644 });
  renameSync(tmp, path);
}

export function stateJson(rec: ContainerRecord, status: string): string {
  return JSON.stringify({ ociVersion: rec.ociVersion, id: rec.id, status, pid: rec.pid, bundle: rec.bundle, annotations: rec.annotations ?? {} });
}

interface Running {
  helperPid: number;
  helperPidfd: number;
  initPid: number;
  channel: number;
}

export function create(opts: CreateOptions): ContainerRecord {
  const { store, log, id } = opts;
  const bundle = loadBundle(opts.bundle);
  const plan = planFor(bundle, opts);
  for (const w of notApplied(bundle.spec)) log.warn(`create ${id}: ${w.text}`);
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
  const run: Running = { helperPid: 0, helperPidfd: -1, initPid: 0, channel: -1 };
  try {
    spawnHelper(opts, plan, dir, run);
    rec.pid = run.helperPid;
    store.write(rec);
    converse(opts, bundle, plan, rec, run);
    return rec;
  } catch (e) {
    abort(run);
    store.remove(id);
    throw e instanceof TsrunError ? e : fail('create failed', { detail: e instanceof Error ? e.message : String(e) });
  } finally {
    if (run.channel >= 0) closeSync(run.channel);
    if (run.helperPidfd >= 0) closeSync(run.helperPidfd);
    void log;
  }
}

function spawnHelper(opts: CreateOptions, plan: InitPlan, dir: string, run: Running): void {
  const n = sys();
  const fifo = join(dir, 'exec.fifo');
  n.mkfifo(fifo, 0o622);
  // mkfifo's mode is cut by the umask; the container's user (any uid) must be able to open it for writing.
  chmodSync(fifo, 0o622);
  const own: number[] = [];
  try {
    const fifoFd = n.open(fifo, O_PATH);
    own.push(fifoFd);
    let consoleFd = -1;
    if (opts.consoleSocket) {
      try {
        consoleFd = n.connectUnix(opts.consoleSocket);
      } catch (e) {
        throw fail(`connect to the console socket ${opts.consoleSocket}`, { errno: (e as { errno?: number }).errno, hint: 'the client must listen on it before create' });
      }
      own.push(consoleFd);
    }
    const [parentEnd, childEnd] = n.socketpair();
    run.channel = parentEnd;
    own.push(childEnd);
    const execFd = n.sealedExecFd(initPath());
    own.push(execFd);
    const preserve = preservedCount(opts);
    const fds = [0, 1, 2];
    for (let i = 0; i < preserve; i++) fds.push(3 + i);
    fds.push(childEnd, fifoFd);
    if (consoleFd >= 0) fds.push(consoleFd);
    const { pid, pidfd } = n.spawn({ execFd, argv: ['tsrun-init', String(3 + preserve)], fds });
    run.helperPid = pid;
    run.helperPidfd = pidfd;
    void plan;
  } finally {
    for (const fd of own) closeSync(fd);
  }
}

/** Sends the plan and answers the helper until it closes the channel (setup complete) or fails. */
function converse(opts: CreateOptions, bundle: Bundle, plan: InitPlan, rec: ContainerRecord, run: Running): void {
  const n = sys();
  const { log, store } = opts;
  const ops = plan.steps.map((s) => s.op);
  n.sendMsg(run.channel, MsgType.plan, encodePlan(ops, log.opts.debug ? 1 << PlanFlag.trace : 0));
  const t0 = process.hrtime.bigint();
  let prevNs: bigint | undefined;
  let ready = false;
  for (;;) {
    let msg: { type: number; payload: Uint8Array } | null;
    try {
      msg = n.recvMsg(run.channel, STEP_TIMEOUT_MS);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ETIMEDOUT') throw fail(`tsrun-init did not answer for ${STEP_TIMEOUT_MS / 1000}s`, { hint: 'run with --debug to see the last step it reached' });
      throw e;
    }
    if (!msg) break;
    const m = decodeFromInit(msg.type, msg.payload);
    switch (msg.type) {
      case MsgType.error:
        throw initError(plan.steps, m.step!, m.errno!, m.detail ?? '');
      case MsgType.trace:
        log.debug(`step ${m.step} ${plan.steps[m.step!]?.what}: ${prevNs === undefined ? 'first step' : `${(Number(m.ns! - prevNs) / 1e6).toFixed(3)} ms`}`);
        prevNs = m.ns;
        break;
      case MsgType.pid:
        run.initPid = m.pid!;
        rec.pid = m.pid!;
        // After the pid-namespace fork the helper exits: reap it.
        if (run.initPid !== run.helperPid) n.waitPidfd(run.helperPidfd, false);
        break;
      case MsgType.sync:
        n.sendMsg(run.channel, MsgType.ack, answerSync(m.kind!, bundle, plan, rec, run, opts));
        if (m.kind === SyncKind.ready) ready = true;
        break;
      default:
        throw fail(`tsrun-init sent an unknown message type ${msg.type}`);
    }
  }
  if (!ready) throw helperDied(run);
  const st = readProcStat(run.initPid);
  if (!st || st.state === 'Z') throw fail('the container init exited right after setup', { hint: 'run with --debug for step tracing' });
  log.debug(`create ${rec.id}: setup took ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`);
  void store;
}

function answerSync(kind: number, bundle: Bundle, plan: InitPlan, rec: ContainerRecord, run: Running, opts: CreateOptions): Uint8Array | undefined {
  const pid = run.initPid || run.helperPid;
  switch (kind) {
    case SyncKind.usermap:
      writeFileSync(`/proc/${run.helperPid}/uid_map`, plan.usermap!.uidMap);
      writeFileSync(`/proc/${run.helperPid}/gid_map`, plan.usermap!.gidMap);
      return undefined;
    case SyncKind.timens:
      writeFileSync(`/proc/${run.helperPid}/timens_offsets`, plan.timeOffsets!);
      return undefined;
    case SyncKind.hooks: {
      const state = stateJson({ ...rec, pid }, 'creating');
      runHooks('prestart', bundle.spec.hooks?.prestart, state);
      runHooks('createRuntime', bundle.spec.hooks?.createRuntime, state);
      return new TextEncoder().encode(state);
    }
    case SyncKind.ready: {
      rec.pid = pid;
      rec.status = 'created';
      rec.tsrun.starttime = readProcStat(pid)?.starttime;
      opts.store.write(rec);
      if (opts.pidFile) writePidFile(opts.pidFile, pid);
      return new TextEncoder().encode(stateJson(rec, 'created'));
    }
    default:
      throw fail(`tsrun-init asked for an unknown sync ${kind}`);
  }
}

function helperDied(run: Running): TsrunError {
  let how = '';
  try {
    const w = sys().waitPidfd(run.helperPidfd, true);
    if (w?.signal) how = ` (killed by signal ${w.signal})`;
    else if (w?.code !== undefined) how = ` (exit status ${w.code})`;
  } catch {}
  return fail(`tsrun-init exited before the container was created${how}`, { hint: 'run with --debug to see the steps it completed' });
}

/** Kills what create started and reaps it. */
function abort(run: Running): void {
  const n = sys();
  if (run.channel >= 0) {
    try { n.sendMsg(run.channel, MsgType.abort); } catch {}
  }
  if (run.initPid && run.initPid !== run.helperPid) {
    try {
      const fd = n.pidfdOpen(run.initPid);
      n.pidfdSendSignal(fd, SIGKILL);
      try { n.waitPidfd(fd, false); } catch {}
      closeSync(fd);
    } catch {}
  }
  if (run.helperPidfd >= 0) {
    try { n.pidfdSendSignal(run.helperPidfd, SIGKILL); } catch {}
    try { n.waitPidfd(run.helperPidfd, false); } catch {}
  }
}
