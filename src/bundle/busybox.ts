// Makes a runnable bundle from Debian's busybox-static: rootfs/bin/busybox with a symlink per applet,
// minimal /etc files, and a config.json from `tsrun spec` (tests, the README demo, the benchmarks).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from '../sys/path.js';
import { defaultSpec } from '../config/default-spec.js';
import type { Spec } from '../config/gen/config.js';
import { fail } from '../errors.js';

export const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

export function findBusybox(): string | undefined {
  return BUSYBOX_CANDIDATES.find((p) => existsSync(p));
}

export function makeBusyboxRootfs(rootfs: string, busybox = findBusybox()): void {
  if (!busybox) throw fail('busybox is not installed', { hint: 'apt-get install busybox-static' });
  for (const d of ['bin', 'dev', 'proc', 'sys', 'tmp', 'etc', 'root', 'run', 'var']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(busybox, join(rootfs, 'bin/busybox'));
  execFileSync('chmod', ['0755', join(rootfs, 'bin/busybox')]);
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  for (const a of applets) {
    const link = join(rootfs, 'bin', a);
    if (!existsSync(link)) symlinkSync('busybox', link);
  }
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n');
  execFileSync('chmod', ['1777', join(rootfs, 'tmp')]);
}

/** A bundle at dir: rootfs from busybox and the default config with `args` and no terminal. */
export function makeBusyboxBundle(dir: string, args: string[] = ['sh'], edit?: (s: Spec) => void): Spec {
  makeBusyboxRootfs(join(dir, 'rootfs'));
  const spec = defaultSpec();
  spec.process!.terminal = false;
  spec.process!.args = args;
  edit?.(spec);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  return spec;
}
