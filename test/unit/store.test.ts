import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStore, validateId, type ContainerRecord } from '../../src/state/store.js';
import { ROOT } from '../helpers/env.js';

let root: string;
beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'tsrun-store-')); });
afterEach(() => rmSync(root, { recursive: true, force: true }));

const record = (id: string, n: number): ContainerRecord => ({
  ociVersion: '1.3.0', id, status: 'created', pid: n, bundle: `/bundle/${n}`, rootfs: `/bundle/${n}/rootfs`,
  created: new Date(0).toISOString(), owner: '', tsrun: { starttime: n, pad: 'x'.repeat(20000 + n) },
});

/** Runs a script in a separate node process against the bundled library (dist/api.cjs). */
function child(script: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['-e', `const api = require(${JSON.stringify(join(ROOT, 'dist/api.cjs'))});\n${script}`], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code) => resolve(code ?? 1));
  });
}

describe('container ids', () => {
  it('follows runc\'s character set', () => {
    for (const ok of ['c1', 'a.b_c-d+e', 'X'.repeat(64)]) expect(() => validateId(ok)).not.toThrow();
    for (const bad of ['', '.', '..', 'a/b', '../x', 'a b', 'ü', 'a\nb']) expect(() => validateId(bad)).toThrow();
  });
});

describe('state store', () => {
  it('creates a container directory exclusively', () => {
    const s = new StateStore(root);
    s.createDir('c1');
    expect(() => s.createDir('c1')).toThrow(/container "c1" already exists/);
  });

  it('reads back what it wrote, and says runc\'s words for a missing container', () => {
    const s = new StateStore(root);
    s.createDir('c1');
    s.write(record('c1', 7));
    expect(s.read('c1').pid).toBe(7);
    expect(() => s.read('nope')).toThrow('container "nope" does not exist');
    expect(s.list()).toEqual(['c1']);
    s.remove('c1');
    expect(s.list()).toEqual([]);
    expect(existsSync(join(root, 'c1'))).toBe(false);
  });

  it('derives the status from the pid and its start time, not from the file', () => {
    const s = new StateStore(root);
    s.createDir('c1');
    const self = readFileSync('/proc/self/stat', 'latin1');
    const starttime = Number(self.slice(self.lastIndexOf(')') + 2).split(' ')[19]);
    const rec = { ...record('c1', process.pid), status: 'running' as const, tsrun: { starttime } };
    expect(s.status(rec)).toBe('running');
    expect(s.status({ ...rec, tsrun: { starttime: starttime + 1 } })).toBe('stopped'); // a reused pid
    expect(s.status({ ...rec, pid: 0 })).toBe('stopped');
    expect(s.publicState({ ...rec, pid: 0 })).toMatchObject({ pid: 0, status: 'stopped' });
  });

  it('never leaves a torn or mixed state.json under two concurrent writers', async () => {
    const s = new StateStore(root);
    s.createDir('c1');
    s.write(record('c1', 1));
    const writer = (n: number) => child(`
      const s = new api.StateStore(${JSON.stringify(root)});
      const rec = ${JSON.stringify(record('c1', 0))};
      for (let i = 0; i < 300; i++) s.write({ ...rec, pid: ${n}, bundle: '/bundle/${n}', tsrun: { starttime: ${n}, pad: 'x'.repeat(20000 + ${n}) } });`);
    const done = Promise.all([writer(1), writer(2)]);
    let reads = 0;
    let finished = false;
    done.then(() => (finished = true));
    while (!finished) {
      const rec = JSON.parse(readFileSync(join(root, 'c1/state.json'), 'utf8')) as ContainerRecord;
      // Every field must come from one writer.
      expect(rec.bundle).toBe(`/bundle/${rec.pid}`);
      expect((rec.tsrun.pad as string).length).toBe(20000 + rec.pid);
      reads++;
      await new Promise((r) => setImmediate(r));
    }
    expect(await done).toEqual([0, 0]);
    expect(reads).toBeGreaterThan(0);
  });

  it('serializes read-modify-write on one id with its lock', async () => {
    const s = new StateStore(root);
    s.createDir('c1');
    s.write({ ...record('c1', 0), pid: 0 });
    const bump = () => child(`
      const s = new api.StateStore(${JSON.stringify(root)});
      for (let i = 0; i < 100; i++) { const unlock = s.lock('c1'); const r = s.read('c1'); r.pid++; s.write(r); unlock(); }`);
    expect(await Promise.all([bump(), bump()])).toEqual([0, 0]);
    expect(s.read('c1').pid).toBe(200);
  });
});
