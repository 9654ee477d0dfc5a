// Where tsrun's own files are (the addon, tsrun-init, the precompiled validators), as paths under a
// root that has them at build/...:
// - $TSRUN_HOME when set;
// - in the single-file build (scripts/build-single.mjs), a cache folder the embedded files are copied
//   to at first use: /var/cache/tsrun/<content hash> for root (else ~/.cache/tsrun/<hash>, or
//   $TSRUN_CACHE_DIR/<hash>), which must be ours and writable by nobody else;
// - otherwise the project: the bundle lives in <project>/dist, sources in <project>/src/*, so the
//   project root is found by walking up to the package.json named tsrun.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Set by the single-file build's entry before tsrun runs: relative path -> where the runtime can read it. */
interface Embedded { id: string; files: Record<string, string> }
declare global {
  // eslint-disable-next-line no-var
  var __tsrunEmbedded: Embedded | undefined;
}

let cached: string | undefined;

export function projectRoot(): string {
  if (cached) return cached;
  if (process.env.TSRUN_HOME) return (cached = process.env.TSRUN_HOME);
  if (globalThis.__tsrunEmbedded) return (cached = extractEmbedded(globalThis.__tsrunEmbedded));
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && /"name":\s*"tsrun"/.test(readFileSync(pkg, 'utf8'))) return (cached = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the tsrun installation above ${__dirname}`);
    dir = up;
  }
}

export const addonPath = () => join(projectRoot(), 'build/Release/tsrun.node');
export const initPath = () => join(projectRoot(), 'build/tsrun-init');

/** A folder tsrun may load code from: owned by us or root, and nobody else can write to it. */
function trusted(path: string): boolean {
  const st = statSync(path);
  const uid = process.geteuid?.() ?? 0;
  return st.isDirectory() && (st.uid === uid || st.uid === 0) && (st.mode & 0o022) === 0;
}

function cacheBase(): string {
  if (process.env.TSRUN_CACHE_DIR) return process.env.TSRUN_CACHE_DIR;
  const uid = process.geteuid?.() ?? 0;
  if (uid === 0) return '/var/cache/tsrun';
  const xdg = process.env.XDG_CACHE_HOME || (process.env.HOME && join(process.env.HOME, '.cache'));
  return xdg ? join(xdg, 'tsrun') : `/tmp/tsrun-${uid}`;
}

/** Copies the embedded files to <cache>/<id>/ once (complete folder, renamed into place), then reuses it. */
function extractEmbedded(emb: Embedded): string {
  const base = cacheBase();
  const dir = join(base, emb.id);
  const complete = () => Object.keys(emb.files).every((rel) => existsSync(join(dir, rel)));
  if (existsSync(dir) && trusted(base) && trusted(dir) && complete()) return dir;
  mkdirSync(base, { recursive: true, mode: 0o755 });
  if (!trusted(base)) throw new Error(`${base}: the tsrun cache folder must belong to root or to this user and be writable by nobody else`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const [rel, from] of Object.entries(emb.files)) {
    const to = join(tmp, rel);
    mkdirSync(dirname(to), { recursive: true, mode: 0o755 });
    writeFileSync(to, readFileSync(from), { mode: rel.endsWith('.js') ? 0o644 : 0o755 });
  }
  chmodSync(tmp, 0o755);
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // Another tsrun extracted the same files first: use theirs.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(dir)) throw e;
  }
  if (!trusted(dir) || !complete()) throw new Error(`${dir}: incomplete or not trusted; remove it`);
  return dir;
}
