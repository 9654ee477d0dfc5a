// Builds one self-contained `tsrun` executable (Bun's --compile, JavaScriptCore bytecode included):
// the bundled CLI plus the addon, tsrun-init and the precompiled validators as embedded files. At
// first use they are copied to /var/cache/tsrun/<content hash>/ (see src/sys/paths.ts), so the binary
// can be installed alone, like runc's: `install -m 755 dist/single/tsrun /usr/local/bin/tsrun`.
//   node scripts/build-single.mjs [--out FILE]     (runs the normal build first)
// scripts/build.mjs also calls compileSingle (dist/single/tsrun) whenever it finds Bun: bin/tsrun's
// default runtime is then this executable.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const out = i > 0 ? process.argv[i + 1] : join(root, 'dist/single/tsrun');
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: root, stdio: 'inherit' });
  let bun;
  try {
    bun = readFileSync(join(root, 'build/runtime-bun'), 'utf8').trim();
  } catch {
    console.error('build-single: no Bun was found by the build (npm install adds @oven/bun-linux-x64)');
    process.exit(1);
  }
  // build.mjs has just made the default one: only another --out needs compiling.
  if (out !== join(root, 'dist/single/tsrun') || !existsSync(out)) compileSingle(bun, out);
  console.log(`single-file tsrun: ${out} (${(statSync(out).size / 1048576).toFixed(1)} MiB)`);
}

/** Compiles dist/tsrun.cjs and its files into one executable at out (the normal build must be done). */
export function compileSingle(bun, out) {
  // The validators, one file per schema, as Bun bytecode (each .js with its .jsc; already self-contained).
  const gen = join(root, 'build/single');
  mkdirSync(gen, { recursive: true });
  const files = { 'build/Release/tsrun.node': ['addon', root], 'build/tsrun-init': ['init', root] };
  for (const f of readdirSync(join(root, 'build/gen/validators-bun')).sort()) files[`build/gen/validators-bun/${f}`] = [`v_${f.replace(/\W/g, '_')}`, root];
  const hash = createHash('sha256');
  for (const [rel, [, dir]] of Object.entries(files)) hash.update(rel).update(readFileSync(join(dir, rel)));
  hash.update(readFileSync(join(root, 'dist/tsrun.cjs')));
  const id = hash.digest('hex').slice(0, 16);

  // The entry: declare the embedded files (Bun stores each `with { type: 'file' }` import in the
  // executable and gives back a path it can read), then run the CLI. Imports run in order.
  writeFileSync(join(gen, 'embed.mjs'), [
    ...Object.entries(files).map(([rel, [name, dir]]) => `import ${name} from ${JSON.stringify(join(dir, rel))} with { type: 'file' };`),
    `globalThis.__tsrunEmbedded = { id: ${JSON.stringify(id)}, files: { ${Object.entries(files).map(([rel, [name]]) => `${JSON.stringify(rel)}: ${name}`).join(', ')} } };`,
    '',
  ].join('\n'));
  writeFileSync(join(gen, 'entry.mjs'), `import './embed.mjs';\nimport ${JSON.stringify(join(root, 'dist/tsrun.cjs'))};\n`);

  mkdirSync(dirname(out), { recursive: true });
  execFileSync(bun, [
    'build', join(gen, 'entry.mjs'), '--compile', '--bytecode', '--format=cjs', '--target=bun', '--outfile', out,
    // A runtime for root must not read ./bunfig.toml (preloads), ./.env or ./tsconfig.json from the caller's directory.
    '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig',
  ], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  return id;
}
