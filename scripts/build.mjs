// Builds everything tsrun needs to run, in order: the protocol files, the native parts (addon and
// tsrun-init), the precompiled validators, and the bundled CLI and library (esbuild, one CJS file each).
// `--if-stale` skips the native build when its outputs are newer than its sources.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

if (stale([join(root, 'build/gen/validators/config.js')], [join(root, 'schemas'), join(root, 'scripts/gen-validators.mjs')])) {
  run(['scripts/gen-validators.mjs']);
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
let commit = '';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
} catch {}

// Node loads a built-in module's JS the first time it is required, and some are costly for a process
// that lives 20 ms: node:tty ~10 ms, node:os ~0.8 ms, node:module ~1.4 ms (measured on this VM). In the
// CLI bundle every import of these becomes a lazy facade: each function export loads the real module on
// its first call, so a top-level `import * as tty from 'node:tty'` costs nothing until used. The
// bundle's own `require` replaces `createRequire` (same resolution for the absolute paths tsrun loads).
const LAZY = ['fs', 'path', 'child_process', 'crypto', 'dgram', 'events', 'module', 'net', 'os', 'readline', 'stream', 'tty', 'util', 'v8', 'vm', 'worker_threads', 'zlib'];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY.join('|')})$`);
    b.onResolve({ filter }, (a) => (a.namespace === 'lazy' ? { path: `node:${a.path.replace(/^node:/, '')}`, external: true } : { path: a.path.replace(/^node:/, ''), namespace: 'lazy' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, async (a) => {
      const real = await import(`node:${a.path}`);
      const lines = [`import * as real from 'node:${a.path}';`, `let m; const L = () => (m ??= require('node:${a.path}'));`, `const get = (k) => L()[k];`];
      for (const k of Object.keys(real)) {
        if (k === 'default' || !/^[A-Za-z_$][\w$]*$/.test(k)) continue;
        if (a.path === 'module' && k === 'createRequire') lines.push('export const createRequire = () => require;');
        else if (typeof real[k] === 'function') lines.push(`export function ${k}(...a) { return new.target ? Reflect.construct(L().${k}, a, new.target) : L().${k}.apply(this, a); }`);
        // Values (fs.constants, fs.promises...) would be read when the facade initialises, loading the
        // module: tsrun imports only functions from these, so values are left out.
      }
      lines.push(`export default /* @__PURE__ */ new Proxy({}, { get: (_, k) => L()[k], has: (_, k) => k in L() });`);
      // `real` is imported only so esbuild knows the module exists; it is never evaluated eagerly.
      return { contents: lines.filter((l) => !l.startsWith('import')).join('\n'), loader: 'js', resolveDir: root };
    });
  },
};

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
await esbuild.build({ ...common, entryPoints: [join(root, 'src/cli/entry.ts')], outfile: join(root, 'dist/tsrun.cjs'), plugins: [lazyBuiltins] });
await esbuild.build({ ...common, entryPoints: [join(root, 'src/api.ts')], outfile: join(root, 'dist/api.cjs') });
// Also one bundle per group of commands (see src/cli/main.ts), for Node (dist/tsrun-node.cjs picks one):
// a command loads only its group's code. The Node loader maps commands to groups as GROUP_OF does.
const GROUPS = ['state', 'control', 'create', 'list', 'spec', 'features', 'cgroup'];
const GROUP_OF = { state: 'state', list: 'list', spec: 'spec', features: 'features', start: 'control', kill: 'control', delete: 'control', create: 'create', run: 'create', exec: 'create', pause: 'cgroup', resume: 'cgroup', update: 'cgroup', events: 'cgroup', ps: 'cgroup' };
rmSync(join(root, 'dist/groups'), { recursive: true, force: true });
for (const g of GROUPS) {
  await esbuild.build({ ...common, define: { ...common.define, __TSRUN_GROUP__: JSON.stringify(g) }, entryPoints: [join(root, 'src/cli/entry.ts')], outfile: join(root, `dist/groups/${g}.cjs`), plugins: [lazyBuiltins] });
}

// Node's entry: loads dist/tsrun.cjs through a V8 code cache (Node 20 has no module.enableCompileCache).
// The cache holds the bytecode of every function a command ran, one file per command, made by that
// command's first run and keyed by the bundle's build id, node's version and its flags (V8 rejects a
// cache made with other flags or another source, and then it is made again). It is read only when it
// and its folder belong to root or to us and nobody else can write them: it is code.
const bundleId = createHash('sha256').update(readFileSync(join(root, 'dist/tsrun.cjs'))).digest('hex').slice(0, 12);
rmSync(join(root, 'build/v8cache'), { recursive: true, force: true }); // caches of earlier builds
writeFileSync(join(root, 'dist/tsrun-node.cjs'), `'use strict';
// Generated by scripts/build.mjs: runs tsrun.cjs (build ${bundleId}) from a V8 code cache in ../build/v8cache,
// and gives tsrun __tsrunRequireCached for the other code it loads (the validators) to do the same.
const fs = require('fs'), path = require('path'), vm = require('vm');
// The command: the first word after the global flags (skipping the values of those that take one, as
// bin/tsrun does); its group's bundle in ../dist/groups holds all it runs.
const groupOf = ${JSON.stringify(GROUP_OF)};
const valued = ${JSON.stringify(['--root', '-root', '--log', '-log', '--log-format', '-log-format', '--criu', '-criu', '--rootless', '-rootless'])};
let cmd = 'other';
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (valued.includes(a)) { i++; continue; }
  if (a.startsWith('-')) continue;
  if (Object.prototype.hasOwnProperty.call(groupOf, a)) cmd = a;
  break;
}
const dir = path.join(__dirname, '../build/v8cache');
const tag = \`${bundleId}-\${process.version}-\${process.execArgv.join('').replace(/[^\\w-]/g, '')}-\${cmd}\`;
const ours = (st) => (st.uid === 0 || st.uid === process.geteuid()) && !(st.mode & 0o022);
const fresh = [];
function load(file, name, mod) {
  const src = fs.readFileSync(file, 'utf8');
  const key = path.join(dir, \`\${tag}-\${name}\`);
  let cachedData;
  try {
    const fd = fs.openSync(key, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try { if (ours(fs.fstatSync(fd)) && ours(fs.statSync(dir))) cachedData = fs.readFileSync(fd); } finally { fs.closeSync(fd); }
  } catch {}
  const script = new vm.Script(\`(function (exports, require, module, __filename, __dirname) {\${src}\\n})\`, { filename: file, cachedData });
  if (!cachedData || script.cachedDataRejected) fresh.push([key, script]);
  script.runInThisContext()(mod.exports, require, mod, file, path.dirname(file));
  return mod.exports;
}
// Caches are written at exit, with the code of every function the command ran.
process.once('exit', () => {
  for (const [key, script] of fresh) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
      const tmp = \`\${key}.\${process.pid}\`;
      fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o644 });
      fs.renameSync(tmp, key);
    } catch {}
  }
});
globalThis.__tsrunRequireCached = (file) => load(file, path.basename(file, '.js'), { exports: {} });
// A group bundle given a command it does not hold (an argv this guess got wrong) runs the whole one.
globalThis.__tsrunWhole = () => load(path.join(__dirname, 'tsrun.cjs'), 'tsrun', { exports: {} });
const group = groupOf[cmd] && path.join(__dirname, 'groups', \`\${groupOf[cmd]}.cjs\`);
if (group && fs.existsSync(group)) load(group, 'group', module);
else load(path.join(__dirname, 'tsrun.cjs'), 'tsrun', module);
`);

// Bun: tsrun ships on Bun one way, the single-file executable (scripts/build-single.mjs): it was faster
// than Bun running per-group bytecode bundles through the launcher (`state` 8.8 against 12.0 ms, `run`
// ~0.85x runc against ~1.0x; bench/RESULTS.md), so those bundles are gone. Bun is looked for in
// node_modules (the @oven/bun-linux-x64 devDependency), then in the usual places; none of this needs
// PATH at run time.
function findBun() {
  const home = process.env.BUN_INSTALL || (process.env.HOME && join(process.env.HOME, '.bun'));
  const candidates = [
    process.env.TSRUN_BUN,
    join(root, 'node_modules/@oven/bun-linux-x64/bin/bun'),
    join(root, 'node_modules/@oven/bun-linux-x64-baseline/bin/bun'),
    home && join(home, 'bin/bun'),
    '/usr/local/bin/bun',
    '/usr/bin/bun',
  ];
  for (const c of candidates) {
    if (!c || !existsSync(c)) continue;
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore' });
      return c;
    } catch {}
  }
  return undefined;
}
const bun = findBun();
let single;
if (bun && !process.env.TSRUN_JS_RUNTIME) {
  try {
    rmSync(join(root, 'dist/bun'), { recursive: true, force: true }); // the bundles of earlier builds
    // The validators as Bun bytecode, embedded in the single file: from source they cost Bun ~4-10 ms
    // to compile, from bytecode ~1.5 ms.
    const vdir = join(root, 'build/gen/validators');
    rmSync(join(root, 'build/gen/validators-bun'), { recursive: true, force: true });
    execFileSync(bun, ['build', ...readdirSync(vdir).filter((f) => f.endsWith('.js')).map((f) => join(vdir, f)), '--target=bun', '--format=cjs', '--bytecode', '--outdir', 'build/gen/validators-bun'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    const { compileSingle } = await import('./build-single.mjs');
    compileSingle(bun, join(root, 'dist/single/tsrun'));
    single = join(root, 'dist/single/tsrun');
  } catch (e) {
    console.warn(`single-file build failed (${e.message}): bin/tsrun will run on node`);
  }
}

// The launcher (bin/tsrun) reads the JS runtimes from here: absolute paths, as Podman calls tsrun
// without PATH. build/runtime is the default (the single-file executable when Bun built it, else this
// node; TSRUN_JS_RUNTIME=node at build time chooses node), build/runtime-node is what
// TSRUN_JS_RUNTIME=node picks at run time; build/runtime-bun is the Bun the single file was compiled
// with (scripts/build-single.mjs, bench/). build/bunfig.toml is empty on purpose: Bun would otherwise
// read ./bunfig.toml (which can preload code) and ./.env from the caller's directory (bench/ runs Bun
// on an empty script with it, as the floor of the single file's start).
mkdirSync(join(root, 'build'), { recursive: true });
const dflt = single ?? process.execPath;
writeFileSync(join(root, 'build/runtime'), `${dflt}\n`);
writeFileSync(join(root, 'build/runtime-node'), `${process.execPath}\n`);
if (single) writeFileSync(join(root, 'build/runtime-bun'), `${bun}\n`);
else rmSync(join(root, 'build/runtime-bun'), { force: true });
writeFileSync(join(root, 'build/bunfig.toml'), '');
// build/tsrun-node: bin/tsrun pinned to Node, as one executable path (what TSRUN_BIN and the client
// daemons take: npm test runs the CLI suites through it as well as through the single file).
writeFileSync(join(root, 'build/tsrun-node'), `#!/bin/sh\n# Generated by scripts/build.mjs: bin/tsrun on node.\nexport TSRUN_JS_RUNTIME=node\nexec '${join(root, 'bin/tsrun')}' "$@"\n`, { mode: 0o755 });
rmSync(join(root, 'build/tsrun-bun'), { force: true }); // earlier builds' Bun-bundle launcher
console.log(`bundle: dist/tsrun.cjs (${(statSync(join(root, 'dist/tsrun.cjs')).size / 1024).toFixed(0)} KiB), dist/api.cjs, dist/tsrun-node.cjs, dist/groups/*.cjs${single ? ', dist/single/tsrun' : ''}; default runtime: ${dflt}`);
