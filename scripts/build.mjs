// Builds everything tsrun needs to run, in order: the protocol files, the native parts (addon and
// tsrun-init), the precompiled validators, and the bundled CLI and library (esbuild, one CJS file each).
// `--if-stale` skips the native build when its outputs are newer than its sources.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ifStale = process.argv.includes('--if-stale');
const run = (args) => execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });

function newest(paths) {
  let t = 0;
  for (const p of paths) {
    if (!existsSync(p)) continue;
    const st = statSync(p);
    if (st.isDirectory()) t = Math.max(t, newest(readdirSync(p).map((n) => join(p, n))));
    else t = Math.max(t, st.mtimeMs);
  }
  return t;
}

function stale(outputs, inputs) {
  if (!ifStale) return true;
  if (outputs.some((o) => !existsSync(o))) return true;
  return newest(inputs) > Math.min(...outputs.map((o) => statSync(o).mtimeMs));
}

run(['scripts/gen-protocol.mjs']);

const nativeOut = [join(root, 'build/Release/tsrun.node'), join(root, 'build/tsrun-init')];
if (existsSync(join(root, 'scripts/build-native.mjs')) && stale(nativeOut, [join(root, 'addon'), join(root, 'binding.gyp'), join(root, 'src/plan/ops.json')])) {
  run(['scripts/build-native.mjs']);
}

if (stale([join(root, 'build/gen/validators.js')], [join(root, 'schemas'), join(root, 'scripts/gen-validators.mjs')])) {
  run(['scripts/gen-validators.mjs']);
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
let commit = '';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
} catch {}

const esbuild = await import('esbuild');
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  logLevel: 'warning',
  define: { __TSRUN_VERSION__: JSON.stringify(pkg.version), __TSRUN_COMMIT__: JSON.stringify(commit) },
};
await esbuild.build({ ...common, entryPoints: [join(root, 'src/cli/entry.ts')], outfile: join(root, 'dist/tsrun.cjs') });
await esbuild.build({ ...common, entryPoints: [join(root, 'src/api.ts')], outfile: join(root, 'dist/api.cjs') });

// The launcher reads which JS runtime to use from here (absolute: podman calls tsrun without PATH).
mkdirSync(join(root, 'build'), { recursive: true });
writeFileSync(join(root, 'build/runtime'), `${process.execPath}\n`);
console.log(`bundle: dist/tsrun.cjs (${(statSync(join(root, 'dist/tsrun.cjs')).size / 1024).toFixed(0)} KiB), dist/api.cjs`);
