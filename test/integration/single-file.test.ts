// The single-file executable's cache of embedded files (/var/cache/tsrun/<build id>, here a folder of
// the test's own through TSRUN_CACHE_DIR): a new build's first run removes the folders of old builds.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, skipReason } from '../helpers/env.js';

const bin = join(ROOT, 'dist/single/tsrun');
const skip = skipReason(!existsSync(bin) ? 'the single-file build is not there (Bun was not found at build time)' : undefined);

describe.skipIf(skip)('single-file cache', () => {
  it('a new build removes old builds\' folders (but not one extracted in the last minute)', () => {
    const cache = mkdtempSync(join(tmpdir(), 'tsrun-cache-'));
    try {
      const old = join(cache, '0123456789abcdef');
      const recent = join(cache, 'fedcba9876543210');
      const other = join(cache, 'not-a-build');
      for (const d of [old, recent, other]) mkdirSync(d);
      const past = new Date(Date.now() - 3600_000);
      utimesSync(old, past, past);
      const r = spawnSync(bin, ['--root', join(cache, 'state'), 'state', 'nope'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', TSRUN_CACHE_DIR: cache } });
      expect(r.stderr).toMatch(/does not exist/);
      const names = readdirSync(cache);
      expect(names).not.toContain('0123456789abcdef');
      expect(names).toContain('fedcba9876543210');
      expect(names).toContain('not-a-build');
      expect(names.filter((n) => /^[0-9a-f]{16}$/.test(n))).toHaveLength(2); // this build's own, and the recent one
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
