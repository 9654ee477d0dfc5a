// Shared test helpers: paths of the project, the shared fixtures, and root detection.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const SHARED = resolve(ROOT, '../shared');
export const FIXTURE_CONFIGS = join(SHARED, 'fixtures/configs');
/** The CLI under test: bin/tsrun, or another build (e.g. the single-file binary) given by TSRUN_BIN. */
export const TSRUN = process.env.TSRUN_BIN || join(ROOT, 'bin/tsrun');
export const isRoot = process.getuid?.() === 0;
/**
 * Global flags the Sandbox puts before every command (TSRUN_TEST_GLOBALS, e.g. "--systemd-cgroup":
 * the guest pass runs the lifecycle suites again on the systemd driver).
 */
export const GLOBAL_FLAGS = (process.env.TSRUN_TEST_GLOBALS ?? '').split(/\s+/).filter(Boolean);
/** The suites run on the systemd cgroup driver: a container's cgroup is /system.slice/tsrun-<id>.scope. */
export const SYSTEMD_CGROUP = GLOBAL_FLAGS.includes('--systemd-cgroup');

export function which(cmd: string): string | undefined {
  for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return undefined;
}

/** Prints why a test group is skipped, so a skip is never silent. */
export function skipReason(reason: string | undefined): boolean {
  if (reason) console.log(`SKIPPED: ${reason}`);
  return !!reason;
}

let userNs: string | undefined | null = null;
/**
 * Why a new user namespace cannot be made here, or undefined when it can. The v2 guest
 * (/work/shared/tools/v2vm.sh without --systemd) runs its command chrooted, and the kernel refuses
 * CLONE_NEWUSER to a chrooted process (EPERM); tests needing one skip there with this reason.
 */
export function userNsUnavailable(): string | undefined {
  if (userNs !== null) return userNs;
  const r = which('unshare') ? spawnSync('unshare', ['-U', 'true'], { encoding: 'utf8' }) : undefined;
  userNs = !r || r.status === 0 ? undefined : `user namespaces cannot be created here (${r.stderr.trim() || `unshare -U exited ${r.status}`}; the kernel refuses them in a chroot, as in the v2 guest)`;
  return userNs;
}

export interface RunResult { code: number; stdout: string; stderr: string; warnings?: string }

/** Runs the built CLI (bin/tsrun) with a clean environment like a client would. */
export function tsrun(args: string[], opts: { input?: string; env?: Record<string, string>; cwd?: string } = {}): RunResult {
  const r = spawnSync(TSRUN, args, { input: opts.input, cwd: opts.cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...opts.env }, encoding: 'utf8' });
  return { code: r.status ?? 128 + (r.signal ? 1 : 0), stdout: r.stdout, stderr: r.stderr };
}

export function runcSpec(dir: string, rootless = false): boolean {
  if (!which('runc')) return false;
  execFileSync('runc', ['spec', ...(rootless ? ['--rootless'] : [])], { cwd: dir });
  return true;
}
