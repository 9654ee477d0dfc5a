// Helpers for the client end-to-end tests (containerd/ctr and Docker driving bin/tsrun): bounded
// commands whose failures describe themselves, daemons started and stopped by pid, and a cleanup
// that removes exactly what those daemons left (processes, mounts, cgroups, shim sockets).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, openSync, closeSync, readdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Cmd {
  argv: string[];
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

export interface CmdOpts {
  timeout?: number;
  input?: string;
  env?: Record<string, string>;
  cwd?: string;
}

/** Runs a command to completion, bounded by a timeout (default 30 s); never throws. */
export function sh(argv: string[], opts: CmdOpts = {}): Cmd {
  const t0 = Date.now();
  const timeout = opts.timeout ?? 30_000;
  const r = spawnSync(argv[0], argv.slice(1), {
    input: opts.input ?? '',
    cwd: opts.cwd,
    env: opts.env,
    encoding: 'utf8',
    timeout,
    killSignal: 'SIGKILL',
    maxBuffer: 16 << 20,
  });
  const ms = Date.now() - t0;
  return {
    argv,
    code: r.status,
    signal: r.signal,
    stdout: r.stdout ?? '',
    stderr: (r.stderr ?? '') + (r.error && !r.signal ? `\n[spawn error: ${r.error.message}]` : ''),
    ms,
    timedOut: r.signal === 'SIGKILL' && ms >= timeout - 50,
  };
}

const clip = (s: string, n = 2000) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

export function describeCmd(r: Cmd): string {
  return [
    `$ ${r.argv.map(quote).join(' ')}`,
    `  -> ${r.timedOut ? `TIMED OUT after ${r.ms} ms` : r.signal ? `killed by ${r.signal}` : `exit ${r.code}`} (${r.ms} ms)`,
    `  stdout: ${JSON.stringify(clip(r.stdout))}`,
    `  stderr: ${JSON.stringify(clip(r.stderr))}`,
  ].join('\n');
}

/** Throws a self-describing error unless the command exited with `code`. */
export function expectExit(r: Cmd, code: number, what: string): Cmd {
  if (r.code !== code) throw new Error(`${what}: expected exit ${code}\n${describeCmd(r)}`);
  return r;
}

export function expectOk(r: Cmd, what: string): Cmd {
  return expectExit(r, 0, what);
}

/** Throws with the command's description unless `cond` holds. */
export function check(cond: unknown, what: string, r?: Cmd): void {
  if (!cond) throw new Error(r ? `${what}\n${describeCmd(r)}` : what);
}

export function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs argv with a pseudo-terminal as its stdio (util-linux `script`), for clients that need one
 * (`ctr --tty` calls console.Current() and panics without it). `-e` returns the child's exit code.
 */
export function inPty(argv: string[]): string[] {
  return ['script', '-q', '-e', '-c', argv.map(quote).join(' '), '/dev/null'];
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false, deadlineMs: number, everyMs = 100): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function pidAlive(pid: number): boolean {
  try {
    // A zombie is not alive for our purposes.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/** A daemon started by the test: its stdout and stderr go to a log file, stopped by its pid. */
export class Daemon {
  readonly proc: ChildProcess;
  readonly pid: number;
  private exited = false;
  exitInfo = '';

  constructor(readonly name: string, argv: string[], readonly logFile: string, env?: Record<string, string>) {
    const fd = openSync(logFile, 'a');
    try {
      this.proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd], env, detached: false });
    } finally {
      closeSync(fd);
    }
    if (this.proc.pid === undefined) throw new Error(`${name}: could not start ${argv[0]}`);
    this.pid = this.proc.pid;
    this.proc.on('exit', (code, sig) => {
      this.exited = true;
      this.exitInfo = sig ? `killed by ${sig}` : `exit ${code}`;
    });
    this.proc.on('error', (e) => {
      this.exited = true;
      this.exitInfo = `spawn error: ${e.message}`;
    });
  }

  get running(): boolean {
    return !this.exited;
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Waits until `ready()` holds, failing early with the log if the daemon exits. */
  async waitReady(ready: () => boolean, deadlineMs: number): Promise<void> {
    const end = Date.now() + deadlineMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name} exited during start-up (${this.exitInfo}); log:\n${this.logTail()}`);
      if (ready()) return;
      if (Date.now() > end) throw new Error(`${this.name} not ready after ${deadlineMs} ms; log:\n${this.logTail()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** SIGTERM, then SIGKILL after graceMs. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    signal(this.pid, 'SIGTERM');
    const end = Date.now() + graceMs;
    while (this.running && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    if (this.running) {
      signal(this.pid, 'SIGKILL');
      const end2 = Date.now() + 5_000;
      while (this.running && Date.now() < end2) await new Promise((r) => setTimeout(r, 50));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// What a daemon leaves behind.

/** Host pids whose command line contains `needle` as one of its words (e.g. our socket path). */
export function pidsWithArg(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a === needle || a.startsWith(`${needle}/`) || a.includes(`=${needle}`))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

export async function killPids(pids: number[], graceMs = 3_000): Promise<void> {
  for (const p of pids) signal(p, 'SIGTERM');
  const end = Date.now() + graceMs;
  while (pids.some(pidAlive) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  for (const p of pids.filter(pidAlive)) signal(p, 'SIGKILL');
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or under `prefix` in our mount namespace, deepest last. */
export function mountsUnder(prefix: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const mp = unescapeMountinfo(f[4]);
    if (mp === prefix || mp.startsWith(`${prefix}/`)) out.push(mp);
  }
  return out;
}

/** Unmounts (lazily, deepest first) everything mounted under `prefix`. Returns what it unmounted. */
export function unmountUnder(prefix: string): string[] {
  const done: string[] = [];
  for (let round = 0; round < 5; round++) {
    const mps = mountsUnder(prefix);
    if (mps.length === 0) break;
    for (const mp of mps.reverse()) {
      if (sh(['umount', '-n', '-l', mp], { timeout: 10_000 }).code === 0) done.push(mp);
    }
  }
  return done;
}

/** The dirs of cgroup `rel` (e.g. "tsrun-clients-ab12") in every mounted hierarchy that has it. */
export function cgroupDirs(rel: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (dash < 0 || (f[dash + 1] !== 'cgroup' && f[dash + 1] !== 'cgroup2')) continue;
    if (f[3] !== '/') continue; // a bind of a sub-cgroup, not a hierarchy's root
    const mp = unescapeMountinfo(f[4]);
    if (!mp.startsWith('/sys/fs/cgroup')) continue;
    const dir = join(mp, rel);
    if (existsSync(dir) && !out.includes(dir)) out.push(dir);
  }
  return out;
}

function walkCgroup(dir: string): string[] {
  const out: string[] = [];
  let ents: string[] = [];
  try {
    ents = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return out;
  }
  for (const e of ents) out.push(...walkCgroup(join(dir, e)));
  out.push(dir); // children first
  return out;
}

/** Pids in cgroup `rel` or below, in any hierarchy. */
export function cgroupPids(rel: string): number[] {
  const pids = new Set<number>();
  for (const top of cgroupDirs(rel)) {
    for (const d of walkCgroup(top)) {
      try {
        for (const p of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (p) pids.add(Number(p));
      } catch {
        /* gone */
      }
    }
  }
  return [...pids];
}

/**
 * Removes cgroup `rel` and everything below it in every hierarchy: thaws frozen ones, kills what is
 * still in them (only processes the test's daemons started live there), then rmdirs children first.
 * Returns the dirs it could not remove.
 */
export async function removeCgroupTree(rel: string): Promise<string[]> {
  for (const top of cgroupDirs(rel)) {
    for (const d of walkCgroup(top)) {
      if (existsSync(join(d, 'freezer.state'))) {
        try {
          writeFileSync(join(d, 'freezer.state'), 'THAWED');
        } catch {
          /* root or gone */
        }
      }
      if (existsSync(join(d, 'cgroup.freeze'))) {
        try {
          writeFileSync(join(d, 'cgroup.freeze'), '0');
        } catch {
          /* gone */
        }
      }
    }
  }
  const pids = cgroupPids(rel);
  if (pids.length) await killPids(pids, 1_000);
  const left: string[] = [];
  for (const top of cgroupDirs(rel)) {
    for (const d of walkCgroup(top)) {
      let ok = false;
      for (let i = 0; i < 20 && !ok; i++) {
        try {
          rmdirSync(d);
          ok = true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') ok = true;
          else await new Promise((r) => setTimeout(r, 100));
        }
      }
      if (!ok) left.push(d);
    }
  }
  return left;
}

/** The socket containerd-shim-runc-v2 (1.6) makes for a task: /run/containerd/s/<sha256(address/ns/id)>. */
export function shimSocketPath(containerdAddress: string, ns: string, id: string): string {
  return join('/run/containerd/s', createHash('sha256').update(join(containerdAddress, ns, id)).digest('hex'));
}

/**
 * Global dirs that containerd, its shim and dockerd create even when told to use other paths.
 * The test notes which were missing before it started and removes those afterwards if empty
 * (another session's daemon may use them meanwhile: never remove anything in them but ours).
 */
export const GLOBAL_DIRS = ['/run/containerd/s', '/run/containerd/runc', '/run/containerd/fifo', '/run/containerd', '/run/docker/plugins', '/run/docker'];

export function missingGlobalDirs(): string[] {
  return GLOBAL_DIRS.filter((d) => !existsSync(d));
}

export function removeEmptyDirs(dirs: string[]): void {
  for (const d of dirs) {
    try {
      rmdirSync(d); // only when empty
    } catch {
      /* not empty or gone */
    }
  }
}

export function rmrf(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    /* e.g. a leftover mount: reported by the caller's checks */
  }
}

export function cat(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}
