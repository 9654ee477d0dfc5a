// A throwaway place for integration tests: a temp dir, a private --root, busybox bundles, and a
// cleanup that force-deletes every container it made and removes the dir.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Spec } from '../../src/config/gen/config.js';
import { makeBusyboxBundle } from '../../src/bundle/busybox.js';
import { GLOBAL_FLAGS, TSRUN, type RunResult } from './env.js';

export class Sandbox {
  readonly dir = mkdtempSync('/tmp/tsrun-test-');
  readonly root = join(this.dir, 'state');
  private n = 0;

  /** globals: flags before every command (default: TSRUN_TEST_GLOBALS). */
  constructor(private readonly globals: string[] = GLOBAL_FLAGS) {
    // A user-namespace container's root (a mapped host uid) must be able to reach its rootfs.
    chmodSync(this.dir, 0o755);
  }

  bundle(name: string, args: string[], edit?: (s: Spec) => void): string {
    const b = join(this.dir, name);
    mkdirSync(b);
    makeBusyboxBundle(b, args, (s) => {
      // Tests need a writable root unless they say otherwise.
      s.root.readonly = false;
      edit?.(s);
    });
    return b;
  }

  /**
   * Runs tsrun with stdout and stderr in files, not pipes: a detached container inherits them, and a
   * pipe would stay open (and the caller waiting for EOF) for as long as the container lives.
   */
  run(args: string[], opts: { timeout?: number; env?: Record<string, string>; fd3?: string } = {}): RunResult {
    const base = join(this.dir, `out.${this.n++}`);
    const out = openSync(`${base}.stdout`, 'w+');
    const err = openSync(`${base}.stderr`, 'w+');
    const fd3 = opts.fd3 ? openSync(opts.fd3, 'r') : undefined;
    try {
      const r = spawnSync(TSRUN, ['--root', this.root, ...this.globals, ...args], {
        stdio: fd3 === undefined ? ['ignore', out, err] : ['ignore', out, err, fd3],
        timeout: opts.timeout ?? 30_000,
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...opts.env },
      });
      // Warnings (e.g. config fields not applied yet) are kept apart: stderr holds only errors.
      const lines = readFileSync(`${base}.stderr`, 'utf8').split(/(?<=\n)/);
      return {
        code: r.status ?? (r.signal ? 128 : 1),
        stdout: readFileSync(`${base}.stdout`, 'utf8'),
        stderr: lines.filter((l) => !l.startsWith('warning: ')).join(''),
        warnings: lines.filter((l) => l.startsWith('warning: ')).join(''),
      };
    } finally {
      closeSync(out);
      closeSync(err);
      if (fd3 !== undefined) closeSync(fd3);
    }
  }

  /** Starts tsrun without waiting (stdio to files for the same reason as run). */
  spawn(args: string[]): ChildProcess {
    const base = join(this.dir, `out.${this.n++}`);
    const out = openSync(`${base}.stdout`, 'w+');
    const err = openSync(`${base}.stderr`, 'w+');
    const p = spawn(TSRUN, ['--root', this.root, ...this.globals, ...args], { stdio: ['ignore', out, err], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    closeSync(out);
    closeSync(err);
    return p;
  }

  cleanup(): void {
    if (existsSync(this.root)) {
      for (const id of readdirSync(this.root)) this.run(['delete', '--force', id]);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
