// An unprivileged user made by a test (root only): useradd with its home and XDG_RUNTIME_DIR under a
// temp dir the test owns, its own /etc/subuid and /etc/subgid ranges, and commands run as it with a
// clean environment (setpriv). remove() ends every process of that uid (by pid: the user is the
// test's own), deletes the user and its subordinate-id lines and the temp dir, even after a failure.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, chownSync, closeSync, copyFileSync, existsSync, openSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TSRUN, which } from './env.js';

export interface UserRun { code: number; stdout: string; stderr: string; signal: string | null }

const SUBID_FILES = ['/etc/subuid', '/etc/subgid'];
const RANGE = 65536;

/** Why a test user cannot be made here (undefined: it can). */
export function testUserUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'making a test user needs root';
  for (const t of ['useradd', 'userdel', 'setpriv', 'unshare']) if (!which(t)) return `${t} is not installed`;
  // An unprivileged user may create user namespaces only where the kernel allows it (Debian's
  // kernel.unprivileged_userns_clone, user.max_user_namespaces, an LSM): runc and Podman need it too.
  const r = spawnSync('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--', 'unshare', '--user', 'true'], { encoding: 'utf8', cwd: '/' });
  if (r.status !== 0) return `this kernel does not let an unprivileged user create a user namespace (${(r.stderr ?? '').trim() || `exit ${r.status}`}; see kernel.unprivileged_userns_clone and user.max_user_namespaces)`;
  return undefined;
}

/** The first free subordinate-id start at or above 1,000,000 (past every range in both files). */
function freeSubidStart(): number {
  let end = 1_000_000;
  for (const f of SUBID_FILES) {
    let text = '';
    try { text = readFileSync(f, 'utf8'); } catch {}
    for (const line of text.split('\n')) {
      const [, start, count] = line.split(':');
      if (start && count) end = Math.max(end, Number(start) + Number(count));
    }
  }
  return Math.ceil(end / RANGE) * RANGE;
}

function dropSubidLines(name: string): void {
  for (const f of SUBID_FILES) {
    let text: string;
    try { text = readFileSync(f, 'utf8'); } catch { continue; }
    const kept = text.split('\n').filter((l) => l && !l.startsWith(`${name}:`));
    writeFileSync(f, kept.length ? `${kept.join('\n')}\n` : '');
  }
}

export class TestUser {
  readonly dir: string;
  readonly home: string;
  readonly runtimeDir: string;
  readonly uid: number;
  readonly gid: number;
  /** The first of this user's subordinate uids and gids (RANGE of each). */
  readonly subid: number;
  /** The tsrun this user runs: TSRUN, or a copy of it in the temp dir when the user cannot reach TSRUN. */
  readonly tsrun: string;
  private n = 0;

  constructor(readonly name: string, opts: { subids?: boolean } = {}) {
    removeStaleTestUsers();
    this.dir = mkdtempSync('/tmp/tsrun-rl-');
    chmodSync(this.dir, 0o755);
    this.home = join(this.dir, 'home');
    this.runtimeDir = join(this.dir, 'run');
    // No automatic subordinate ids: the test adds its own lines, and removes them.
    const r = spawnSync('useradd', ['-K', 'SUB_UID_COUNT=0', '-K', 'SUB_GID_COUNT=0', '-M', '-d', this.home, '-s', '/bin/sh', '-U', name], { encoding: 'utf8' });
    if (r.status !== 0) {
      rmSync(this.dir, { recursive: true, force: true });
      throw new Error(`useradd ${name}: ${r.stderr}`);
    }
    const ids = spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim();
    this.uid = Number(ids);
    this.gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
    this.subid = freeSubidStart();
    if (opts.subids !== false) for (const f of SUBID_FILES) writeFileSync(f, `${name}:${this.subid}:${RANGE}\n`, { flag: 'a' });
    for (const d of [this.home, this.runtimeDir]) {
      mkdirSync(d, { mode: 0o700 });
      chownSync(d, this.uid, this.gid);
    }
    chmodSync(this.runtimeDir, 0o700);
    this.tsrun = this.reachable(TSRUN) ? TSRUN : this.copyOfTsrun();
  }

  /** The environment a login of this user has (what Podman and runc see), nothing of the test's. */
  env(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const base: Record<string, string | undefined> = {
      HOME: this.home, USER: this.name, LOGNAME: this.name, XDG_RUNTIME_DIR: this.runtimeDir,
      PATH: '/usr/local/bin:/usr/bin:/bin', ...extra,
    };
    return Object.fromEntries(Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined));
  }

  /** Runs argv as this user (real and effective ids, its groups), in cwd (default: its home). */
  run(argv: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; input?: string; timeout?: number; stdio?: SpawnSyncOptions['stdio']; cgroup2?: string } = {}): UserRun {
    const env = this.env(opts.env);
    const asUser = ['setpriv', '--reuid', String(this.uid), '--regid', String(this.gid), '--init-groups', '--', 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv];
    // cgroup2: a (delegated) cgroup v2 directory to move into first, as root (a user can only move
    // processes between cgroups below one it owns).
    const full = opts.cgroup2 ? ['/bin/sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', opts.cgroup2, ...asUser] : asUser;
    // stdout and stderr in files, not pipes: a detached container inherits them, and a pipe would keep
    // the caller waiting for EOF for as long as the container lives.
    const base = join(this.dir, `out.${this.n++}`);
    const out = openSync(`${base}.stdout`, 'w+');
    const err = openSync(`${base}.stderr`, 'w+');
    try {
      const r = spawnSync(full[0], full.slice(1), {
        cwd: opts.cwd ?? this.home, input: opts.input ?? '', timeout: opts.timeout ?? 60_000, killSignal: 'SIGKILL',
        stdio: opts.stdio ?? ['pipe', out, err],
      });
      return { code: r.status ?? 128, stdout: readFileSync(`${base}.stdout`, 'utf8'), stderr: readFileSync(`${base}.stderr`, 'utf8'), signal: r.signal };
    } finally {
      closeSync(out);
      closeSync(err);
      rmSync(`${base}.stdout`, { force: true });
      rmSync(`${base}.stderr`, { force: true });
    }
  }

  /** Whether this user can execute path (every directory up to it searchable, the file executable). */
  reachable(path: string): boolean {
    return this.run(['/bin/sh', '-c', 'test -x "$1" && test -r "$1"', 'sh', path], { cwd: '/' }).code === 0;
  }

  /** The single-file build copied to the temp dir (for a TSRUN under a directory this user cannot enter). */
  private copyOfTsrun(): string {
    const single = join(__dirname, '../../dist/single/tsrun');
    const to = join(this.dir, 'tsrun');
    copyFileSync(single, to);
    chmodSync(to, 0o755);
    return to;
  }

  /** Pids of every process running as this user. */
  pids(): number[] {
    const out: number[] = [];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${d}/status`, 'utf8'));
        if (m && (Number(m[1]) === this.uid || Number(m[2]) === this.uid)) out.push(Number(d));
      } catch {}
    }
    return out;
  }

  /** Ends this user's processes (SIGKILL, by pid), then removes the user, its sub-id lines and the temp dir. */
  remove(): void {
    for (let i = 0; i < 50; i++) {
      const pids = this.pids();
      if (!pids.length) break;
      for (const p of pids) try { process.kill(p, 'SIGKILL'); } catch {}
      spawnSync('sleep', ['0.1']);
    }
    spawnSync('userdel', [this.name], { encoding: 'utf8' });
    dropSubidLines(this.name);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Users a crashed test run left (a test's pid in the name, no longer running, a home of ours under
 * /tmp): removed as remove() would, so no run leaves a user or /etc/subuid lines behind for long.
 */
function removeStaleTestUsers(): void {
  let passwd = '';
  try { passwd = readFileSync('/etc/passwd', 'utf8'); } catch { return; }
  for (const line of passwd.split('\n')) {
    const [name, , uid, , , home] = line.split(':');
    const m = /^ts(?:rl|pm)(\d+)$/.exec(name ?? '');
    if (!m || !home?.startsWith('/tmp/tsrun-rl-') || existsSync(`/proc/${m[1]}`)) continue;
    const stale = Object.assign(Object.create(TestUser.prototype) as TestUser, { name, uid: Number(uid), dir: dirname(home) });
    stale.remove();
  }
}

/** A short user name unique to this test process (useradd takes at most 32 characters). */
export const testUserName = (prefix: string) => `${prefix}${process.pid}`.slice(0, 31);

/**
 * A cgroup delegated to a user as root would (systemd's Delegate=, or by hand): /<name> in every
 * hierarchy, owned by the user, with what a child needs (v1 cpuset's cpus and mems). On cgroup v2 the
 * user's processes must live below it to move into its children: `leaf2` is a cgroup2 directory to
 * start them in (TestUser.run's cgroup2).
 */
export class DelegatedCgroup {
  readonly dirs: string[] = [];
  leaf2?: string;

  constructor(readonly name: string, user: TestUser, mounts: { fstype: string; mountPoint: string }[]) {
    for (const m of mounts) {
      const dir = join(m.mountPoint, name);
      if (this.dirs.includes(dir)) continue;
      mkdirSync(dir);
      this.dirs.push(dir);
      if (m.fstype === 'cgroup') {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          try { writeFileSync(join(dir, f), readFileSync(join(m.mountPoint, f), 'utf8').trim()); } catch {}
        }
        for (const f of ['', 'tasks', 'cgroup.procs']) chownSync(join(dir, f), user.uid, user.gid);
      } else {
        for (const f of ['', 'cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control']) chownSync(join(dir, f), user.uid, user.gid);
        const leaf = join(dir, 'leaf');
        mkdirSync(leaf);
        for (const f of ['', 'cgroup.procs', 'cgroup.threads']) chownSync(join(leaf, f), user.uid, user.gid);
        this.leaf2 = leaf;
      }
    }
  }

  /** Removes the delegated trees, children first (their processes must be gone). */
  remove(): void {
    const rmTree = (d: string) => {
      let ents: string[] = [];
      try { ents = readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name); } catch { return; }
      for (const e of ents) rmTree(join(d, e));
      for (let i = 0; i < 50; i++) {
        try { rmdirSync(d); return; } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EBUSY') return; }
        spawnSync('sleep', ['0.1']);
      }
    };
    for (const d of this.dirs) rmTree(d);
  }
}
