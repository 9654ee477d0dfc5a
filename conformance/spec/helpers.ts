// Shared pieces of the spec conformance tests: the skip rule, state polling, and small probes of a
// container from the host. Every test names the runtime-spec v1.3.0 sentence it checks.
import { existsSync, readFileSync, readdirSync, readlinkSync, rmdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { isRoot, skipReason, which } from '../../test/helpers/env.js';
import { Sandbox } from '../../test/helpers/sandbox.js';

export { Sandbox, which };

export const skip = skipReason(!isRoot ? 'spec conformance tests start real containers and need root' : !which('busybox') ? 'busybox-static is not installed' : undefined);

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The state document, or undefined when `state` fails (the container does not exist). */
export function stateOf(sb: Sandbox, id: string): any {
  const r = sb.run(['state', id]);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
}

/** Polls until the container has the status (or 5 s pass); returns the last status seen. */
export function waitStatus(sb: Sandbox, id: string, status: string, ms = 5000): string | undefined {
  let s: string | undefined;
  for (const t0 = Date.now(); Date.now() - t0 < ms; sleepMs(20)) {
    s = stateOf(sb, id)?.status;
    if (s === status) break;
  }
  return s;
}

/** Polls until cond() holds (or ms pass). */
export function waitUntil(cond: () => boolean, ms = 5000): boolean {
  for (const t0 = Date.now(); Date.now() - t0 < ms; sleepMs(20)) if (cond()) return true;
  return cond();
}

/** create must succeed; returns the container's pid. */
export function created(sb: Sandbox, bundle: string, id: string): number {
  const r = sb.run(['create', '-b', bundle, id]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return stateOf(sb, id).pid;
}

/** Runs a container in the foreground and returns its result (stdout is the container's). */
export function runIn(sb: Sandbox, id: string, args: string[], edit?: Parameters<Sandbox['bundle']>[2]) {
  const b = sb.bundle(`b-${id}`, args, edit);
  return { bundle: b, ...sb.run(['run', '-b', b, id]) };
}

export function nsOf(pid: number | 'self', type: string): string {
  return readlinkSync(`/proc/${pid}/ns/${type}`);
}

/** Runs a command in some of a process's namespaces (util-linux nsenter). */
export function nsenter(pid: number, flags: string[], cmd: string[]): string {
  const r = spawnSync('nsenter', ['-t', String(pid), ...flags, ...cmd], { encoding: 'utf8' });
  return r.stdout;
}

/** Mount points (field 5) and their per-mount and super options from a mountinfo text. */
export function mountsOf(mountinfo: string): { point: string; opts: string; optional: string; fstype: string; superOpts: string }[] {
  return mountinfo.split('\n').filter((l) => l.includes(' - ')).map((l) => {
    const [left, right] = l.split(' - ');
    const f = left.split(' ');
    const r = right.split(' ');
    return { point: f[4], opts: f[5], optional: f.slice(6).join(' '), fstype: r[0], superOpts: r[2] ?? '' };
  });
}

/** Host cgroup v1 directories (one per mounted controller) that hold this container's init. */
export function cgroupDirsOf(pid: number): string[] {
  const out: string[] = [];
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [, ctrls, path] = line.split(':');
    if (!ctrls) continue;
    const name = ctrls.startsWith('name=') ? ctrls.slice(5) : ctrls.split(',')[0];
    out.push(`/sys/fs/cgroup/${name}${path}`);
  }
  return out;
}

/**
 * Host processes whose executable is a tsrun-init memfd (a container's waiting init) and whose mount
 * namespace shows a path under `under` (a Sandbox dir), so that other tests running on the same host
 * at the same time do not count.
 */
export function initProcesses(under: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readlinkSync(`/proc/${p}/exe`).includes('tsrun-init') && readFileSync(`/proc/${p}/mountinfo`, 'utf8').includes(under)) out.push(Number(p));
    } catch {}
  }
  return out;
}

export function alive(pid: number): boolean {
  try { return !readFileSync(`/proc/${pid}/stat`, 'utf8').match(/^\d+ \(.*\) Z/); } catch { return false; }
}

/** Removes a cgroup path (relative to each hierarchy) from every mounted v1 hierarchy, leaf first. */
export function rmCgroup(rel: string): void {
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const parts = rel.split('/').filter(Boolean);
    for (let n = parts.length; n > 0; n--) {
      const d = `/sys/fs/cgroup/${h}/${parts.slice(0, n).join('/')}`;
      try { if (existsSync(d)) rmdirSync(d); } catch {}
    }
  }
}

/** create must fail with a message, and nothing is left behind. Returns the message. */
export function refused(sb: Sandbox, id: string, edit: Parameters<Sandbox['bundle']>[2]): string {
  const b = sb.bundle(`b-${id}`, ['true'], edit);
  const r = sb.run(['create', '-b', b, id]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).not.toBe('');
  expect(stateOf(sb, id)).toBeUndefined();
  return r.stderr;
}
