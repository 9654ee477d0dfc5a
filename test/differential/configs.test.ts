// Every config of the table (variations.ts) under runc and under tsrun: what the container observes,
// how a failure is reported and what is left behind must match, or the difference must be in
// ALLOWED.md with its reason. DIFF_ONLY=<regex> runs only the matching variations; DIFF_REPORT=<file>
// writes every difference found (allowed or not) as JSON.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, skipReason, which } from '../helpers/env.js';
import { loadBases, makeTemplate } from './bundle.js';
import { formatDiffs, loadAllowed, unexplained, type Allowed, type Difference } from './compare.js';
import { compareOutcomes, hostNamespaces, mountsUnder, rmCgroupTree, runOne, type RunEnv } from './harness.js';
import { RUNC, Runtime } from './runtime.js';
import { setMountTree, VARIATIONS } from './variations.js';

const skip = skipReason(!isRoot ? 'integration tests need root' : !which('busybox') ? 'busybox-static is not installed' : !existsSync(RUNC) ? `no runc at ${RUNC}: no differential test` : undefined);
const only = process.env.DIFF_ONLY ? new RegExp(process.env.DIFF_ONLY) : undefined;
const selected = VARIATIONS.filter((v) => !only || only.test(v.name));
const SLOTS = Number(process.env.DIFF_SLOTS ?? 3);

let env: RunEnv;
let runc: Runtime;
let tsrun: Runtime;
const allowed: Allowed[] = loadAllowed();
const report: { name: string; ms: number[]; diffs: Difference[]; left: Difference[] }[] = [];

// A few configs at a time: each runs runc first, then tsrun (their runs never overlap, so a joined
// namespace or the rt budget of a parent cgroup is never shared between them).
let running = 0;
const queue: (() => void)[] = [];
async function slot<T>(f: () => Promise<T>): Promise<T> {
  if (running >= SLOTS) await new Promise<void>((r) => queue.push(r));
  running++;
  try { return await f(); } finally { running--; queue.shift()?.(); }
}

beforeAll(() => {
  if (skip) return;
  const dir = mkdtempSync('/tmp/dh-');
  // Bundles on a tmpfs: hundreds of rootfs copies are made in seconds, and removed with one umount.
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1g,mode=0755', 'dhbundles', dir]);
  const tree = join(dir, 'tree');
  mkdirSync(tree);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'dhtree', tree]);
  mkdirSync(join(tree, 'sub'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,nosuid', 'dhsub', join(tree, 'sub')]);
  writeFileSync(join(tree, 'sub/f'), 'sub\n');
  setMountTree({ tree });
  env = { dir, template: makeTemplate(dir), bases: loadBases(dir), cgroupParent: `/dh-${basename(dir).slice(3)}`, hostNs: hostNamespaces() };
  runc = new Runtime('runc', join(dir, 'r'));
  tsrun = new Runtime('tsrun', join(dir, 't'));
}, 60_000);

afterAll(async () => {
  if (skip || !env) return;
  await runc.removeAll();
  await tsrun.removeAll();
  const keep = process.env.DIFF_KEEP ? [env.dir] : [];
  for (const m of mountsUnder(env.dir)) if (!keep.includes(m)) execFileSync('umount', ['-l', m]);
  const top = '/sys/fs/cgroup';
  const hier = existsSync(join(top, 'cgroup.controllers')) ? [top] : readdirSync(top).map((h) => join(top, h));
  for (const h of hier) rmCgroupTree(join(h, env.cgroupParent));
  if (!process.env.DIFF_KEEP) rmSync(env.dir, { recursive: true, force: true });
  else console.log(`DIFF_KEEP: the bundles are in ${env.dir} (a tmpfs: umount it when done)`);
  if (process.env.DIFF_REPORT) writeFileSync(process.env.DIFF_REPORT, JSON.stringify(report, null, 1));
}, 120_000);

describe.skipIf(skip).concurrent('runc and tsrun on the same configs', () => {
  it.each(selected.map((v) => [v.name, v] as const))('%s', async (name, v) => {
    const index = VARIATIONS.indexOf(v);
    const ms: number[] = [];
    const { r, t } = await slot(async () => {
      const t0 = Date.now();
      const r = await runOne(env, v, index, runc);
      const t1 = Date.now();
      const t = await runOne(env, v, index, tsrun);
      ms.push(t1 - t0, r.call.ms, Date.now() - t1, t.call.ms);
      return { r, t };
    });
    const diffs = compareOutcomes(v, r, t);
    const { left, used } = unexplained(name, diffs, allowed);
    for (const a of used) a.used = (a.used ?? 0) + 1;
    report.push({ name, ms, diffs, left });
    const ctx = left.length ? `runc stderr: ${r.call.stderr.trim().slice(0, 600)}\ntsrun stderr: ${t.call.stderr.trim().slice(0, 600)}` : '';
    if (left.length) expect.fail(formatDiffs(name, left, ctx));
  }, 120_000);
});

describe.skipIf(skip || !!only)('the list of allowed differences', () => {
  it('has no entry that matched nothing in this run', () => {
    const stale = allowed.filter((a) => a.where && !a.used && VARIATIONS.some((v) => new RegExp(a.where).test(v.name)));
    expect(stale.map((a) => `${a.id} (${a.where} / ${a.section})`)).toEqual([]);
  });
});
