// The file-system calls tsrun makes, node:fs-shaped (same names, arguments and error `code`s). Under
// Bun they are done by the addon (addon/src/files.cc): Bun's node:fs is a JS module compiled at first
// use (~4.5 ms, measured), and a `tsrun state` or `start` is only a few ms of work. Under Node, node:fs
// is already loaded with the runtime, so it is used as is (the addon's dlopen would cost ~0.5-1 ms
// for commands that need no other syscall). test/unit/sys-fs-path.test.ts holds both to node's results.
// Only what tsrun uses is here; cold paths that need more (stdin) use node:fs directly.
import { createRequire } from 'node:module';
import { sys } from './index.js';

type NodeFs = typeof import('node:fs');
// A runtime require: a static import would make the bundle build node:fs's whole namespace.
let nodeFs: NodeFs | undefined = process.versions.bun ? undefined : (createRequire(__filename)('node:fs') as NodeFs);

/** Tests: run the addon implementation under Node too ('addon'), or go back to node:fs ('node'). */
export function fsBackend(b: 'node' | 'addon'): void {
  nodeFs = b === 'node' ? (createRequire(__filename)('node:fs') as NodeFs) : undefined;
}

export const constants = {
  O_RDONLY: 0, O_WRONLY: 0o1, O_RDWR: 0o2, O_CREAT: 0o100, O_EXCL: 0o200, O_TRUNC: 0o1000, O_APPEND: 0o2000,
  O_NONBLOCK: 0o4000, O_DIRECTORY: 0o200000, O_NOFOLLOW: 0o400000, O_PATH: 0o10000000,
} as const;
const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND } = constants;

type Flag = number | 'r' | 'r+' | 'w' | 'wx' | 'a' | 'ax';
const FLAGS: Record<string, number> = {
  r: O_RDONLY, 'r+': O_RDWR, w: O_WRONLY | O_CREAT | O_TRUNC, wx: O_WRONLY | O_CREAT | O_TRUNC | O_EXCL,
  a: O_WRONLY | O_CREAT | O_APPEND, ax: O_WRONLY | O_CREAT | O_APPEND | O_EXCL,
};
const flagBits = (f: Flag | undefined, dflt: number) => (f === undefined ? dflt : typeof f === 'number' ? f : FLAGS[f]);

const S_IFMT = 0o170000;
export class Stats {
  readonly dev: number; readonly ino: number; readonly mode: number; readonly nlink: number; readonly uid: number;
  readonly gid: number; readonly rdev: number; readonly size: number; readonly mtimeMs: number;
  constructor(v: number[]) {
    [this.dev, this.ino, this.mode, this.nlink, this.uid, this.gid, this.rdev, this.size, this.mtimeMs] = v;
  }
  isDirectory(): boolean { return (this.mode & S_IFMT) === 0o040000; }
  isFile(): boolean { return (this.mode & S_IFMT) === 0o100000; }
  isSymbolicLink(): boolean { return (this.mode & S_IFMT) === 0o120000; }
  isFIFO(): boolean { return (this.mode & S_IFMT) === 0o010000; }
  isSocket(): boolean { return (this.mode & S_IFMT) === 0o140000; }
}

const DT_DIR = 4, DT_REG = 8, DT_LNK = 10;
export interface DirentLike { name: string; isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean }
export class Dirent {
  constructor(readonly name: string, private readonly type: number) {}
  isDirectory(): boolean { return this.type === DT_DIR; }
  isFile(): boolean { return this.type === DT_REG; }
  isSymbolicLink(): boolean { return this.type === DT_LNK; }
}

type Encoding = 'utf8' | 'utf-8' | 'latin1';
export function readFileSync(path: string, enc: Encoding | { encoding: Encoding }): string;
export function readFileSync(path: string): Buffer;
export function readFileSync(path: string, enc?: Encoding | { encoding: Encoding }): string | Buffer {
  if (nodeFs) return nodeFs.readFileSync(path, enc as BufferEncoding);
  const e = typeof enc === 'object' ? enc.encoding : enc;
  if (e === 'utf8' || e === 'utf-8') return sys().readFile(path, true) as string;
  const buf = sys().readFile(path, false) as Buffer;
  return e ? buf.toString(e) : buf;
}

export function writeFileSync(path: string, data: string | Uint8Array, opts?: { mode?: number; flag?: Flag } | 'utf8'): void {
  const o = typeof opts === 'object' ? opts : {};
  if (nodeFs) return nodeFs.writeFileSync(path, data, o as { mode?: number; flag?: string });
  sys().writeFile(path, data, flagBits(o.flag, FLAGS.w), o.mode ?? 0o666);
}

export function openSync(path: string, flags: Flag = 'r', mode = 0o666): number {
  if (nodeFs) return nodeFs.openSync(path, flags, mode);
  return sys().open(path, flagBits(flags, O_RDONLY), mode);
}

export function closeSync(fd: number): void {
  if (nodeFs) return nodeFs.closeSync(fd);
  sys().close(fd);
}

/** One write(2) of data (from byte offset), as Node's writeSync; returns the count written. */
export function writeSync(fd: number, data: string | Uint8Array, offset = 0): number {
  if (nodeFs) return typeof data === 'string' ? nodeFs.writeSync(fd, data) : nodeFs.writeSync(fd, data, offset);
  let native;
  try {
    native = sys();
  } catch {
    // No addon (not built, or not loadable): error messages must still get out.
    const fs = createRequire(__filename)('node:fs') as NodeFs;
    return typeof data === 'string' ? fs.writeSync(fd, data) : fs.writeSync(fd, data, offset);
  }
  return native.write(fd, data, offset);
}

export function readSync(fd: number, buf: Uint8Array, offset = 0, length = buf.byteLength - offset, position: number | null = null): number {
  if (nodeFs) return nodeFs.readSync(fd, buf, offset, length, position);
  return sys().read(fd, buf, offset, length, position ?? -1);
}

export function existsSync(path: string): boolean {
  if (nodeFs) return nodeFs.existsSync(path);
  try {
    return sys().stat(path, 2) !== null;
  } catch {
    return false;
  }
}

export function statSync(path: string): Stats {
  if (nodeFs) return nodeFs.statSync(path);
  return new Stats(sys().stat(path, 0)!);
}

export function lstatSync(path: string): Stats {
  if (nodeFs) return nodeFs.lstatSync(path);
  return new Stats(sys().stat(path, 1)!);
}

export function fstatSync(fd: number): Stats {
  if (nodeFs) return nodeFs.fstatSync(fd);
  return new Stats(sys().fstat(fd));
}

export function mkdirSync(path: string, opts: { recursive?: boolean; mode?: number } = {}): void {
  const mode = opts.mode ?? 0o777;
  if (nodeFs) return void nodeFs.mkdirSync(path, opts);
  if (!opts.recursive) return sys().mkdir(path, mode);
  try {
    sys().mkdir(path, mode);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && statSync(path).isDirectory()) return;
    if (code !== 'ENOENT') throw e;
    const parent = path.replace(/\/+[^/]+\/*$/, '') || '/';
    if (parent === path) throw e;
    mkdirSync(parent, opts);
    try {
      sys().mkdir(path, mode);
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code !== 'EEXIST') throw e2;
    }
  }
}

export function rmdirSync(path: string): void {
  if (nodeFs) return nodeFs.rmdirSync(path);
  sys().rmdir(path);
}

export function unlinkSync(path: string): void {
  if (nodeFs) return nodeFs.unlinkSync(path);
  sys().unlink(path);
}

/** rm -r[f]: symlinks are removed, never followed. */
export function rmSync(path: string, opts: { recursive?: boolean; force?: boolean } = {}): void {
  if (nodeFs) return nodeFs.rmSync(path, opts);
  let st: number[] | null;
  try {
    st = sys().stat(path, opts.force ? 3 : 1);
  } catch (e) {
    if (opts.force && (e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st) return;
  if (!new Stats(st).isDirectory()) return sys().unlink(path);
  if (!opts.recursive) throw Object.assign(new Error(`rm ${path}: is a directory`), { code: 'ERR_FS_EISDIR', path });
  for (const name of readdirSync(path)) rmSync(`${path}/${name}`, opts);
  sys().rmdir(path);
}

export function renameSync(from: string, to: string): void {
  if (nodeFs) return nodeFs.renameSync(from, to);
  sys().rename(from, to);
}

export function chmodSync(path: string, mode: number): void {
  if (nodeFs) return nodeFs.chmodSync(path, mode);
  sys().chmod(path, mode);
}

export function symlinkSync(target: string, path: string): void {
  if (nodeFs) return nodeFs.symlinkSync(target, path);
  sys().symlink(target, path);
}

export function readlinkSync(path: string): string {
  if (nodeFs) return nodeFs.readlinkSync(path);
  return sys().readlink(path);
}

export function fsyncSync(fd: number): void {
  if (nodeFs) return nodeFs.fsyncSync(fd);
  sys().fsync(fd);
}

/** Entries sorted by name (as Node's, which libuv sorts). */
export function readdirSync(path: string): string[];
export function readdirSync(path: string, opts: { withFileTypes: true }): DirentLike[];
export function readdirSync(path: string, opts?: { withFileTypes?: boolean }): string[] | DirentLike[] {
  if (nodeFs) return opts?.withFileTypes ? nodeFs.readdirSync(path, { withFileTypes: true }) : nodeFs.readdirSync(path);
  const [names, types] = sys().readdir(path);
  const order = names.map((_, i) => i).sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0));
  return opts?.withFileTypes ? order.map((i) => new Dirent(names[i], types[i])) : order.map((i) => names[i]);
}

/** Copies the content, and the mode bits, of a file. */
export function copyFileSync(from: string, to: string): void {
  if (nodeFs) return nodeFs.copyFileSync(from, to);
  const mode = statSync(from).mode & 0o7777;
  sys().writeFile(to, sys().readFile(from, false) as Uint8Array, FLAGS.w, mode);
}

export function mkdtempSync(prefix: string): string {
  if (nodeFs) return nodeFs.mkdtempSync(prefix);
  return sys().mkdtemp(prefix);
}

export function statfsSync(path: string): { type: number } {
  if (nodeFs) return { type: nodeFs.statfsSync(path).type };
  return { type: sys().statfsType(path) };
}
