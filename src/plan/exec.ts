// The plan of `tsrun exec`: a new process inside a running container. It joins every namespace of the
// container's init (user first, mount last), forks into its pid namespace, gets the container's
// session keyring, then the same process setup as the init (user, caps, seccomp, cwd, exec). PURE.
import type { Process, Spec } from '../config/gen/config.js';
import { fail } from '../errors.js';
import { cgroupJoinSteps, PlanWriter, processSteps, type CgroupJoinFd, type HostFacts, type InitPlan } from './build.js';
import { initialAffinitySteps, schedulingSteps } from './process-attrs.js';
import { NS_FLAGS, NS_PROC_NAME, RLIMITS, type NamespaceType } from './tables.js';

export interface ExecPlanInput {
  /** The container's config (as stored at create). */
  spec: Spec;
  /** The process to run (from --process or built from the flags). */
  process: Process;
  id: string;
  /** Host pid of the container's init: its /proc/<pid>/ns/* are joined. */
  initPid: number;
  fds: { consoleSocket?: number; cgroupJoins?: CgroupJoinFd[]; firstToClose: number };
  host: Pick<HostFacts, 'homeOf' | 'capBound' | 'lsm'>;
  seccomp?: { bpf: Uint8Array; flags: number };
}

/** Join order: user first (it gives the capabilities for the rest), mount last (it changes the root). */
const ORDER: NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

export function buildExecPlan(input: ExecPlanInput): InitPlan {
  const { spec, process: proc } = input;
  const w = new PlanWriter();
  const procSpec = { ...spec, process: proc };
  cgroupJoinSteps(w, input.fds.cgroupJoins);
  initialAffinitySteps(w, procSpec);
  const types = new Set((spec.linux?.namespaces ?? []).map((n) => n.type as NamespaceType));
  for (const [i, r] of (proc.rlimits ?? []).entries()) {
    const res = RLIMITS[r.type];
    if (res === undefined) throw fail(`unknown rlimit "${r.type}"`, { configPath: `process.rlimits[${i}].type` });
    w.add({ op: 'setrlimit', resource: res, soft: BigInt(r.soft), hard: BigInt(r.hard) }, `set ${r.type} to ${r.soft}/${r.hard}`, `process.rlimits[${i}]`);
  }
  if (proc.oomScoreAdj !== undefined) w.add({ op: 'write_file', path: '/proc/self/oom_score_adj', data: String(proc.oomScoreAdj) }, `set oom_score_adj to ${proc.oomScoreAdj}`, 'process.oomScoreAdj');
  w.add({ op: 'set_dumpable', on: 0 }, 'make the helper non-dumpable');
  // The container's root as the init sees it, taken before joining: the mount namespace's root mount
  // is not always it (a host that runs chrooted, e.g. over an initramfs).
  // (Without a mount namespace of its own the container is a chroot in tsrun's: the same root, entered the same way.)
  w.add({ op: 'open_root', path: `/proc/${input.initPid}/root` }, 'open the container\'s root (from its init)');
  for (const t of ORDER) {
    if (!types.has(t)) continue;
    const path = `/proc/${input.initPid}/ns/${NS_PROC_NAME[t]}`;
    w.add({ op: 'setns', path, nstype: NS_FLAGS[t] }, `join the container's ${t} namespace (${path})`);
  }
  w.add({ op: 'chroot_root' }, 'enter the container\'s root');
  if (types.has('pid') || types.has('time')) w.add({ op: 'fork' }, 'fork into the container\'s pid namespace');
  else w.add({ op: 'report_pid' }, 'report the process pid');
  w.add({ op: 'setsid' }, 'start a new session');
  schedulingSteps(w, procSpec);
  w.add({ op: 'join_keyring', name: `_ses.${input.id}`, permSet: 0 }, 'join the container\'s session keyring');
  if (proc.terminal) {
    if (input.fds.consoleSocket === undefined) throw fail('process.terminal is set but there is no console socket', { configPath: 'process.terminal' });
    w.add({ op: 'console', socketFd: input.fds.consoleSocket, rows: proc.consoleSize?.height ?? 0, cols: proc.consoleSize?.width ?? 0, bindConsole: 0 }, 'allocate the pty and send its master to the console socket', 'process.terminal');
  }
  const warnings: string[] = [];
  processSteps(w, {
    spec: { ...spec, process: proc, hooks: undefined },
    id: input.id,
    bundle: '',
    rootfs: '',
    noPivot: false,
    fds: { fifo: -1, firstToClose: input.fds.firstToClose },
    waitForStart: false,
    host: { sourceKind: () => undefined, cgroup: { v1: null }, homeOf: input.host.homeOf, capBound: input.host.capBound, lsm: input.host.lsm },
    seccomp: input.seccomp,
  }, warnings);
  return { steps: w.steps, warnings, runtimeHooks: false };
}
