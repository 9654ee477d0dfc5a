// Compiled seccomp filters, kept in tsrun's cache folder (root: /var/cache/tsrun/seccomp; a user:
// ~/.cache/tsrun/seccomp; never under a state root, which delete must leave empty): Docker's default
// profile takes tens of ms to compile with libseccomp, and every container of a host brings the same
// few profiles. An entry holds its whole key (the profile as written, the tsrun build) and is used only
// when that key matches exactly, so a hash collision can never hand one config another's filter; the
// folder must be ours and writable by nobody else, as for any code-like input.
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from '../sys/fs.js';
import { join } from '../sys/path.js';
import { TSRUN_COMMIT, TSRUN_VERSION } from '../version.js';
import { addonPath } from '../sys/paths.js';
import type { CompiledSeccomp } from './compile.js';

/** Bumped when the compiled output for the same profile changes. */
const FORMAT = 1;
const MAX_ENTRIES = 64;

/** The cache folder: $TSRUN_CACHE_DIR/seccomp, /var/cache/tsrun/seccomp for root, the user's cache else. */
export function cacheDir(): string | undefined {
  const env = process.env;
  if (env.TSRUN_CACHE_DIR) return join(env.TSRUN_CACHE_DIR, 'seccomp');
  if ((process.geteuid?.() ?? 0) === 0) return '/var/cache/tsrun/seccomp';
  const home = env.XDG_CACHE_HOME ?? (env.HOME ? join(env.HOME, '.cache') : undefined);
  return home ? join(home, 'tsrun/seccomp') : undefined;
}

/** This build of tsrun (the single file's content id, else the addon's size and time): an entry is its build's. */
function buildId(): string {
  const emb = (globalThis as { __tsrunEmbedded?: { id: string } }).__tsrunEmbedded;
  if (emb) return emb.id;
  try {
    const st = statSync(addonPath());
    return `${st.size}-${st.mtimeMs}`;
  } catch {
    return 'unknown';
  }
}

/** 64-bit FNV-1a (two 32-bit lanes) of a string, as hex: a file name, not a proof (the key is). */
function fnv(s: string): string {
  let a = 0x811c9dc5, b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193 + 2);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

export function cacheKey(profile: unknown, extra: unknown): string {
  return JSON.stringify({ format: FORMAT, tsrun: `${TSRUN_VERSION} ${TSRUN_COMMIT} ${buildId()}`, extra, profile }, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** mkdir -p leaves an existing folder's mode alone; one tsrun made is 0700. */
function chmodOwn(dir: string): void {
  try {
    if ((statSync(dir).mode & 0o077) !== 0 && statSync(dir).uid === (process.geteuid?.() ?? 0)) chmodSync(dir, 0o700);
  } catch {}
}

function ours(dir: string): boolean {
  try {
    const st = statSync(dir);
    const uid = process.geteuid?.() ?? 0;
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** The cached result for key, if there is one. */
export function cacheGet(dir: string, key: string): CompiledSeccomp | undefined {
  if (!ours(dir)) return undefined;
  let buf: Buffer;
  try {
    buf = readFileSync(join(dir, `${fnv(key)}.bpf`));
  } catch {
    return undefined;
  }
  // u32 key length | key | u32 meta length | meta JSON | bpf
  if (buf.length < 8) return undefined;
  const klen = buf.readUInt32LE(0);
  if (klen !== Buffer.byteLength(key) || buf.toString('utf8', 4, 4 + klen) !== key) return undefined;
  const mlen = buf.readUInt32LE(4 + klen);
  const meta = JSON.parse(buf.toString('utf8', 8 + klen, 8 + klen + mlen)) as { flags: number; skipped: string[] };
  return { flags: meta.flags, skipped: meta.skipped, bpf: new Uint8Array(buf.subarray(8 + klen + mlen)), fromCache: true };
}

/** Stores a result (best effort: a cache that cannot be written is no error). */
export function cachePut(dir: string, key: string, c: CompiledSeccomp): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodOwn(dir);
    if (!ours(dir)) return;
    const names = readdirSync(dir);
    if (names.length >= MAX_ENTRIES) for (const n of names) try { unlinkSync(join(dir, n)); } catch {}
    const k = Buffer.from(key);
    const m = Buffer.from(JSON.stringify({ flags: c.flags, skipped: c.skipped }));
    const head = Buffer.alloc(4);
    head.writeUInt32LE(k.length);
    const mid = Buffer.alloc(4);
    mid.writeUInt32LE(m.length);
    const file = join(dir, `${fnv(key)}.bpf`);
    const tmp = `${file}.${process.pid}`;
    writeFileSync(tmp, Buffer.concat([head, k, mid, m, Buffer.from(c.bpf)]), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {}
}
