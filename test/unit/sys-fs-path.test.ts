// src/sys/path.ts and src/sys/fs.ts stand in for node:path and node:fs (cheaper to load under Bun):
// each is checked against the Node original on the same inputs.
import * as nodeFs from 'node:fs';
import * as nodePath from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from '../../src/sys/fs.js';
import * as path from '../../src/sys/path.js';

const SAMPLES = ['', '.', '..', '/', '//', 'a', 'a/', '/a', '/a/', 'a/b', 'a//b', '/a/./b/', 'a/../b', '../a', 'a/../..', '/..', '/a/b/../../..', './a/./b/.', 'a/b/..', '/sys/fs/cgroup/cpu/tsrun/c1', 'x/..//'];

describe('sys/path matches node:path', () => {
  it('normalize, dirname, basename, isAbsolute', () => {
    for (const s of SAMPLES) {
      expect(path.normalize(s), `normalize(${JSON.stringify(s)})`).toBe(nodePath.normalize(s));
      expect(path.dirname(s), `dirname(${JSON.stringify(s)})`).toBe(nodePath.dirname(s));
      expect(path.basename(s), `basename(${JSON.stringify(s)})`).toBe(nodePath.basename(s));
      expect(path.isAbsolute(s)).toBe(nodePath.isAbsolute(s));
    }
    expect(path.basename('/a/b.json', '.json')).toBe(nodePath.basename('/a/b.json', '.json'));
  });

  it('join, resolve, relative', () => {
    for (const a of SAMPLES) {
      for (const b of ['', 'c', '/c', '../c', 'c/', './c/..']) {
        expect(path.join(a, b), `join(${JSON.stringify(a)}, ${JSON.stringify(b)})`).toBe(nodePath.join(a, b));
        expect(path.resolve(a, b), `resolve(${JSON.stringify(a)}, ${JSON.stringify(b)})`).toBe(nodePath.resolve(a, b));
        expect(path.relative(a, b), `relative(${JSON.stringify(a)}, ${JSON.stringify(b)})`).toBe(nodePath.relative(a, b));
      }
    }
    expect(path.join('/sys/fs/cgroup', '/tsrun/c1')).toBe('/sys/fs/cgroup/tsrun/c1');
    expect(path.join()).toBe('.');
  });
});

// Under Node sys/fs is node:fs itself; the addon implementation (what Bun runs) is what is checked.
describe('sys/fs behaves as node:fs', () => {
  beforeAll(() => fs.fsBackend('addon'));
  afterAll(() => fs.fsBackend('node'));
  const dir = nodeFs.mkdtempSync(nodePath.join(tmpdir(), 'tsrun-fs-'));
  afterAll(() => nodeFs.rmSync(dir, { recursive: true, force: true }));
  const p = (n: string) => nodePath.join(dir, n);

  it('reads and writes files, as text, latin1 or bytes', () => {
    fs.writeFileSync(p('a'), 'héllo\n', { mode: 0o640 });
    expect(nodeFs.readFileSync(p('a'), 'utf8')).toBe('héllo\n');
    expect(nodeFs.statSync(p('a')).mode & 0o777).toBe(0o640 & ~process.umask());
    expect(fs.readFileSync(p('a'), 'utf8')).toBe('héllo\n');
    expect(fs.readFileSync(p('a'), 'latin1')).toBe(nodeFs.readFileSync(p('a'), 'latin1'));
    expect(Buffer.compare(fs.readFileSync(p('a')), nodeFs.readFileSync(p('a')))).toBe(0);
    // /proc files report size 0: the whole content is still read.
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8').length).toBeGreaterThan(100);
    expect(() => fs.writeFileSync(p('a'), 'x', { flag: 'wx' })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    fs.copyFileSync(p('a'), p('b'));
    expect(nodeFs.readFileSync(p('b'), 'utf8')).toBe('héllo\n');
    expect(nodeFs.statSync(p('b')).mode).toBe(nodeFs.statSync(p('a')).mode);
  });

  it('opens, writes at an offset, reads at a position, fstat', () => {
    const fd = fs.openSync(p('c'), 'wx', 0o600);
    expect(fs.writeSync(fd, Buffer.from('0123456789'), 4)).toBe(6);
    fs.fsyncSync(fd);
    expect(fs.fstatSync(fd).size).toBe(6);
    fs.closeSync(fd);
    const r = fs.openSync(p('c'), fs.constants.O_RDONLY);
    const buf = Buffer.alloc(4);
    expect(fs.readSync(r, buf, 0, 4, 2)).toBe(4);
    expect(buf.toString()).toBe('6789');
    fs.closeSync(r);
    expect(() => fs.openSync(p('nope'))).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'open' }));
  });

  it('stats like node (type predicates, ids, missing files)', () => {
    for (const f of [dir, p('a'), '/dev/null', '/proc/self']) {
      const a = fs.statSync(f), b = nodeFs.statSync(f);
      expect([a.isDirectory(), a.isFile(), a.mode, a.uid, a.gid, a.ino, a.nlink]).toEqual([b.isDirectory(), b.isFile(), b.mode, b.uid, b.gid, b.ino, b.nlink]);
    }
    expect(fs.lstatSync('/proc/self').isSymbolicLink()).toBe(true);
    expect(fs.existsSync(p('a'))).toBe(true);
    expect(fs.existsSync(p('nope/x'))).toBe(false);
    expect(() => fs.statSync(p('nope'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('makes, lists and removes trees; renames; links', () => {
    fs.mkdirSync(p('t/u/v'), { recursive: true, mode: 0o755 });
    fs.mkdirSync(p('t/u/v'), { recursive: true });
    expect(() => fs.mkdirSync(p('t'))).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    fs.writeFileSync(p('t/u/f'), '1');
    fs.symlinkSync('/etc', p('t/l'));
    expect(fs.readlinkSync(p('t/l'))).toBe('/etc');
    expect(fs.readdirSync(p('t'))).toEqual(nodeFs.readdirSync(p('t')));
    const ents = fs.readdirSync(p('t/u'), { withFileTypes: true }).map((e) => [e.name, e.isDirectory(), e.isFile(), e.isSymbolicLink()]);
    expect(ents).toEqual(nodeFs.readdirSync(p('t/u'), { withFileTypes: true }).map((e) => [e.name, e.isDirectory(), e.isFile(), e.isSymbolicLink()]));
    fs.renameSync(p('t/u/f'), p('t/g'));
    expect(nodeFs.existsSync(p('t/g'))).toBe(true);
    fs.chmodSync(p('t/g'), 0o600);
    expect(nodeFs.statSync(p('t/g')).mode & 0o777).toBe(0o600);
    expect(() => fs.rmSync(p('t'))).toThrow();
    fs.rmSync(p('t'), { recursive: true, force: true });
    expect(nodeFs.existsSync(p('t'))).toBe(false);
    expect(nodeFs.existsSync('/etc/hostname')).toBe(true); // the symlink was removed, not followed
    fs.rmSync(p('t'), { recursive: true, force: true });
    const tmp = fs.mkdtempSync(p('m-'));
    expect(nodeFs.statSync(tmp).isDirectory()).toBe(true);
    fs.rmdirSync(tmp);
    fs.unlinkSync(p('b'));
    expect(fs.statfsSync('/proc').type).toBe(nodeFs.statfsSync('/proc').type);
  });
});
