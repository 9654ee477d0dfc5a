// Command-line scenarios: every flag of every runc command, called the same way on runc and on
// tsrun. A scenario is a script of calls against one runtime; each call's exit status, normalised
// output and (when it fails) the words its error names become a section, compared like the probe's.
// FLAGS (flags.ts) says which scenario covers each flag; the calls each scenario made are recorded,
// so the coverage test also checks that the flag was really on a command line.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Spec } from '../../src/config/gen/config.js';
import { sys } from '../../src/sys/index.js';
import { baseSpec, cloneRootfs, writeBundle } from './bundle.js';
import { failureLines, runcMessages, tsrunMessages, diffSections, type Difference } from './compare.js';
import type { RunEnv } from './harness.js';
import type { Sections } from './probe.js';
import { Runtime, spawnCall, type CallOptions, type CallResult } from './runtime.js';

export interface Step {
  code: number;
  lines: string[];
  stderr: string;
  keywords?: string[];
  names?: string[];
}

export interface StepOptions extends CallOptions {
  /** How stdout becomes lines (default: normalised lines). */
  show?: (stdout: string, c: SCtx) => string[];
  keywords?: string[];
  names?: string[];
  /** Leave the runtime's --root off (global-flag scenarios give it themselves). */
  bare?: boolean;
}

/** What a scenario's script gets: its runtime, names and a recorder of steps. */
export class SCtx {
  readonly steps = new Map<string, Step>();
  readonly argvs: string[][] = [];
  readonly dir: string;
  readonly cleanups: (() => void | Promise<void>)[] = [];
  /** This scenario's runtime: its own --root, so `list` shows only this scenario's containers. */
  readonly rt: Runtime;
  private n = 0;

  constructor(base: Runtime, readonly env: RunEnv, readonly index: number) {
    this.dir = join(env.dir, base.tag, `s${String(index).padStart(2, '0')}`);
    mkdirSync(this.dir, { recursive: true });
    this.rt = new Runtime(base.name, this.dir);
  }

  /** A container id of this scenario: dh-s<index><suffix>-<r|t>. */
  id(suffix = ''): string {
    return `dh-s${String(this.index).padStart(2, '0')}${suffix}-${this.rt.tag}`;
  }

  /** A bundle from `runc spec` (no terminal, a writable root, the run's cgroup parent) running args. */
  bundle(name: string, args: string[] = ['sleep', '1000'], edit?: (s: Spec) => void, idForCgroup = this.id(name === 'b' ? '' : name)): string {
    const bundle = join(this.dir, name);
    mkdirSync(bundle, { recursive: true });
    cloneRootfs(this.env.template, join(bundle, 'rootfs'));
    const paths = { bundle, rootfs: join(bundle, 'rootfs'), host: join(bundle, 'host'), hookOut: join(bundle, 'hooks') };
    const spec = baseSpec(this.env.bases['runc-spec'], 'runc-spec', paths, this.env.cgroupParent, idForCgroup);
    spec.root!.readonly = false;
    spec.process!.args = args;
    // Both runtimes get an explicit cgroup under the run's parent (runc's default is relative to its
    // caller's cgroup, in which the harness must not make children).
    spec.linux!.cgroupsPath = `${this.env.cgroupParent}/${idForCgroup}`;
    edit?.(spec);
    writeBundle(bundle, spec);
    return bundle;
  }

  /** Runs the runtime; records argv (for the coverage check) and, with a section name, the step. */
  async call(section: string | undefined, args: string[], opts: StepOptions = {}): Promise<CallResult> {
    this.argvs.push(args);
    const r = opts.bare ? await spawnCall(this.rt.bin, args, this.rt.outDir, opts) : await this.rt.call(args, opts);
    if (section) {
      const show = opts.show ?? ((o: string) => lines(o));
      this.steps.set(section, { code: r.code, lines: show(r.stdout, this).map((l) => this.norm(l)), stderr: r.stderr, keywords: opts.keywords, names: opts.names });
    }
    return r;
  }

  /** Records lines the scenario computed itself (files it read, states it waited for). */
  note(section: string, ls: string[]): void {
    this.steps.set(section, { code: 0, lines: ls.map((l) => this.norm(l)), stderr: '' });
  }

  /** The names that differ by construction between the two runtimes' runs. */
  norm(l: string): string {
    const tag = this.rt.tag;
    return l.split(this.rt.root).join('<root>').split(this.dir).join('<dir>').split(this.dir.slice(this.env.dir.length)).join('<dir>')
      .split(this.env.dir).join('<run>').split(this.env.cgroupParent).join('<cgparent>')
      .replace(new RegExp(`dh-s(\\d+)(\\w*)-${tag}\\b`, 'g'), 'dh-s$1$2-<rt>');
  }

  tmp(name: string): string {
    return join(this.dir, `${name}.${this.n++}`);
  }

  /** Polls `state` until the status is one of want (or the time is up); the last status. */
  async waitStatus(id: string, want: string[], ms = 10_000): Promise<string> {
    const t0 = Date.now();
    let st = '';
    while (Date.now() - t0 < ms) {
      const r = await this.rt.call(['state', id]);
      try { st = JSON.parse(r.stdout).status; } catch { st = r.code ? 'gone' : 'unparsable'; }
      if (want.includes(st)) return st;
      await new Promise((res) => setTimeout(res, 50));
    }
    return st;
  }
}

export function lines(s: string): string[] {
  const ls = s.replace(/\r\n/g, '\n').split('\n');
  while (ls.length && ls[ls.length - 1] === '') ls.pop();
  return ls;
}

/** A state/list JSON object as key=value lines; values that vary per run as placeholders. */
export function jsonLines(obj: unknown, prefix = ''): string[] {
  if (obj === null || typeof obj !== 'object') return [`${prefix}=${JSON.stringify(obj)}`];
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (k === 'pid' && typeof v === 'number') out.push(`${key}=${v > 0 ? '<pid>' : v}`);
    else if (k === 'created' && typeof v === 'string') out.push(`${key}=<time>`);
    else if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...jsonLines(v, key));
    else if (Array.isArray(v) && v.some((e) => e && typeof e === 'object')) v.forEach((e, i) => out.push(...jsonLines(e, `${key}[${i}]`)));
    else out.push(`${key}=${JSON.stringify(v)}`);
  }
  return out;
}

export const showJson = (o: string): string[] => {
  try {
    const j = JSON.parse(o);
    return Array.isArray(j) ? (j.length && typeof j[0] === 'object' ? j.flatMap((e, i) => jsonLines(e, `[${i}]`)) : [`array of ${j.length} ${typeof j[0]}`]) : jsonLines(j);
  } catch {
    return lines(o);
  }
};

/** A ps/list table: the header, and each row with pid, ppid and time columns as placeholders. */
export const showTable = (o: string): string[] => {
  const ls = lines(o);
  if (!ls.length) return [];
  const cols = ls[0].trim().split(/\s+/);
  return [cols.join(' '), ...ls.slice(1).map((row) => {
    const cells = row.trim().split(/\s+/);
    return cells.map((c, i) => (/^(PID|PPID|C|STIME|TIME|CREATED)$/.test(cols[i] ?? '') ? `<${cols[i].toLowerCase()}>` : c)).slice(0, cols.length).join(' ') + (cells.length > cols.length ? ' ' + cells.slice(cols.length).join(' ') : '');
  })];
};

/** Only the first line (e.g. of a long help text or a stats stream). */
export const showFirst = (o: string): string[] => lines(o).slice(0, 1);
export const showNothing = (): string[] => [];

export interface Scenario {
  name: string;
  run: (c: SCtx) => Promise<void>;
}

/** The sections of one runtime's run of a scenario (a failing step also keeps its stderr). */
export function scenarioSections(c: SCtx): Map<string, Step> {
  return c.steps;
}

/** Differences between the two runtimes' steps: exit codes, output, and for failures the words. */
export function compareSteps(r: Map<string, Step>, t: Map<string, Step>): Difference[] {
  const rs: Sections = {};
  const ts: Sections = {};
  for (const k of [...new Set([...r.keys(), ...t.keys()])]) {
    const a = r.get(k);
    const b = t.get(k);
    if (!a || !b) { rs[k] = a ? [`exit=${a.code}`] : ['(step not run)']; ts[k] = b ? [`exit=${b.code}`] : ['(step not run)']; continue; }
    rs[k] = [`exit=${a.code}`, ...a.lines];
    ts[k] = [`exit=${b.code}`, ...b.lines];
    if (a.code !== 0 && b.code !== 0) {
      const f = failureLines(a.stderr, b.stderr, a.keywords ?? [], a.names);
      rs[k].push(...f.runc);
      ts[k].push(...f.tsrun);
    } else if (a.code !== 0 || b.code !== 0) {
      if (a.code !== 0) rs[k].push(`error: ${runcMessages(a.stderr).join(' | ').slice(0, 300)}`);
      if (b.code !== 0) ts[k].push(`error: ${tsrunMessages(b.stderr).join(' | ').slice(0, 300)}`);
    }
  }
  return diffSections(rs, ts);
}

// ---- helpers the scenarios share ----

/** Listens on a unix socket in the scenario dir; recv() returns the pty master a runtime sends. */
function consoleSocket(c: SCtx): { path: string; recv: () => number; close: () => void } {
  const path = c.tmp('console.sock');
  const listen = sys().listenUnix(path);
  return { path, recv: () => sys().recvFd(listen, 5000).fd, close: () => closeSync(listen) };
}

/** Reads a pty master until it closes (EIO) or ms pass. */
function readPty(fd: number, ms = 5000): string {
  const buf = Buffer.alloc(4096);
  let out = '';
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const [ev] = sys().poll([fd], 1, 100);
    if (!ev) continue;
    let n = 0;
    try { n = readSync(fd, buf); } catch { break; }
    if (n <= 0) break;
    out += buf.toString('utf8', 0, n);
  }
  return out;
}

async function started(c: SCtx, name = 'b', edit?: (s: Spec) => void, args?: string[]): Promise<string> {
  const id = c.id(name === 'b' ? '' : name);
  const b = c.bundle(name, args, edit, id);
  await c.call(undefined, ['run', '-d', '-b', b, id]);
  return id;
}

const catIn = (c: SCtx, id: string, section: string, file: string, opts: StepOptions = {}) =>
  c.call(section, ['exec', id, 'sh', '-c', `cat ${file} 2>&1 | tr '\\n' ' '`], opts);

const cg = (file: string) => `/sys/fs/cgroup/${file}`;

// ---- the scenarios ----

export const SCENARIOS: Scenario[] = [
  { name: 'lifecycle', run: async (c) => {
    const id = c.id();
    const b = c.bundle('b');
    const pidFile = c.tmp('pid');
    await c.call('create', ['create', '--bundle', b, '--pid-file', pidFile, id]);
    c.note('pid-file', [existsSync(pidFile) && /^\d+$/.test(readFileSync(pidFile, 'utf8')) ? 'a pid, no newline' : `pid file: ${existsSync(pidFile) ? JSON.stringify(readFileSync(pidFile, 'utf8')) : 'missing'}`]);
    await c.call('state-created', ['state', id], { show: showJson });
    await c.call('kill-0-created', ['kill', id, '0']);
    await c.call('start', ['start', id]);
    await c.call('state-running', ['state', id], { show: showJson });
    await c.call('start-again', ['start', id]);
    await c.call('kill-0', ['kill', id, '0']);
    await c.call('kill-name-USR1', ['kill', id, 'USR1']);
    await c.call('state-after-usr1', ['state', id], { show: (o) => showJson(o).filter((l) => l.startsWith('status=')) });
    await c.call('delete-running', ['delete', id]);
    await c.call('kill-SIGKILL', ['kill', id, 'SIGKILL']);
    c.note('stopped', [await c.waitStatus(id, ['stopped'])]);
    await c.call('kill-stopped', ['kill', id, 'KILL']);
    await c.call('kill-all-stopped', ['kill', '--all', id, 'KILL']);
    await c.call('kill-a-stopped', ['kill', '-a', id, '9']);
    await c.call('delete', ['delete', id]);
    await c.call('state-deleted', ['state', id], { keywords: ['not exist'] });
    await c.call('delete-missing', ['delete', id], { keywords: ['not exist'] });
    await c.call('delete-f-missing', ['delete', '-f', id]);
    await c.call('kill-missing', ['kill', id], { keywords: ['not exist'] });
  } },
  { name: 'kill-signals', run: async (c) => {
    const id = await started(c, 'b', undefined, ['sh', '-c', 'trap "echo got-usr2 >> /tmp/sig" USR2; trap "echo got-hup >> /tmp/sig" HUP; while :; do sleep 0.1; done']);
    await new Promise((r) => setTimeout(r, 300));
    await c.call('kill-number', ['kill', id, '12']);
    await c.call('kill-name', ['kill', id, 'HUP']);
    await c.call('kill-bad-name', ['kill', id, 'SIGDHBOGUS'], { names: ['SIGDHBOGUS'] });
    await c.call('kill-bad-number', ['kill', id, '99'], { names: ['99'] });
    await new Promise((r) => setTimeout(r, 400));
    // Which signals arrived, not in which order: two kills in a row may be handled in either order
    // (both pending: the shell runs the traps by signal number; one at a time: as sent).
    await c.call('signals-seen', ['exec', id, 'sh', '-c', 'sort /tmp/sig | tr "\\n" " "']);
    await c.call('kill-all-running', ['kill', '--all', id, 'KILL']);
    c.note('after-kill-all', [await c.waitStatus(id, ['stopped'])]);
    await c.call('kill-default-stopped', ['kill', id]);
    await c.call('delete-f', ['delete', '-f', id]);
  } },
  { name: 'create-flags', run: async (c) => {
    const id = c.id();
    // With --no-new-keyring there is no session keyring named after the container.
    const b = c.bundle('b', ['sh', '-c', '{ ls /proc/self/fd | tr "\\n" " "; echo; cat <&3; echo "own session keyrings: $(grep -c "_ses.$DHID" /proc/keys)"; cut -d" " -f4,5 /proc/self/mountinfo | head -1; } > /tmp/out 2>&1'], (s) => {
      s.linux!.maskedPaths = s.linux!.maskedPaths!.filter((p) => p !== '/proc/keys');
      s.process!.env!.push(`DHID=${id}`);
    });
    const fdFile = c.tmp('fd3');
    writeFileSync(fdFile, 'preserved\n');
    const fd3 = openSync(fdFile, 'r');
    try {
      await c.call('create-b', ['create', '-b', b, '--no-pivot', '--no-new-keyring', '--preserve-fds', '1', id], { extraFds: [fd3] });
    } finally { closeSync(fd3); }
    await c.call('start', ['start', id]);
    c.note('stopped', [await c.waitStatus(id, ['stopped'])]);
    const out = join(b, 'rootfs/tmp/out');
    c.note('container-saw', existsSync(out) ? lines(readFileSync(out, 'utf8')) : ['no output']);
    await c.call('delete', ['delete', id]);
  } },
  { name: 'run-flags', run: async (c) => {
    const b = c.bundle('b', ['sh', '-c', 'ls /proc/self/fd | tr "\\n" " "; echo; cat <&3; echo "ppid=$PPID"'], (s) => {
      s.linux!.maskedPaths = s.linux!.maskedPaths!.filter((p) => p !== '/proc/keys');
    });
    const fdFile = c.tmp('fd3');
    writeFileSync(fdFile, 'preserved\n');
    const fd3 = openSync(fdFile, 'r');
    try {
      await c.call('run-preserve-fds', ['run', '--bundle', b, '--preserve-fds', '1', '--no-new-keyring', c.id('a')], { extraFds: [fd3] });
      // LISTEN_FDS counts only when LISTEN_PID is the runtime's own pid (sd_listen_fds(3)).
      await c.call('run-listen-fds-other-pid', ['run', '-b', b, c.id('l')], { extraFds: [fd3], env: { LISTEN_FDS: '1', LISTEN_PID: '1' } });
      c.argvs.push(['run', '-b', b, c.id('m')]);
      const r = await spawnCall('/bin/sh', ['-c', `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" --root "$1" run -b "$2" "$3"`, c.rt.bin, c.rt.root, b, c.id('m')], c.rt.outDir, { extraFds: [fd3] });
      c.steps.set('run-listen-fds', { code: r.code, lines: lines(r.stdout).map((l) => c.norm(l)), stderr: r.stderr });
    } finally { closeSync(fd3); }
    await c.call('run-no-pivot', ['run', '-b', b, '--no-pivot', '--no-subreaper', c.id('n')], { extraFds: [], show: (o) => lines(o).filter((l) => !l.startsWith('preserved')) });
    const pidFile = c.tmp('pid');
    const sb = c.bundle('sleep', ['sleep', '1000'], undefined, c.id('d'));
    await c.call('run-detach', ['run', '--detach', '--pid-file', pidFile, '-b', sb, c.id('d')]);
    c.note('run-detach-pid-file', [existsSync(pidFile) ? 'written' : 'missing']);
    await c.call('run-d-again', ['run', '-d', '-b', sb, c.id('d')], { keywords: ['exist'] });
    await c.call('delete-f', ['delete', '-f', c.id('d')]);
    const kb = c.bundle('keep', ['true'], undefined, c.id('k'));
    await c.call('run-keep', ['run', '--keep', '-b', kb, c.id('k')]);
    await c.call('state-kept', ['state', c.id('k')], { show: (o) => showJson(o).filter((l) => /^(status|id)=/.test(l)) });
    await c.call('delete-kept', ['delete', c.id('k')]);
  } },
  { name: 'console-socket', run: async (c) => {
    const id = c.id();
    const b = c.bundle('b', ['sh'], (s) => { s.process!.terminal = true; s.process!.user = { uid: 1000, gid: 1000 }; });
    const sock = consoleSocket(c);
    try {
      await c.call('create-console-socket', ['create', '--console-socket', sock.path, '-b', b, id]);
      const master = sock.recv();
      await c.call('start', ['start', id]);
      writeSync(master, 'tty; stat -c "%u %g %a" $(tty); echo "[$TERM]"; exit 3\n');
      c.note('tty-session', lines(readPty(master)).map((l) => l.replace(/\r$/, '')).filter((l) => !l.includes('exit 3') && !l.startsWith('tty;') && !/^[~/$#] ?$/.test(l.trim())));
      closeSync(master);
      c.note('stopped', [await c.waitStatus(id, ['stopped'])]);
      await c.call('delete', ['delete', id]);
      // run -d with a console socket, and exec --tty / -t through one.
      const b2 = c.bundle('b2', ['sleep', '1000'], (s) => { s.process!.terminal = true; }, c.id('2'));
      await c.call('run-d-console-socket', ['run', '-d', '--console-socket', sock.path, '-b', b2, c.id('2')]);
      // Kept open until the end: closing the master hangs up the container's session.
      const m0 = sock.recv();
      c.cleanups.push(() => closeSync(m0));
      await c.call('exec-tty', ['exec', '--tty', '--console-socket', sock.path, '-d', c.id('2'), 'sh', '-c', 'tty > /tmp/exec-tty; stat -c "%u %g" $(tty) >> /tmp/exec-tty']);
      const m1 = sock.recv();
      await new Promise((r) => setTimeout(r, 300));
      closeSync(m1);
      await c.call('exec-t-user', ['exec', '-t', '--console-socket', sock.path, '-d', '-u', '1000:1000', c.id('2'), 'sh', '-c', 'stat -c "%u %g" $(tty) > /tmp/exec-t-user']);
      const m2 = sock.recv();
      await new Promise((r) => setTimeout(r, 300));
      closeSync(m2);
      await catIn(c, c.id('2'), 'exec-tty-seen', '/tmp/exec-tty /tmp/exec-t-user');
      await c.call('exec-tty-without-socket-detached', ['exec', '-t', '-d', c.id('2'), 'true'], { keywords: ['console'] });
      await c.call('delete-f', ['delete', '-f', c.id('2')]);
    } finally { sock.close(); }
  } },
  { name: 'exec-flags', run: async (c) => {
    const id = await started(c, 'b', (s) => {
      s.process!.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN', 'CAP_NET_RAW', 'CAP_SYS_ADMIN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: ['CAP_KILL'] };
      s.process!.env = ['PATH=/bin', 'FROM_CONFIG=1'];
    });
    await c.call('exec-plain', ['exec', id, 'sh', '-c', 'id; pwd; env | sort; grep -E "^(Cap|NoNewPrivs)" /proc/self/status']);
    await c.call('exec-cwd', ['exec', '--cwd', '/tmp', id, 'pwd']);
    await c.call('exec-cwd-missing', ['exec', '--cwd', '/dh/missing', id, 'pwd']);
    await c.call('exec-cwd-user-no-access', ['exec', '--cwd', '/private', '-u', '1000', id, 'pwd']);
    // runc 1.1.5's flag parser refuses the long and short form of one flag in one call.
    await c.call('exec-env', ['exec', '--env', 'A=1', '--env', 'FROM_CONFIG=over', id, 'sh', '-c', 'env | sort']);
    await c.call('exec-e', ['exec', '-e', 'B=2', '-e', 'HOME=/given', id, 'sh', '-c', 'env | sort']);
    await c.call('exec-user', ['exec', '--user', '1000:1000', id, 'sh', '-c', 'id; echo "home=$HOME"']);
    await c.call('exec-u-uid-only', ['exec', '-u', '2000', id, 'sh', '-c', 'id; echo "home=$HOME"']);
    await c.call('exec-user-no-passwd', ['exec', '-u', '3000:3000', id, 'sh', '-c', 'id; echo "home=$HOME"']);
    await c.call('exec-additional-gids', ['exec', '-u', '1000:1000', '--additional-gids', '1500', '--additional-gids', '5', id, 'id']);
    await c.call('exec-g', ['exec', '-u', '1000:1000', '-g', '1500', id, 'id']);
    await c.call('exec-cap', ['exec', '--cap', 'CAP_NET_RAW', '--cap', 'CAP_CHOWN', id, 'grep', 'Cap', '/proc/self/status']);
    await c.call('exec-c', ['exec', '-c', 'CAP_SYS_ADMIN', id, 'grep', 'Cap', '/proc/self/status']);
    await c.call('exec-cap-user', ['exec', '--cap', 'CAP_NET_RAW', '-u', '1000', id, 'grep', 'Cap', '/proc/self/status']);
    await c.call('exec-no-new-privs', ['exec', '--no-new-privs', id, 'grep', 'NoNewPrivs', '/proc/self/status']);
    await c.call('exec-process-label', ['exec', '--process-label', 'system_u:system_r:container_t:s0', id, 'true'], { names: ['SELinux'] });
    await c.call('exec-apparmor', ['exec', '--apparmor', 'dh-profile', id, 'true'], { names: ['AppArmor'] });
    const pidFile = c.tmp('pid');
    await c.call('exec-detach-pid-file', ['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '2']);
    c.note('exec-pid-file', [existsSync(pidFile) && /^\d+$/.test(readFileSync(pidFile, 'utf8')) ? 'a pid, no newline' : 'missing or not a pid']);
    await c.call('exec-d', ['exec', '-d', id, 'sleep', '1']);
    const proc = c.tmp('process.json');
    writeFileSync(proc, JSON.stringify({ args: ['sh', '-c', 'id; pwd; echo "$P"'], cwd: '/tmp', env: ['PATH=/bin', 'P=from-process-json'], user: { uid: 1000, gid: 1000, additionalGids: [1500] }, terminal: false }));
    await c.call('exec-process', ['exec', '--process', proc, id]);
    await c.call('exec-p', ['exec', '-p', proc, id]);
    const fdFile = c.tmp('fd3');
    writeFileSync(fdFile, 'preserved\n');
    const fd3 = openSync(fdFile, 'r');
    try { await c.call('exec-preserve-fds', ['exec', '--preserve-fds', '1', id, 'sh', '-c', 'cat <&3; ls /proc/self/fd | tr "\\n" " "'], { extraFds: [fd3] }); } finally { closeSync(fd3); }
    await c.call('exec-missing-binary', ['exec', id, 'dh-no-such-binary']);
    await c.call('exec-not-executable', ['exec', id, '/etc/passwd']);
    await c.call('exec-exit-code', ['exec', id, 'sh', '-c', 'exit 9']);
    await c.call('exec-killed', ['exec', id, 'sh', '-c', 'kill -9 $$']);
    await c.call('exec-missing-container', ['exec', c.id('none'), 'true'], { keywords: ['not exist'] });
    await c.call('delete-f', ['delete', '-f', id]);
  } },
  { name: 'exec-cgroup', run: async (c) => {
    const id = await started(c, 'b', (s) => { s.mounts!.find((m) => m.type === 'cgroup')!.options = ['nosuid', 'noexec', 'nodev', 'rw']; s.linux!.namespaces!.push({ type: 'cgroup' }); s.process!.capabilities = { bounding: ['CAP_SYS_ADMIN'], effective: ['CAP_SYS_ADMIN'], permitted: ['CAP_SYS_ADMIN'] }; });
    const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
    // The sub-cgroup in every hierarchy the container has a cgroup in (as a container manager would).
    const hier = v2 ? ['/sys/fs/cgroup'] : readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h));
    for (const h of hier) {
      const d = join(h, c.env.cgroupParent, id);
      if (!existsSync(d)) continue;
      mkdirSync(join(d, 'sub'));
      // A new v1 cpuset has no cpus or mems: give it its parent's, as a manager does.
      for (const f of ['cpuset.cpus', 'cpuset.mems']) if (existsSync(join(d, f)) && !v2) writeFileSync(join(d, 'sub', f), readFileSync(join(d, f)));
    }
    await c.call('exec-cgroup-sub', ['exec', '--cgroup', 'sub', id, 'cat', '/proc/self/cgroup'], { show: (o) => lines(o).filter((l) => /pids|memory|^0::/.test(l)) });
    await c.call('exec-cgroup-controller', ['exec', '--cgroup', v2 ? 'sub' : 'pids:sub', id, 'cat', '/proc/self/cgroup'], { show: (o) => lines(o).filter((l) => /pids|memory|^0::/.test(l)) });
    await c.call('state-before-missing', ['state', id], { show: (o) => showJson(o).filter((l) => l.startsWith('status=')) });
    await c.call('exec-cgroup-missing', ['exec', '--cgroup', 'dh-none', id, 'true'], { names: ['dh-none'] });
    await c.call('delete-f', ['delete', '-f', id]);
    c.note('sub-cgroup-left', existsSync(join(v2 ? '/sys/fs/cgroup' : '/sys/fs/cgroup/pids', c.env.cgroupParent, id, 'sub')) ? ['left'] : ['removed']);
  } },
  { name: 'pause-resume', run: async (c) => {
    const id = await started(c);
    await c.call('pause', ['pause', id]);
    await c.call('state-paused', ['state', id], { show: (o) => showJson(o).filter((l) => l.startsWith('status=')) });
    await c.call('pause-again', ['pause', id]);
    await c.call('ps-paused', ['ps', id], { show: showTable });
    await c.call('kill-0-paused', ['kill', id, '0']);
    await c.call('exec-paused', ['exec', id, 'true'], { keywords: ['paused'], timeout: 5000 });
    await c.call('exec-ignore-paused', ['exec', '-d', '--ignore-paused', id, 'true'], { timeout: 5000 });
    await c.call('resume', ['resume', id]);
    await c.call('resume-again', ['resume', id]);
    await c.call('state-resumed', ['state', id], { show: (o) => showJson(o).filter((l) => l.startsWith('status=')) });
    await c.call('delete-f', ['delete', '-f', id]);
    await c.call('pause-missing', ['pause', id], { keywords: ['not exist'] });
  } },
  { name: 'ps-list', run: async (c) => {
    const id = await started(c, 'b', undefined, ['sh', '-c', 'sleep 1000 & sleep 1001']);
    await new Promise((r) => setTimeout(r, 200));
    await c.call('ps', ['ps', id], { show: showTable });
    await c.call('ps-format-json', ['ps', '--format', 'json', id], { show: (o) => { try { return [`${JSON.parse(o).length} pids`]; } catch { return lines(o); } } });
    await c.call('ps-f-table', ['ps', '-f', 'table', id], { show: showTable });
    await c.call('ps-extra-args', ['ps', id, '-e', '-x'], { show: (o) => lines(o).slice(0, 1).map((l) => l.trim().split(/\s+/).join(' ')) });
    await c.call('ps-o', ['ps', id, '-o', 'pid,comm'], { show: (o) => lines(o).map((l) => l.trim().split(/\s+/).slice(1).join(' ')).sort() });
    await c.call('ps-bad-format', ['ps', '-f', 'dhbogus', id], { names: ['dhbogus'] });
    await c.call('list', ['list'], { show: (o) => showTable(o).filter((l, i) => i === 0 || l.includes(id.replace(/-[rt]$/, '-<rt>')) || l.includes(id)) });
    await c.call('list-q', ['list', '-q']);
    await c.call('list-quiet', ['list', '--quiet']);
    await c.call('list-format-json', ['list', '--format', 'json'], { show: showJson });
    await c.call('list-f-table', ['list', '-f', 'table'], { show: showTable });
    await c.call('list-bad-format', ['list', '-f', 'dhbogus'], { names: ['dhbogus'] });
    await c.call('delete-force', ['delete', '--force', id]);
    await c.call('list-empty', ['list']);
    await c.call('list-empty-json', ['list', '--format', 'json']);
  } },
  { name: 'events', run: async (c) => {
    const id = await started(c, 'b', (s) => { s.linux!.resources = { ...s.linux!.resources, memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 50 } }; });
    await c.call('events-stats', ['events', '--stats', id], { show: (o) => { try { const j = JSON.parse(o); return [`type=${j.type}`, `id=${j.id}`, ...Object.keys(j.data ?? {}).sort().map((k) => `data.${k}`)]; } catch { return lines(o); } } });
    await c.call('events-interval', ['events', '--interval', '200ms', id], { timeout: 1500, show: (o) => { const first = lines(o)[0]; try { const j = JSON.parse(first); return [`type=${j.type}`, `id=${j.id}`]; } catch { return [first ?? '(none)']; } } });
    await c.call('events-stopped', ['events', '--stats', c.id('none')], { keywords: ['not exist'] });
    await c.call('delete-f', ['delete', '-f', id]);
  } },
  { name: 'update', run: async (c) => {
    const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
    const id = await started(c, 'b', (s) => {
      s.linux!.namespaces!.push({ type: 'cgroup' });
      s.linux!.resources = { ...s.linux!.resources, memory: { limit: 128 * 1024 * 1024 }, cpu: { shares: 1024 }, pids: { limit: 100 } };
    });
    const files = v2 ? ['memory.max', 'memory.low', 'memory.swap.max', 'cpu.max', 'cpu.weight', 'cpuset.cpus', 'cpuset.mems', 'pids.max', 'io.weight'].map(cg)
      : ['memory/memory.limit_in_bytes', 'memory/memory.soft_limit_in_bytes', 'memory/memory.memsw.limit_in_bytes', 'cpu/cpu.cfs_period_us', 'cpu/cpu.cfs_quota_us', 'cpu/cpu.shares', 'cpu/cpu.rt_period_us', 'cpu/cpu.rt_runtime_us', 'cpuset/cpuset.cpus', 'cpuset/cpuset.mems', 'pids/pids.max', 'blkio/blkio.weight'].map(cg);
    const show = async (section: string) => catIn(c, id, section, files.join(' '));
    await c.call('update-flags', ['update', '--blkio-weight', '300', '--cpu-period', '100000', '--cpu-quota', '50000', '--cpu-share', '512',
      '--cpuset-cpus', '0', '--cpuset-mems', '0', '--memory', '67108864', '--memory-reservation', '33554432', '--memory-swap', '134217728', '--pids-limit', '42', id]);
    await show('after-update-flags');
    await c.call('update-rt', ['update', '--cpu-rt-period', '1000000', '--cpu-rt-runtime', '0', id]);
    await show('after-update-rt');
    await c.call('update-memory-swap-unlimited', ['update', '--memory-swap', '-1', id]);
    await show('after-swap-unlimited');
    const resFile = c.tmp('resources.json');
    writeFileSync(resFile, JSON.stringify({ memory: { limit: 100 * 1024 * 1024 }, pids: { limit: 77 }, cpu: { shares: 256 } }));
    await c.call('update-resources-file', ['update', '--resources', resFile, id]);
    await show('after-resources-file');
    await c.call('update-r-stdin', ['update', '-r', '-', id], { input: readFileSync(join(process.env.FIXTURES_DIR ?? '/work/shared/fixtures/configs', 'docker-update-cpus-pids-stdin.json'), 'utf8') });
    await show('after-docker-update-stdin');
    await c.call('update-r-stdin-memory', ['update', '-r', '-', id], { input: readFileSync('/work/shared/fixtures/configs/docker-update-memory-stdin.json', 'utf8') });
    await show('after-docker-update-memory');
    await c.call('update-rdt', ['update', '--l3-cache-schema', 'L3:0=f', '--mem-bw-schema', 'MB:0=50', id], { names: ['rdt'] });
    await c.call('update-bad-value', ['update', '--memory', 'lots', id], { names: ['lots'] });
    await c.call('update-missing', ['update', '--pids-limit', '5', c.id('none')], { keywords: ['not exist'] });
    await c.call('delete-f', ['delete', '-f', id]);
  } },
  { name: 'spec', run: async (c) => {
    const d1 = join(c.dir, 'spec1');
    const d2 = join(c.dir, 'spec2');
    const d3 = join(c.dir, 'spec3');
    for (const d of [d1, d2, d3]) mkdirSync(d);
    // The order of an object's keys means nothing in JSON: the lines are sorted (array order stays in the keys).
    const showSpec = (dir: string) => () => { try { return jsonLines(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).sort(); } catch { return ['no config.json']; } };
    await c.call('spec-bundle', ['spec', '--bundle', d1], { show: showSpec(d1) });
    await c.call('spec-b-rootless', ['spec', '-b', d2, '--rootless'], { show: showSpec(d2) });
    await c.call('spec-cwd', ['spec'], { cwd: d3, show: showSpec(d3) });
    await c.call('spec-exists', ['spec', '-b', d1], { keywords: ['exists'] });
  } },
  { name: 'features', run: async (c) => {
    await c.call('features', ['features'], { show: (o) => { try { return jsonLines(JSON.parse(o)).map((l) => l.replace(/^(\S+?)=\[.*\]$/, (m, k) => `${k}=[...]`)); } catch { return lines(o); } } });
  } },
  { name: 'global-flags', run: async (c) => {
    const b = c.bundle('b', ['true']);
    const root = join(c.dir, 'altroot');
    const log = c.tmp('log');
    const jlog = c.tmp('jlog');
    await c.call('root', ['--root', root, 'run', '-b', b, c.id('r')], { bare: true });
    await c.call('root-list', ['--root', root, 'list', '-q'], { bare: true });
    await c.call('log-text', ['--log', log, 'state', c.id('none')], { keywords: ['not exist'] });
    c.note('log-text-file', [existsSync(log) && /level=error|error/.test(readFileSync(log, 'utf8')) ? 'has the error' : `log: ${existsSync(log) ? JSON.stringify(readFileSync(log, 'utf8').slice(0, 200)) : 'missing'}`]);
    await c.call('log-json', ['--log', jlog, '--log-format', 'json', 'state', c.id('none')]);
    c.note('log-json-file', [existsSync(jlog) ? readFileSync(jlog, 'utf8').split('\n').filter(Boolean).map((l) => { try { const j = JSON.parse(l); return Object.keys(j).sort().join(',') + ` level=${j.level}`; } catch { return `not json: ${l.slice(0, 100)}`; } }).join(' | ') : 'missing']);
    await c.call('log-unopenable', ['--log', '/proc/dh/no/such/log', 'list'], { keywords: [] });
    await c.call('log-format-bad', ['--log-format', 'dhbogus', 'list'], { names: ['dhbogus'] });
    await c.call('debug', ['--debug', 'run', '-b', b, c.id('d')], { show: showNothing });
    await c.call('criu', ['--criu', '/usr/sbin/criu', 'list', '-q']);
    await c.call('systemd-cgroup', ['--systemd-cgroup', 'run', '-b', b, c.id('s')], { keywords: [] });
    await c.call('rootless-true', ['--rootless', 'true', 'list', '-q']);
    await c.call('rootless-false', ['--rootless', 'false', 'list', '-q']);
    await c.call('rootless-auto', ['--rootless', 'auto', 'list', '-q']);
    await c.call('help', ['--help'], { bare: true, show: showNothing });
    await c.call('h', ['-h'], { bare: true, show: showNothing });
    await c.call('version', ['--version'], { bare: true, show: showNothing });
    await c.call('v', ['-v'], { bare: true, show: showNothing });
    await c.call('unknown-command', ['dhbogus'], { keywords: [] });
    await c.call('unknown-flag', ['list', '--dhbogus'], { keywords: [], show: showNothing });
    await c.call('delete-f', ['--root', root, 'delete', '-f', c.id('r')], { bare: true });
    c.cleanups.push(async () => { await spawnCall(c.rt.bin, ['--root', root, 'delete', '-f', c.id('r')], c.rt.outDir); });
  } },
  { name: 'checkpoint-restore', run: async (c) => {
    const id = await started(c);
    const img = c.tmp('img');
    const work = c.tmp('work');
    await c.call('checkpoint', ['checkpoint', '--image-path', img, '--work-path', work, '--parent-path', c.tmp('parent'), '--leave-running', '--tcp-established',
      '--ext-unix-sk', '--shell-job', '--file-locks', '--pre-dump', '--manage-cgroups-mode', 'soft', '--empty-ns', 'network', '--auto-dedup', id], { keywords: [] });
    await c.call('checkpoint-lazy', ['checkpoint', '--image-path', img, '--lazy-pages', '--status-fd', '9', '--page-server', '127.0.0.1:1', id], { keywords: [] });
    await c.call('restore', ['restore', '--console-socket', c.tmp('sock'), '--image-path', img, '--work-path', work, '--tcp-established', '--ext-unix-sk',
      '--shell-job', '--file-locks', '--manage-cgroups-mode', 'soft', '--bundle', c.bundle('rb'), '--detach', '--pid-file', c.tmp('pid'), '--no-subreaper',
      '--no-pivot', '--empty-ns', 'network', '--auto-dedup', '--lazy-pages', '--lsm-profile', 'apparmor:dh', '--lsm-mount-context', 'dh', c.id('r')], { keywords: [] });
    await c.call('restore-b-d', ['restore', '-b', c.bundle('rb2'), '-d', '--image-path', img, c.id('r2')], { keywords: [] });
    await c.call('delete-f', ['delete', '-f', id]);
    for (const x of ['r', 'r2']) await c.call(undefined, ['delete', '-f', c.id(x)]);
  } },
  { name: 'help', run: async (c) => {
    for (const cmd of RUNC_COMMANDS) {
      await c.call(`help-${cmd}`, [cmd, '--help'], { bare: true, show: (o) => helpFlags(o) });
      await c.call(`h-${cmd}`, [cmd, '-h'], { bare: true, show: showNothing });
    }
  } },
];

export const RUNC_COMMANDS = ['checkpoint', 'create', 'delete', 'events', 'exec', 'kill', 'list', 'pause', 'ps', 'restore', 'resume', 'run', 'spec', 'start', 'state', 'update', 'features'];

/** The flags a help text lists (`--long` and `-s` names), one line each, sorted. */
export function helpFlags(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s+((?:--?[\w-]+(?: value)?(?:, )?)+)/.exec(line);
    if (!m) continue;
    for (const f of m[1].split(/,\s*/)) {
      const name = f.trim().split(' ')[0];
      if (/^--?[\w-]+$/.test(name)) out.add(name);
    }
  }
  return [...out].sort();
}
