#!/usr/bin/env node
// Builds the native parts of tsrun:
//   build/Release/tsrun.node  the N-API addon (node-gyp, binding.gyp)
//   build/tsrun-init          the static helper run from a sealed memfd (musl-gcc, else gcc)
// Runs scripts/gen-protocol.mjs first. Idempotent: node-gyp configure runs once and make is
// incremental; tsrun-init is rebuilt only when a source is newer. Prints one line per artifact.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] };

function run(cmd, args, opts = quiet) {
  const r = spawnSync(cmd, args, opts);
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    if (r.stdout) process.stderr.write(r.stdout);
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  }
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// node-gyp ships inside npm; prefer the one npm itself would use.
function nodeGyp() {
  const prefix = join(dirname(process.execPath), '..');
  const candidates = [
    process.env.npm_config_node_gyp,
    join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
    join(root, 'node_modules/node-gyp/bin/node-gyp.js'),
  ];
  const found = candidates.find((p) => p && existsSync(p));
  if (found) return [process.execPath, [found]];
  if (have('node-gyp')) return ['node-gyp', []];
  throw new Error('node-gyp not found (it comes with npm)');
}

function buildAddon() {
  const [cmd, pre] = nodeGyp();
  // Distribution packages put the headers under /usr/include/node; use them, no download.
  const nodedir = existsSync('/usr/include/node/node_api.h') ? ['--nodedir=/usr'] : [];
  const opts = ['--loglevel=warn', ...nodedir];
  // Reconfigure when binding.gyp changed; otherwise make alone is incremental.
  const mk = join(root, 'build/Makefile');
  if (!existsSync(mk) || statSync(mk).mtimeMs < statSync(join(root, 'binding.gyp')).mtimeMs) run(cmd, [...pre, 'configure', ...opts]);
  run(cmd, [...pre, 'build', ...opts]);
  console.log('built build/Release/tsrun.node');
}

function newest(dir) {
  return Math.max(...readdirSync(dir).map((f) => statSync(join(dir, f)).mtimeMs));
}

function buildInit() {
  const src = join(root, 'addon/init');
  const out = join(root, 'build/tsrun-init');
  if (existsSync(out) && statSync(out).mtimeMs >= newest(src)) {
    console.log('up to date build/tsrun-init');
    return;
  }
  const cc = have('musl-gcc') ? 'musl-gcc' : 'gcc';
  const sources = readdirSync(src).filter((f) => f.endsWith('.c')).sort().map((f) => join(src, f));
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp`;
  run(cc, ['-D_GNU_SOURCE', '-static', '-Os', '-Wall', '-Wextra', '-Werror', '-o', tmp, ...sources]);
  run('strip', [tmp]);
  renameSync(tmp, out); // atomic: a running test never sees a half-written binary
  console.log(`built build/tsrun-init (${cc})`);
}

try {
  execFileSync(process.execPath, [join(root, 'scripts/gen-protocol.mjs')], { stdio: 'inherit' });
  buildAddon();
  buildInit();
} catch (e) {
  console.error(`build-native: ${e.message}`);
  process.exit(1);
}
