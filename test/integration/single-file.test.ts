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
  it('a new build removes old builds\' folders (but the three newest and any extracted in the last minute)', () => {
    const cache = mkdtempSync(join(tmpdir(), 'tsrun-cache-'));
    try {
      const old = ['0000000000000001', '0000000000000002', '0000000000000003', '0000000000000004', '0123456789abcdef'].map((n) => join(cache, n));
      const recent = join(cache, 'fedcba9876543210');
      const other = join(cache, 'not-a-build');
      for (const d of [...old, recent, other]) mkdirSync(d);
      // Newest first: the recent one, ...04 and ...03 are kept; ...02, ...01 and 0123456789abcdef (the oldest) go.
      for (const [i, d] of old.entries()) utimesSync(d, new Date(Date.now() - 3600_000 + i * 60_000), new Date(Date.now() - 3600_000 + (i === 4 ? -1 : i) * 60_000));
      const r = spawnSync(bin, ['--root', join(cache, 'state'), 'state', 'nope'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', TSRUN_CACHE_DIR: cache } });
      expect(r.stderr).toMatch(/does not exist/);
      const names = readdirSync(cache);
      expect(names).not.toContain('0123456789abcdef');
      expect(names).not.toContain('0000000000000001');
      expect(names).not.toContain('0000000000000002');
      expect(names).toEqual(expect.arrayContaining(['0000000000000003', '0000000000000004', 'fedcba9876543210', 'not-a-build']));
      expect(names.filter((n) => /^[0-9a-f]{16}$/.test(n))).toHaveLength(4); // the three newest others, and this build's own
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
