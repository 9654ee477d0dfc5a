// Runs conformance/validation/run.mjs (runtime-tools' validation suite against tsrun) when
// TSRUN_VALIDATION_DIR points at a built suite. Pass counts are recorded in conformance/RESULTS.md,
// not asserted: this checks that the runner ran every file and reported totals.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

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
