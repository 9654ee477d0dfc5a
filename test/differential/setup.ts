// The run's shared setup and teardown: a tmpfs for the bundles, the busybox template, the base
// configs, a host mount tree for recursive bind options, the run's cgroup parent; at the end every
// container is force-deleted, every mount under the dir unmounted and the cgroup parent removed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadBases, makeTemplate } from './bundle.js';
import { hostNamespaces, mountsUnder, rmCgroupTree, type RunEnv } from './harness.js';
import { Runtime } from './runtime.js';

export interface Run {
  env: RunEnv;
  runc: Runtime;
  tsrun: Runtime;
  tree: string;
}

export function setupRun(): Run {
  const dir = mkdtempSync('/tmp/dh-');
  // Bundles on a tmpfs: hundreds of rootfs copies are made in seconds, and removed with one umount.
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1g,mode=0755', 'dhbundles', dir]);
  const tree = join(dir, 'tree');
  mkdirSync(tree);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'dhtree', tree]);
  mkdirSync(join(tree, 'sub'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,nosuid', 'dhsub', join(tree, 'sub')]);
  writeFileSync(join(tree, 'sub/f'), 'sub\n');
  const env: RunEnv = { dir, template: makeTemplate(dir), bases: loadBases(dir), cgroupParent: `/dh-${basename(dir).slice(3)}`, hostNs: hostNamespaces() };
  return { env, runc: new Runtime('runc', join(dir, 'r')), tsrun: new Runtime('tsrun', join(dir, 't')), tree };
}

export async function teardownRun(run: Run): Promise<void> {
  const { env } = run;
  await run.runc.removeAll();
  await run.tsrun.removeAll();
  const keep = process.env.DIFF_KEEP ? [env.dir] : [];
  for (const m of mountsUnder(env.dir)) if (!keep.includes(m)) execFileSync('umount', ['-l', m]);
  const top = '/sys/fs/cgroup';
  const hier = existsSync(join(top, 'cgroup.controllers')) ? [top] : readdirSync(top).map((h) => join(top, h));
  for (const h of hier) rmCgroupTree(join(h, env.cgroupParent));
  if (!process.env.DIFF_KEEP) rmSync(env.dir, { recursive: true, force: true });
  else console.log(`DIFF_KEEP: the bundles are in ${env.dir} (a tmpfs: umount it when done)`);
}

/** A few at a time: each job runs runc first, then tsrun, so the two never overlap. */
export function slots(n: number): <T>(f: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async <T>(f: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((r) => queue.push(r));
    running++;
    try { return await f(); } finally { running--; queue.shift()?.(); }
  };
}
