// Runs conformance/validation/run.mjs (runtime-tools' validation suite against tsrun) when
// TSRUN_VALIDATION_DIR points at a built suite. Pass counts are recorded in conformance/RESULTS.md,
// not asserted: this checks that the runner ran every file and reported totals.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { judge, parseTap } from '../../conformance/validation/run.mjs';

const ROOT = resolve(__dirname, '../..');
const RUNNER = join(ROOT, 'conformance/validation/run.mjs');
const DIR = process.env.TSRUN_VALIDATION_DIR;
const isRoot = process.getuid?.() === 0;

const reason = !DIR
  ? "TSRUN_VALIDATION_DIR is not set (build runtime-tools' validation suite and point it there)"
  : !existsSync(join(DIR, 'runtimetest'))
    ? `TSRUN_VALIDATION_DIR=${DIR} has no runtimetest (build the suite there)`
    : !isRoot
      ? 'the validation suite needs root'
      : undefined;
if (reason) console.log(`SKIPPED: ${reason}`);

const exit0 = { code: 0, timedOut: false, timeoutSec: 60, stderr: '' };

describe('the runner judges TAP as the suite prints it', () => {
  it('passes a met plan and fails a not ok, naming the first failing assertion', () => {
    expect(judge(parseTap('TAP version 13\nok 1 - a\nok 2 # SKIP b\n1..2\n'), exit0)).toMatchObject({ pass: true, counts: { ok: 2, skip: 1, notOk: 0 } });
    const v = judge(parseTap('TAP version 13\nok 1 - a\nnot ok 2 - b\n  ---\n  {\n    "error": "boom"\n  }\n  ...\n1..2\n'), exit0);
    expect(v.pass).toBe(false);
    expect(v.why).toBe('not ok 2 - b (error: boom)');
  });

  it('checks the plan of each TAP document, and nested (indented) output is not a test point', () => {
    expect(judge(parseTap('TAP version 13\nok 1 - a\n1..1\nTAP version 13\n1..0\n'), exit0).pass).toBe(true);
    expect(judge(parseTap('TAP version 13\nok 1 - a\n    not ok 9 - nested\n1..2\n'), exit0).why).toBe('planned 2 tests, ran 1');
  });

  it('fails an "error" diagnostic with no test point (hook files), passes silence with exit 0 (*_fail files)', () => {
    expect(judge(parseTap('TAP version 13\n  ---\n  {\n    "error": "hooks out of order"\n  }\n  ...\n1..0\n'), exit0).why).toMatch(/^error diagnostic: error: hooks out of order/);
    expect(judge(parseTap('TAP version 13\n1..0\n'), exit0).pass).toBe(true);
    expect(judge(parseTap(''), exit0).pass).toBe(true);
    expect(judge(parseTap(''), { ...exit0, code: 1, stderr: 'MUST cause an error\n' }).why).toBe('exit 1: MUST cause an error');
    expect(judge(parseTap('TAP version 13\nok 1 - a\n'), { ...exit0, timedOut: true }).why).toBe('timed out after 60s');
  });
});

describe('runtime-tools validation runner', () => {
  it('prints the skip line and exits 0 without TSRUN_VALIDATION_DIR', () => {
    const env = { ...process.env };
    delete env.TSRUN_VALIDATION_DIR;
    const r = spawnSync(process.execPath, [RUNNER], { env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('SKIPPED: TSRUN_VALIDATION_DIR is not set');
  });

  // 58 files at up to 60 s each in the worst case; typically about 3 minutes.
  it.skipIf(!!reason)('runs every validation file against tsrun and prints the totals', () => {
    const r = spawnSync(process.execPath, [RUNNER], {
      env: { ...process.env, RUNTIME: join(ROOT, 'bin/tsrun') },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    console.log(r.stdout.split('\n').filter((l) => /^validation: \d+ of \d+/.test(l)).join('\n'));
    expect(r.status, r.stderr).toBe(0);
    const m = /^validation: (\d+) of (\d+) files passed/m.exec(r.stdout);
    expect(m, r.stdout.slice(-2000)).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(0);
    expect(Number(m![1])).toBeLessThanOrEqual(Number(m![2]));
  }, 60 * 60_000);
});
