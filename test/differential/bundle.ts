// Bundles for the comparison: the base configs other runtimes and clients produce (`runc spec`,
// `runc spec --rootless`, the containerd and Docker fixtures) and a busybox rootfs per bundle, cloned
// from one template (hard-linked busybox, fresh symlinks and /etc files): fast, and each runtime gets a
// rootfs of its own, so neither sees the mount points or files the other made.
import { execFileSync } from 'node:child_process';
import { chownSync, copyFileSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, chmodSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeBusyboxRootfs } from '../../src/bundle/busybox.js';
import type { Spec } from '../../src/config/gen/config.js';
import { FIXTURE_CONFIGS } from '../helpers/env.js';
import { RUNC } from './runtime.js';

/** A passwd and group with a non-root user (1000) and a user with a home (2000); uid 3000 has none. */
const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'dhuser:x:1000:1000:dh user:/home/dhuser:/bin/sh',
  'dhother:x:2000:2000:dh other:/home/dhother:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
].join('\n') + '\n';
const GROUP = ['root:x:0:', 'tty:x:5:', 'dhgroup:x:1000:', 'dhextra:x:1500:dhuser', 'dhother:x:2000:', 'nogroup:x:65534:'].join('\n') + '\n';

/** Makes the template rootfs once: busybox, passwd, a private dir (0700, root) and a user's home. */
export function makeTemplate(dir: string): string {
  const t = join(dir, 'template-rootfs');
  makeBusyboxRootfs(t);
  writeFileSync(join(t, 'etc/passwd'), PASSWD);
  writeFileSync(join(t, 'etc/group'), GROUP);
  mkdirSync(join(t, 'private'));
  chmodSync(join(t, 'private'), 0o700);
  mkdirSync(join(t, 'home/dhuser'), { recursive: true });
  execFileSync('chown', ['1000:1000', join(t, 'home/dhuser')]);
  // A directory with a non-default mode, for a tmpfs mounted over it.
  mkdirSync(join(t, 'mode0710'));
  chmodSync(join(t, 'mode0710'), 0o710);
  execFileSync('chown', ['0:1000', join(t, 'mode0710')]);
  writeFileSync(join(t, 'etc/hostname'), 'template\n');
  return t;
}

/** A copy of the template at dst: regular files hard-linked (busybox) or copied (small ones). */
export function cloneRootfs(src: string, dst: string): void {
  const st = lstatSync(src);
  mkdirSync(dst);
  chmodSync(dst, st.mode & 0o7777);
  if (st.uid !== 0 || st.gid !== 0) chownSync(dst, st.uid, st.gid);
  for (const name of readdirSync(src)) {
    const s = join(src, name);
    const d = join(dst, name);
    const ls = lstatSync(s);
    if (ls.isSymbolicLink()) symlinkSync(readlinkSync(s), d);
    else if (ls.isDirectory()) cloneRootfs(s, d);
    else if (ls.size > 65536) linkSync(s, d);
    else { copyFileSync(s, d); chmodSync(d, ls.mode & 0o7777); }
    if (!ls.isSymbolicLink() && (ls.uid !== 0 || ls.gid !== 0)) chownSync(d, ls.uid, ls.gid);
  }
}

export type BaseName = 'runc-spec' | 'runc-spec-rootless' | 'ctr' | 'ctr-tty' | 'docker' | 'docker-limits' | 'docker-run-opts' | 'docker-tty';
export const FIXTURE_BASES: BaseName[] = ['ctr', 'ctr-tty', 'docker', 'docker-limits', 'docker-run-opts', 'docker-tty'];

/** Text of each base config, with the fixtures' placeholders still in it (filled per bundle). */
export function loadBases(dir: string): Record<BaseName, string> {
  const out: Partial<Record<BaseName, string>> = {};
  for (const [name, flags] of [['runc-spec', []], ['runc-spec-rootless', ['--rootless']]] as const) {
    const d = join(dir, `base-${name}`);
    mkdirSync(d);
    execFileSync(RUNC, ['spec', ...flags], { cwd: d });
    out[name] = readFileSync(join(d, 'config.json'), 'utf8');
  }
  for (const f of FIXTURE_BASES) out[f] = readFileSync(join(FIXTURE_CONFIGS, `${f}.json`), 'utf8');
  return out as Record<BaseName, string>;
}

export interface BundlePaths {
  bundle: string;
  rootfs: string;
  /** Host files the fixtures' bind mounts name (resolv.conf, hostname, hosts, a volume). */
  host: string;
  /** Where the test hooks write what they see. */
  hookOut: string;
}

/**
 * The base config as a Spec for one bundle: Docker's placeholders point at files in the bundle, the
 * root at the bundle's rootfs, Docker's libnetwork hook (it calls dockerd) at a recording test hook,
 * fixed cgroupsPaths at a path of this run (`cgroupParent`), the terminal off unless the base has one.
 */
export function baseSpec(text: string, base: BaseName, p: BundlePaths, cgroupParent: string, id: string): Spec {
  mkdirSync(join(p.host, 'srv'), { recursive: true });
  writeFileSync(join(p.host, 'srv/f'), 'from-the-host\n');
  for (const f of ['resolv.conf', 'hostname', 'hosts']) writeFileSync(join(p.host, f), `# ${f}\n`);
  const filled = text
    .replace(/<docker-data-root>\/containers\/<container-id>\//g, `${p.host}/`)
    .replace(/"\/srv\/host-dir"/g, JSON.stringify(join(p.host, 'srv')))
    .replace(/"\/usr\/bin\/docker-init"/g, '"/bin/busybox"')
    .replace(/<short-id>/g, 'dhshort');
  const spec = JSON.parse(filled) as Spec;
  spec.root = { ...spec.root, path: p.rootfs };
  if (spec.hooks?.prestart) spec.hooks.prestart = [recordingHook('prestart', join(p.hookOut, 'prestart'))];
  if (spec.linux?.cgroupsPath) spec.linux.cgroupsPath = `${cgroupParent}/${id}`;
  if (base === 'runc-spec' || base === 'runc-spec-rootless') spec.process!.terminal = false;
  return spec;
}

/**
 * A hook that records what it sees: its cwd, argv, environment, open fds and the state on stdin.
 * `sh` is the host's (or, for startContainer, the container's) shell; a hook without env gets only
 * what the runtime gives it.
 */
export function recordingHook(name: string, out: string, opts: { env?: string[]; timeout?: number; exit?: number; sh?: string } = {}) {
  const script = [
    `exec > ${out}.tmp 2>&1`,
    'echo "cwd=$(pwd)"', 'echo "argv=$0 $*"', 'echo "env:"; env | sort',
    'echo "fds:"; for f in /proc/$$/fd/*; do echo "${f##*/} -> $(readlink $f)"; done',
    'echo "stdin:"; cat; echo',
    `mv ${out}.tmp ${out}`,
    opts.exit ? `exit ${opts.exit}` : 'exit 0',
  ].join('; ');
  return { path: opts.sh ?? '/bin/sh', args: ['sh', '-c', script, name, 'arg1'], ...(opts.env ? { env: opts.env } : {}), ...(opts.timeout ? { timeout: opts.timeout } : {}) };
}

/** Writes config.json; BigInt values (above 2^53) are written as the plain numbers they are. */
export function writeBundle(bundle: string, spec: Spec): void {
  const text = JSON.stringify(spec, (_k, v) => (typeof v === 'bigint' ? `__dh_big__${v}` : v), 2).replace(/"__dh_big__(-?\d+)"/g, '$1');
  writeFileSync(join(bundle, 'config.json'), text);
}

export { existsSync };
