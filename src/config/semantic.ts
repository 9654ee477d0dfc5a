// The spec's MUSTs that a JSON Schema cannot say (duplicates, absolute paths, fields that need a
// namespace, seccomp actions that take an errno...). Pure: a config in, the first problem out.
import type { Spec } from './gen/config.js';

export interface Problem {
  /** Config path of the offending field, e.g. `linux.namespaces[2].type`. */
  path: string;
  text: string;
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const ERRNO_ACTIONS = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE']);

function duplicates<T>(items: T[] | undefined, key: (t: T) => string, path: (i: number) => string, what: string): Problem | undefined {
  const seen = new Map<string, number>();
  for (const [i, item] of (items ?? []).entries()) {
    const k = key(item);
    const first = seen.get(k);
    if (first !== undefined) return { path: path(i), text: `${what} "${k}" is given twice (first at ${path(first)})` };
    seen.set(k, i);
  }
  return undefined;
}

function absolute(value: string | undefined, path: string, what: string): Problem | undefined {
  if (value !== undefined && !value.startsWith('/')) return { path, text: `${what} must be an absolute path (got ${JSON.stringify(value)})` };
  return undefined;
}

function* checks(c: Spec): Generator<Problem | undefined> {
  yield SEMVER.test(c.ociVersion) ? undefined : { path: 'ociVersion', text: `must be a SemVer 2.0.0 version (got ${JSON.stringify(c.ociVersion)})` };
  const major = Number(c.ociVersion.split('.')[0]);
  yield major === 1 ? undefined : { path: 'ociVersion', text: `version ${c.ociVersion} is not supported: tsrun implements runtime-spec 1.x` };

  const p = c.process;
  if (p) {
    // config.md: on Linux at least one entry is REQUIRED, used as execvp's file.
    if (!p.args) yield { path: 'process.args', text: 'is required: at least the program to run (used as execvp\'s file)' };
    yield absolute(p.cwd, 'process.cwd', 'the working directory');
    for (const [i, e] of (p.env ?? []).entries()) yield e.includes('=') ? undefined : { path: `process.env[${i}]`, text: `must be KEY=value (got ${JSON.stringify(e)})` };
    yield duplicates(p.rlimits, (r) => r.type, (i) => `process.rlimits[${i}].type`, 'rlimit');
    for (const [i, r] of (p.rlimits ?? []).entries()) {
      yield BigInt(r.soft) <= BigInt(r.hard) ? undefined : { path: `process.rlimits[${i}]`, text: `soft limit ${r.soft} is above the hard limit ${r.hard}` };
    }
  }

  for (const [i, m] of (c.mounts ?? []).entries()) {
    yield !!m.uidMappings === !!m.gidMappings ? undefined : { path: `mounts[${i}]`, text: 'uidMappings and gidMappings must be given together' };
  }

  for (const kind of ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const) {
    for (const [i, h] of (c.hooks?.[kind] ?? []).entries()) yield absolute(h.path, `hooks.${kind}[${i}].path`, 'a hook path');
  }

  const l = c.linux;
  const ns = new Map((l?.namespaces ?? []).map((n) => [n.type, n]));
  yield duplicates(l?.namespaces, (n) => n.type, (i) => `linux.namespaces[${i}].type`, 'namespace');
  for (const [i, n] of (l?.namespaces ?? []).entries()) yield absolute(n.path, `linux.namespaces[${i}].path`, 'a namespace path');

  const newUserns = ns.has('user') && !ns.get('user')!.path;
  if ((l?.uidMappings?.length || l?.gidMappings?.length) && !ns.has('user')) {
    yield { path: l?.uidMappings?.length ? 'linux.uidMappings' : 'linux.gidMappings', text: 'id mappings need a user namespace (add {"type": "user"} to linux.namespaces)' };
  }
  if (newUserns && (!l?.uidMappings?.length || !l?.gidMappings?.length)) {
    yield { path: l?.uidMappings?.length ? 'linux.gidMappings' : 'linux.uidMappings', text: 'a new user namespace needs both uidMappings and gidMappings' };
  }
  if (l?.timeOffsets && !ns.has('time')) yield { path: 'linux.timeOffsets', text: 'time offsets need a time namespace (add {"type": "time"} to linux.namespaces)' };
  if (c.hostname !== undefined && c.hostname !== '' && !ns.has('uts')) yield { path: 'hostname', text: 'setting the hostname needs a UTS namespace (add {"type": "uts"} to linux.namespaces)' };
  if (c.domainname !== undefined && c.domainname !== '' && !ns.has('uts')) yield { path: 'domainname', text: 'setting the domainname needs a UTS namespace (add {"type": "uts"} to linux.namespaces)' };

  // runc reads "net/ipv4/ip_forward" as "net.ipv4.ip_forward".
  for (const key of Object.keys(l?.sysctl ?? {})) yield sysctlProblem(key.replace(/\//g, '.'), ns);
  for (const [i, d] of (l?.devices ?? []).entries()) yield absolute(d.path, `linux.devices[${i}].path`, 'a device path');
  yield duplicates(l?.devices, (d) => d.path, (i) => `linux.devices[${i}].path`, 'device');
  for (const key of ['maskedPaths', 'readonlyPaths'] as const) {
    for (const [i, s] of (l?.[key] ?? []).entries()) yield absolute(s, `linux.${key}[${i}]`, 'a path');
  }

  const sc = l?.seccomp;
  if (sc) {
    if (sc.defaultErrnoRet !== undefined && !ERRNO_ACTIONS.has(sc.defaultAction)) {
      yield { path: 'linux.seccomp.defaultErrnoRet', text: `is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (defaultAction is ${sc.defaultAction})` };
    }
    let notify = sc.defaultAction === 'SCMP_ACT_NOTIFY';
    for (const [i, s] of (sc.syscalls ?? []).entries()) {
      if (s.errnoRet !== undefined && !ERRNO_ACTIONS.has(s.action)) yield { path: `linux.seccomp.syscalls[${i}].errnoRet`, text: `is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (action is ${s.action})` };
      if (s.action === 'SCMP_ACT_NOTIFY') notify = true;
      // tsrun-init hands the listener to the runtime with sendmsg, before the agent has it.
      if (s.action === 'SCMP_ACT_NOTIFY' && (s.names ?? []).includes('sendmsg')) yield { path: `linux.seccomp.syscalls[${i}].names`, text: 'SCMP_ACT_NOTIFY cannot be used for sendmsg: tsrun-init sends the listener to the runtime with it, before the seccomp agent could answer' };
    }
    if (notify && !sc.listenerPath) yield { path: 'linux.seccomp.listenerPath', text: 'is required when an action is SCMP_ACT_NOTIFY' };
    if (sc.listenerMetadata && !sc.listenerPath) yield { path: 'linux.seccomp.listenerMetadata', text: 'needs linux.seccomp.listenerPath' };
    if (sc.defaultAction === 'SCMP_ACT_NOTIFY') yield { path: 'linux.seccomp.defaultAction', text: 'SCMP_ACT_NOTIFY cannot be the default action (the listener could not answer its own syscalls)' };
  }
}

/** Every MUST-level problem of a config, in document order; empty when it is fine. */
export function semanticProblems(c: Spec): Problem[] {
  const out: Problem[] = [];
  for (const p of checks(c)) if (p) out.push(p);
  return out;
}

/** What create/run need beyond the config: a terminal must have somewhere to go when detached. */
export function launchProblems(c: Spec, opts: { consoleSocket?: string; detach: boolean; isHostNetns?: (path: string) => boolean }): Problem[] {
  const out: Problem[] = [];
  // A network namespace joined by path may be the runtime's own: net.* sysctls would then change the
  // host (runc refuses them the same way).
  const netIndex = (c.linux?.namespaces ?? []).findIndex((n) => n.type === 'network' && n.path);
  if (netIndex >= 0 && opts.isHostNetns?.(c.linux!.namespaces![netIndex].path!)) {
    for (const key of Object.keys(c.linux?.sysctl ?? {})) {
      if (key.replace(/\//g, '.').startsWith('net.')) out.push({ path: `linux.sysctl["${key}"]`, text: `is not allowed in the host network namespace (linux.namespaces[${netIndex}].path is the runtime's own)` });
    }
  }
  if (!c.process) out.push({ path: 'process', text: 'is required to create a container (there is nothing to run)' });
  else if (c.process.terminal && opts.detach && !opts.consoleSocket) {
    out.push({ path: 'process.terminal', text: 'cannot allocate tty if tsrun will detach without setting console socket (pass --console-socket)' });
  } else if (!c.process.terminal && opts.consoleSocket) {
    out.push({ path: 'process.terminal', text: 'cannot use console socket if tsrun will not allocate tty (set process.terminal to true)' });
  }
  return out;
}

/** IPC sysctls that an IPC namespace isolates (runc's validator list). */
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/**
 * A sysctl may only be set when the container has the namespace that isolates it; anything else
 * would change the host for everyone (runc's rule).
 */
function sysctlProblem(key: string, ns: Map<string, { path?: string }>): Problem | undefined {
  const path = `linux.sysctl["${key}"]`;
  const own = (t: string, what: string) => (ns.has(t) ? undefined : { path, text: `needs ${what} namespace of its own (add {"type": "${t}"} to linux.namespaces)` });
  if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) return own('ipc', 'an IPC');
  if (key.startsWith('net.')) return own('network', 'a network');
  // As runc: kernel.domainname is fine in a UTS namespace (it is applied after the domainname field,
  // so it wins); kernel.hostname conflicts with the hostname field.
  if (key === 'kernel.domainname') return own('uts', 'a UTS');
  if (key === 'kernel.hostname') return ns.has('uts') ? { path, text: 'is not allowed as it conflicts with the OCI "hostname" field' } : own('uts', 'a UTS');
  if (key.startsWith('user.')) return own('user', 'a user');
  return { path, text: 'is not namespaced: setting it would change the host for every container' };
}
