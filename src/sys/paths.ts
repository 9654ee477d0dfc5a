// Where tsrun's own files are (the addon, tsrun-init, the precompiled validators), as paths under a
// root that has them at build/...:
// - $TSRUN_HOME when set;
// - in the single-file build (scripts/build-single.mjs), a cache folder the embedded files are copied
//   to at first use: /var/cache/tsrun/<content hash> for root (else ~/.cache/tsrun/<hash>, then
//   $XDG_RUNTIME_DIR/tsrun-cache, or $TSRUN_CACHE_DIR/<hash>), which must be ours and writable by
//   nobody else;
// - otherwise the project: the bundles live in <project>/dist and dist/groups, sources in <project>/src/*,
//   so the root is the first of .. and ../.. that holds the built addon.
// No node:fs on the common paths (it costs ~4.5 ms to load under Bun): the project is found with
// require.resolve, and the single-file build's cache is checked with Bun's own stat (prepareEmbedded).
// node:fs is used only to extract the embedded files, once.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from './path.js';

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
  const resolve = createRequire(__filename).resolve;
  // Under Bun, __dirname is the directory the bundle was built from (Bun's bundler writes it in): the
  // running file's own place comes first, so a moved installation still finds its own addon.
  const here = [__dirname, ...(process.versions.bun && process.argv[1] ? [dirname(process.argv[1])] : [])].reverse();
  for (const dir of here.flatMap((d) => [join(d, '..'), join(d, '../..')])) {
    try {
      resolve(join(dir, 'build/Release/tsrun.node'));
      return (cached = dir);
    } catch {}
  }
  throw new Error(`cannot find the tsrun installation (build/Release/tsrun.node) above ${__dirname}: run npm install there`);
}

/** Bun's stat result, enough for trusted(). */
interface StatLike { uid: number; mode: number; isDirectory(): boolean }

/**
 * Single-file build: when the cache folder is already complete and trusted, use it without node:fs
 * (Bun.file().stat(), async, so the entry awaits this before main). Otherwise projectRoot extracts.
 */
export async function prepareEmbedded(): Promise<void> {
  const emb = globalThis.__tsrunEmbedded;
  const bun = (globalThis as { Bun?: { file(p: string): { stat(): Promise<StatLike> } } }).Bun;
  if (!emb || cached || process.env.TSRUN_HOME || !bun) return;
  for (const base of cacheBases()) {
    const dir = join(base, emb.id);
    try {
      // The folder is renamed into place complete (extractTo), so a trusted one holds every file: the
      // addon is checked as a sample, not the ~20 files one by one (each stat is a trip to Bun's pool).
      const [b, d, addon] = await Promise.all([base, dir, join(dir, 'build/Release/tsrun.node')].map((p) => bun.file(p).stat()));
      if (trustedStat(b) && trustedStat(d) && !addon.isDirectory()) {
        cached = dir;
        return;
      }
    } catch {}
  }
}

export const addonPath = () => join(projectRoot(), 'build/Release/tsrun.node');
export const initPath = () => join(projectRoot(), 'build/tsrun-init');

/** A folder tsrun may load code from: owned by us or root, and nobody else can write to it. */
function trusted(path: string): boolean {
  return trustedStat(statSync(path));
}

function trustedStat(st: StatLike): boolean {
  const uid = process.geteuid?.() ?? 0;
  return st.isDirectory() && (st.uid === uid || st.uid === 0) && (st.mode & 0o022) === 0;
}

/**
 * Where the embedded files may go, best first. Root's is /var/cache/tsrun; the others' is the user's
 * cache. Root of someone else's user namespace (Podman's) sees /var/cache/tsrun owned by an unmapped
 * uid (65534): not trusted, so it falls back to the user's cache too ($HOME, and for Podman's kill and
 * delete, which come with no HOME, $XDG_RUNTIME_DIR).
 */
function cacheBases(): string[] {
  if (process.env.TSRUN_CACHE_DIR) return [process.env.TSRUN_CACHE_DIR];
  const uid = process.geteuid?.() ?? 0;
  const env = process.env;
  const user = [
    env.XDG_CACHE_HOME ? join(env.XDG_CACHE_HOME, 'tsrun') : env.HOME ? join(env.HOME, '.cache/tsrun') : undefined,
    env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'tsrun-cache') : undefined,
    `/tmp/tsrun-${uid}`,
  ].filter((p): p is string => !!p);
  return uid === 0 ? ['/var/cache/tsrun', ...user] : user;
}

/** Copies the embedded files to <cache>/<id>/ once (complete folder, renamed into place), then reuses it. */
function extractEmbedded(emb: Embedded): string {
  const bases = cacheBases();
  for (const base of bases) {
    const dir = join(base, emb.id);
    if (existsSync(dir) && trusted(base) && trusted(dir) && complete(emb, dir)) return dir;
  }
  for (const base of bases) {
    try {
      mkdirSync(base, { recursive: true, mode: 0o755 });
    } catch {
      continue;
    }
    if (trusted(base)) return extractTo(emb, base);
  }
  throw new Error(`${bases.join(', ')}: no tsrun cache folder can be used: it must belong to root or to this user and be writable by nobody else (or set TSRUN_CACHE_DIR)`);
}

const complete = (emb: Embedded, dir: string) => Object.keys(emb.files).every((rel) => existsSync(join(dir, rel)));

function extractTo(emb: Embedded, base: string): string {
  const dir = join(base, emb.id);
  if (existsSync(dir) && trusted(dir) && complete(emb, dir)) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const [rel, from] of Object.entries(emb.files)) {
    const to = join(tmp, rel);
    mkdirSync(dirname(to), { recursive: true, mode: 0o755 });
    writeFileSync(to, readFileSync(from), { mode: /\.(js|jsc)$/.test(rel) ? 0o644 : 0o755 });
  }
  chmodSync(tmp, 0o755);
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // Another tsrun extracted the same files first: use theirs.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(dir)) throw e;
  }
  if (!trusted(dir) || !complete(emb, dir)) throw new Error(`${dir}: incomplete or not trusted; remove it`);
  removeOldBuilds(base, emb.id);
  return dir;
}

/**
 * A new build's first run: the folders of other builds (16 hex digits, as the build names them) are
 * removed. Kept: the few newest (builds side by side on one machine, as in development) and any
 * extracted in the last minute (a tsrun of that build may be starting from it).
 */
function removeOldBuilds(base: string, id: string): void {
  const KEEP = 3;
  const now = Date.now();
  const others: { p: string; mtime: number }[] = [];
  for (const name of readdirSync(base)) {
    if (name === id || !/^[0-9a-f]{16}(\.tmp-\d+)?$/.test(name)) continue;
    try { others.push({ p: join(base, name), mtime: statSync(join(base, name)).mtimeMs }); } catch {}
  }
  others.sort((a, b) => b.mtime - a.mtime);
  for (const { p, mtime } of others.slice(KEEP)) {
    if (now - mtime > 60_000) try { rmSync(p, { recursive: true, force: true }); } catch {}
  }
}
