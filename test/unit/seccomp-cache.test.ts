// The cache of compiled seccomp filters: an entry is used only for its exact key, only from a folder
// that is ours and closed to others, and a write that fails is no error.
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheGet, cacheKey, cachePut } from '../../src/seccomp/cache.js';

let tmp: string;
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe('seccomp filter cache', () => {
  it('returns what was put for the same key, and nothing for another', () => {
    tmp = mkdtempSync(join(tmpdir(), 'tsrun-sc-'));
    const dir = join(tmp, 'seccomp');
    const key = cacheKey({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 2n ** 63n, op: 'SCMP_CMP_EQ' }] }] }, 'x64');
    cachePut(dir, key, { bpf: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), flags: 4, skipped: ['nosuch'] });
    expect(cacheGet(dir, key)).toEqual({ bpf: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), flags: 4, skipped: ['nosuch'], fromCache: true });
    expect(cacheGet(dir, cacheKey({ defaultAction: 'SCMP_ACT_KILL' }, 'x64'))).toBeUndefined();
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('never serves an entry whose stored key differs (a name collision), nor from a folder others can write', () => {
    tmp = mkdtempSync(join(tmpdir(), 'tsrun-sc-'));
    const dir = join(tmp, 'seccomp');
    const key = cacheKey({ a: 1 }, 'x64');
    cachePut(dir, key, { bpf: new Uint8Array(8), flags: 0, skipped: [] });
    const [file] = readdirSync(dir);
    // Same file name, another key inside: as if two profiles hashed alike.
    const other = Buffer.from(cacheKey({ a: 2 }, 'x64'));
    const head = Buffer.alloc(4);
    head.writeUInt32LE(other.length);
    writeFileSync(join(dir, file), Buffer.concat([head, other, Buffer.from([2, 0, 0, 0]), Buffer.from('{}'), Buffer.alloc(8)]));
    expect(cacheGet(dir, key)).toBeUndefined();
    cachePut(dir, key, { bpf: new Uint8Array(8), flags: 0, skipped: [] });
    expect(cacheGet(dir, key)).toBeDefined();
    chmodSync(dir, 0o777);
    expect(cacheGet(dir, key)).toBeUndefined();
  });
});
