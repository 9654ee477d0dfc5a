import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/env.js';

describe('generated files are fresh', () => {
  it('the protocol (src/plan/ops.gen.ts, addon/init/ops.gen.h) matches src/plan/ops.json', () => {
    const r = spawnSync(process.execPath, ['scripts/gen-protocol.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
  it('the TypeScript types (src/config/gen) match schemas/', () => {
    const r = spawnSync(process.execPath, ['scripts/gen-types.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);
});
