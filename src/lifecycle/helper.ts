// One conversation with tsrun-init, shared by create and exec: spawn it from its sealed image with a
// given fd layout, send the plan, answer its syncs until it closes the channel, and on any failure
// kill and reap what was started.
import { closeSync } from '../sys/fs.js';
import { fail, TsrunError } from '../errors.js';
import type { Logger } from '../io/log.js';
import type { InitPlan } from '../plan/build.js';
import { decodeFromInit, encodePlan } from '../plan/encode.js';
import { MsgType, PlanFlag, SyncKind } from '../plan/ops.gen.js';
import { readProcStat } from '../state/status.js';
import { sys } from '../sys/index.js';
import { initPath } from '../sys/paths.js';
import { initError } from './init-error.js';

export interface HelperRun {
  helperPid: number;
  helperPidfd: number;
  /** The process that ends up running the user program (after the pid-namespace fork). */
  pid: number;
  channel: number;
}

/** How long to wait for one message from the helper before calling it hung. */
const STEP_TIMEOUT_MS = 120_000;
const SIGKILL = 9;

/** fd numbers inside the helper: stdio, preserved fds, then the channel and tsrun's own fds. */
export function helperFds(preserve: number, extra: { fifo?: boolean; console?: boolean; cgroupTasks?: string[] }) {
  const channel = 3 + preserve;
  let next = channel + 1;
  const fifo = extra.fifo ? next++ : -1;
  const consoleSocket = extra.console ? next++ : undefined;
  const cgroupJoins = (extra.cgroupTasks ?? []).map((file) => ({ fd: next++, file }));
  return { channel, fifo, consoleSocket, cgroupJoins, firstToClose: channel };
}

export type CgroupJoin = { into?: string; tasks: string[] };

/**
 * Spawns tsrun-init: fds 0-2 and the preserved ones as they are, then the channel, `own` fds and the
 * cgroup v1 `tasks` files of `join` (opened here, in helperFds' order). The helper is in the
 * container's cgroup before it runs any other step: born in the cgroup2 one (CLONE_INTO_CGROUP), and
 * its plan's first steps write "0" to the tasks files (see CgroupManager.joinTargets).
 */
export function spawnHelper(preserve: number, own: number[], join?: CgroupJoin): HelperRun {
  const n = sys();
  const opened: number[] = [];
  let run: HelperRun | undefined;
  let parentEnd = -1;
  try {
    const cgroupFd = join?.into ? openOrFail(join.into, O_RDONLY | O_DIRECTORY, `open the cgroup ${join.into}`) : undefined;
    if (cgroupFd !== undefined) opened.push(cgroupFd);
    const tasks = (join?.tasks ?? []).map((f) => openOrFail(f, O_WRONLY, `open ${f} (to join that cgroup)`));
    opened.push(...tasks);
    const execFd = n.sealedExecFd(initPath());
    opened.push(execFd);
    const [p, childEnd] = n.socketpair();
    parentEnd = p;
    opened.push(childEnd);
    const fds = [0, 1, 2];
    for (let i = 0; i < preserve; i++) fds.push(3 + i);
    fds.push(childEnd, ...own, ...tasks);
    const { pid, pidfd } = n.spawn({ execFd, argv: ['tsrun-init', String(3 + preserve)], fds, cgroupFd });
    run = { helperPid: pid, helperPidfd: pidfd, pid: 0, channel: parentEnd };
    return run;
  } catch (e) {
    if (run) abort(run);
    if (parentEnd >= 0) closeSync(parentEnd);
    throw e;
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}

const O_WRONLY = 0o1, O_RDONLY = 0, O_DIRECTORY = 0o200000;

function openOrFail(path: string, flags: number, what: string): number {
  try {
    return sys().open(path, flags);
  } catch (e) {
    throw fail(what, { errno: (e as { errno?: number }).errno });
  }
}

/**
 * Sends the plan and answers the helper until it closes the channel. `answer` handles syncs and
 * returns the ack payload. Throws the helper's failure as a message naming the step and field.
 */
export function converse(
  run: HelperRun, plan: InitPlan, log: Logger,
  answer: (kind: number) => Uint8Array | undefined,
  opts: { mustStayAlive: boolean; onFd?: (kind: number, fd: number) => void },
): void {
  const n = sys();
  n.sendMsg(run.channel, MsgType.plan, encodePlan(plan.steps.map((s) => s.op), log.opts.debug ? 1 << PlanFlag.trace : 0));
  let prevNs: bigint | undefined;
  let ready = false;
  for (;;) {
    let msg: { type: number; payload: Uint8Array; fds: number[] } | null;
    try {
      msg = n.recvMsg(run.channel, STEP_TIMEOUT_MS);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ETIMEDOUT') throw fail(`tsrun-init did not answer for ${STEP_TIMEOUT_MS / 1000}s`, { hint: 'run with --debug to see the last step it reached' });
      throw e;
    }
    if (!msg) break;
    const m = decodeFromInit(msg.type, msg.payload);
    if (msg.type !== MsgType.fd) for (const fd of msg.fds) closeSync(fd);
    switch (msg.type) {
      case MsgType.fd: {
        const [fd, ...extra] = msg.fds;
        for (const x of extra) closeSync(x);
        if (fd === undefined) throw fail('tsrun-init sent an fd message without an fd');
        try {
          if (!opts.onFd) throw fail(`tsrun-init sent an unexpected fd (kind ${m.kind})`);
          opts.onFd(m.kind!, fd);
        } finally {
          closeSync(fd);
        }
        n.sendMsg(run.channel, MsgType.ack);
        break;
      }
      case MsgType.error:
        throw initError(plan.steps, m.step!, m.errno!, m.detail ?? '');
      case MsgType.trace:
        log.debug(`step ${m.step} ${plan.steps[m.step!]?.what}: ${prevNs === undefined ? 'first step' : `${(Number(m.ns! - prevNs) / 1e6).toFixed(3)} ms`}`);
        prevNs = m.ns;
        break;
      case MsgType.pid:
        run.pid = m.pid!;
        // After the pid-namespace fork the helper exits: reap it.
        if (run.pid !== run.helperPid) n.waitPidfd(run.helperPidfd, false);
        break;
      case MsgType.sync:
        n.sendMsg(run.channel, MsgType.ack, answer(m.kind!));
        if (m.kind === SyncKind.ready) ready = true;
        break;
      default:
        throw fail(`tsrun-init sent an unknown message type ${msg.type}`);
    }
  }
  if (!ready) throw helperDied(run);
  // A created container's init waits on exec.fifo: gone already means it failed after setup. (An
  // exec'd process may legitimately have finished by now.)
  if (opts.mustStayAlive) {
    const st = readProcStat(run.pid);
    if (!st || st.state === 'Z') throw fail('the container init exited right after setup', { hint: 'run with --debug for step tracing' });
  }
}

function helperDied(run: HelperRun): TsrunError {
  let how = '';
  try {
    const w = sys().waitPidfd(run.helperPidfd, true);
    if (w?.signal) how = ` (killed by signal ${w.signal})`;
    else if (w?.code !== undefined) how = ` (exit status ${w.code})`;
  } catch {}
  return fail(`tsrun-init exited before setup was complete${how}`, { hint: 'run with --debug to see the steps it completed' });
}

/** Kills what was started and reaps it. */
export function abort(run: HelperRun): void {
  const n = sys();
  try { n.sendMsg(run.channel, MsgType.abort); } catch {}
  if (run.pid && run.pid !== run.helperPid) {
    try {
      const fd = n.pidfdOpen(run.pid);
      n.pidfdSendSignal(fd, SIGKILL);
      try { n.waitPidfd(fd, false); } catch {}
      closeSync(fd);
    } catch {}
  }
  try { n.pidfdSendSignal(run.helperPidfd, SIGKILL); } catch {}
  try { n.waitPidfd(run.helperPidfd, false); } catch {}
}

export function closeRun(run: HelperRun): void {
  closeSync(run.channel);
  closeSync(run.helperPidfd);
}
