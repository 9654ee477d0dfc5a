// Who tsrun runs as, for runc's rootless rules. Two cases take the rootless paths:
// - a non-root effective uid ("rootless euid": `tsrun run` by an ordinary user);
// - uid 0 of a user namespace someone else made (Podman: root there, but only over the ids that
//   namespace maps, with no privilege over the host's devices, cgroups or unmapped files).
// Each fact is read at most once per process, and only by the commands that need it.
import { chmodSync, mkdirSync, readFileSync } from './fs.js';
import { errnoNumber } from './errno.js';
import { join } from './path.js';
import { fail } from '../errors.js';

export const euid = (): number => process.geteuid?.() ?? 0;
export const egid = (): number => process.getegid?.() ?? 0;
/** runc's RootlessEUID: tsrun runs as a non-root user (in its own user namespace, usually the host's). */
export const rootlessEUID = (): boolean => euid() !== 0;

/** The first line of a uid_map says the initial namespace when it maps the whole 32-bit range onto itself. */
export function uidMapInUserNS(firstLine: string): boolean {
  const line = firstLine.trim();
  // Empty: a namespace whose map is not written yet (user_namespaces(7)).
  if (line === '') return true;
  const f = line.split(/\s+/).map(Number);
  if (f.length < 3 || f.some((n) => !Number.isInteger(n))) return false;
  return !(f[0] === 0 && f[1] === 0 && f[2] === 4294967295);
}

let inUserNs: boolean | undefined;
/** As runc (userns.RunningInUserNS): whether /proc/self/uid_map is anything but the full identity map. */
export function runningInUserNS(): boolean {
  if (inUserNs !== undefined) return inUserNs;
  try {
    inUserNs = uidMapInUserNS(readFileSync('/proc/self/uid_map', 'utf8').split('\n')[0]);
  } catch {
    inUserNs = false; // no /proc/self/uid_map: a kernel without user namespaces
  }
  return inUserNs;
}

/** Rootless in runc's sense: either case above. */
export const rootless = (): boolean => rootlessEUID() || runningInUserNS();

/**
 * runc's shouldHonorXDGRuntimeDir: a non-root user, or root of a user namespace whose $USER is not
 * "root" (real root keeps /run even when $XDG_RUNTIME_DIR is set, e.g. /run/user/0).
 */
export function shouldHonorXDGRuntimeDir(env: NodeJS.ProcessEnv = process.env): boolean {
  if (rootlessEUID()) return true;
  if (!runningInUserNS()) return false;
  return env.USER === undefined || env.USER !== 'root';
}

export const DEFAULT_ROOT = '/run/tsrun';

/** The default --root: $XDG_RUNTIME_DIR/tsrun when runc would use $XDG_RUNTIME_DIR/runc, else /run/tsrun. */
export function defaultRoot(env: NodeJS.ProcessEnv = process.env): { root: string; xdg: boolean } {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && shouldHonorXDGRuntimeDir(env)) return { root: join(xdg, 'tsrun'), xdg: true };
  return { root: DEFAULT_ROOT, xdg: false };
}

/** runc's parseBoolOrAuto for --rootless: undefined for auto. */
export function parseBoolOrAuto(v: string): boolean | undefined {
  if (v === '' || v === 'auto') return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw fail(`invalid --rootless value "${v}"`, { hint: 'use true, false or auto' });
}

/**
 * runc's shouldUseRootlessCgroupManager: cgroup permission errors are ignored (when the config has no
 * limits and no cgroupsPath) for a non-root user and for root of someone else's user namespace.
 * With --systemd-cgroup in a user namespace runc asks systemd who owns the bus and assumes root when it
 * cannot tell; tsrun cannot ask (yet), so it assumes root too.
 */
export function rootlessCgroups(flag: string, systemd: boolean): boolean {
  const b = parseBoolOrAuto(flag);
  if (b !== undefined) return b;
  if (rootlessEUID()) return true;
  if (!runningInUserNS()) return false;
  return !systemd;
}

/**
 * As runc, for a root under $XDG_RUNTIME_DIR: made 0700, with the sticky bit (the XDG spec's way to
 * keep a file there from being pruned), on every command.
 */
export function ensureXdgRoot(root: string): void {
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw fail('the path in $XDG_RUNTIME_DIR must be writable by the user', { errno: errnoNumber((e as NodeJS.ErrnoException).code ?? ''), detail: root });
  }
  try {
    chmodSync(root, 0o1700);
  } catch (e) {
    throw fail('you should check permission of the path in $XDG_RUNTIME_DIR', { errno: errnoNumber((e as NodeJS.ErrnoException).code ?? ''), detail: root });
  }
}
