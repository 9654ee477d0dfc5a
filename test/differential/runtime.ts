// The two runtimes under comparison, called the same way: runc (the reference) and tsrun (TSRUN_BIN or
// bin/tsrun), each with its own --root. Calls are async so configs can run side by side; stdout and
// stderr go to files, not pipes, because a detached container inherits them (a pipe would keep the
// caller waiting for EOF as long as the container lives).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TSRUN } from '../helpers/env.js';

export type RuntimeName = 'runc' | 'tsrun';
export const RUNC = '/usr/sbin/runc';
export const PATH_ENV = '/usr/sbin:/usr/bin:/sbin:/bin';

export interface CallResult {
  code: number;
  /** The signal that ended the runtime, e.g. SIGKILL when the call timed out. */
  signal?: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

export interface CallOptions {
  input?: string;
  timeout?: number;
  env?: Record<string, string>;
  cwd?: string;
  /** Extra fds for the child, from fd 3 on (files the caller opened). */
  extraFds?: number[];
  /** Run the command under `script` so that the runtime's stdin and stdout are a terminal. */
  tty?: boolean;
  /** Leave out --root (to test the default root or a --root given in args). */
  noRoot?: boolean;
}

let seq = 0;

/** Runs file with args; stdout and stderr go through files in outDir. */
export function spawnCall(file: string, args: string[], outDir: string, opts: CallOptions = {}): Promise<CallResult> {
  const base = join(outDir, `call.${process.pid}.${seq++}`);
  const out = openSync(`${base}.out`, 'w+');
  const err = openSync(`${base}.err`, 'w+');
  let cmd = file;
  let argv = args;
  if (opts.tty) {
    // script(1) gives the runtime a pty on stdin/stdout, as a user at a terminal has.
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    cmd = '/usr/bin/script';
    argv = ['-qec', [file, ...args].map(q).join(' '), '/dev/null'];
  }
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, {
      // Under script(1), stdin is a pipe left open: at EOF script would send the terminal's EOF
      // character into the session, where the container's terminal echoes it.
      stdio: [opts.input === undefined && !opts.tty ? 'ignore' : 'pipe', out, err, ...(opts.extraFds ?? [])],
      env: { PATH: PATH_ENV, ...opts.env },
      cwd: opts.cwd,
      detached: true,
    });
    closeSync(out);
    closeSync(err);
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => {});
      child.stdin!.end(opts.input);
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch {}
    }, opts.timeout ?? 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child.stdin?.destroy();
      resolve({
        code: code ?? 128 + (signal ? 9 : 0),
        signal: signal ?? undefined,
        stdout: readFileSync(`${base}.out`, 'utf8'),
        stderr: readFileSync(`${base}.err`, 'utf8'),
        timedOut,
        ms: Date.now() - t0,
      });
    });
  });
}

export class Runtime {
  readonly bin: string;
  readonly root: string;
  readonly outDir: string;

  constructor(readonly name: RuntimeName, dir: string) {
    this.bin = name === 'runc' ? RUNC : TSRUN;
    this.root = join(dir, 'state');
    this.outDir = join(dir, 'calls');
    mkdirSync(this.outDir, { recursive: true });
  }

  /** One letter for ids and paths: the two runtimes' names of a thing differ only there. */
  get tag(): 'r' | 't' {
    return this.name === 'runc' ? 'r' : 't';
  }

  call(args: string[], opts: CallOptions = {}): Promise<CallResult> {
    return spawnCall(this.bin, opts.noRoot ? args : ['--root', this.root, ...args], this.outDir, opts);
  }

  /** Ids of the containers in this runtime's root. */
  ids(): string[] {
    // Only this harness's containers (dh-*).
    return existsSync(this.root) ? readdirSync(this.root).filter((f) => f.startsWith('dh-')) : [];
  }

  /** Force-deletes one container (runc delete -f / tsrun delete -f). */
  async remove(id: string): Promise<void> {
    await this.call(['delete', '-f', id], { timeout: 20_000 });
  }

  async removeAll(): Promise<void> {
    for (const id of this.ids()) await this.remove(id);
  }
}
