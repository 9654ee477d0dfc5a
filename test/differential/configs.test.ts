// Every config of the table (variations.ts) under runc and under tsrun: what the container observes,
// how a failure is reported and what is left behind must match, or the difference must be in
// ALLOWED.md with its reason. DIFF_ONLY=<regex> runs only the matching variations; DIFF_REPORT=<file>
// writes every difference found (allowed or not) as JSON.
import { existsSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, skipReason, which } from '../helpers/env.js';
import { formatDiffs, loadAllowed, unexplained, type Allowed, type Difference } from './compare.js';
import { compareOutcomes, runOne, type RunEnv } from './harness.js';
import { RUNC } from './runtime.js';
import { setupRun, slots, teardownRun, type Run } from './setup.js';
import { setMountTree, VARIATIONS } from './variations.js';
import { SCENARIOS } from './commands.js';

const skip = skipReason(!isRoot ? 'integration tests need root' : !which('busybox') ? 'busybox-static is not installed' : !existsSync(RUNC) ? `no runc at ${RUNC}: no differential test` : undefined);
const only = process.env.DIFF_ONLY ? new RegExp(process.env.DIFF_ONLY) : undefined;
const selected = VARIATIONS.filter((v) => !only || only.test(v.name));
const SLOTS = Number(process.env.DIFF_SLOTS ?? 3);

let run: Run;
let env: RunEnv;
const allowed: Allowed[] = loadAllowed();
const report: { name: string; ms: number[]; diffs: Difference[]; left: Difference[] }[] = [];
const slot = slots(SLOTS);

beforeAll(() => {
  if (skip) return;
  run = setupRun();
  env = run.env;
  setMountTree({ tree: run.tree });
}, 60_000);

afterAll(async () => {
  if (skip || !run) return;
  await teardownRun(run);
  if (process.env.DIFF_REPORT) writeFileSync(process.env.DIFF_REPORT, JSON.stringify(report, null, 1));
}, 120_000);

describe.skipIf(skip).concurrent('runc and tsrun on the same configs', () => {
  it.each(selected.map((v) => [v.name, v] as const))('%s', async (name, v) => {
    const index = VARIATIONS.indexOf(v);
    const ms: number[] = [];
    const { r, t } = await slot(async () => {
      const t0 = Date.now();
      const r = await runOne(env, v, index, run.runc);
      const t1 = Date.now();
      const t = await runOne(env, v, index, run.tsrun);
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
    // Entries that also match a command scenario (commands.test.ts) are checked there or not at all.
    const stale = allowed.filter((a) => !a.used && VARIATIONS.some((v) => new RegExp(a.where).test(v.name)) && !SCENARIOS.some((x) => new RegExp(a.where).test(`cmd/${x.name}`)));
    expect(stale.map((a) => `${a.id} (${a.where} / ${a.section})`)).toEqual([]);
  });
});
