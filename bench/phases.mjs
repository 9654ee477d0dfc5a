#!/usr/bin/env node
// Where one tsrun command's time goes: runs `tsrun --debug <command>` N times and prints the median
// of each `phase` line (tsrun's own marks: runtime start-up, loading, validation, plan, cgroups,
// tsrun-init's setup, start, exit, delete) and of the sum of tsrun-init's step times. Needs root.
//   node bench/phases.mjs [--runs 20] [--bin bin/tsrun] [--runtime bun|node] [--op run|create]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (n, d) => (process.argv.includes(`--${n}`) ? process.argv[process.argv.indexOf(`--${n}`) + 1] : d);
const RUNS = +arg('runs', 20);
const BIN = arg('bin', join(ROOT, 'bin/tsrun'));
const RUNTIME = arg('runtime');
const OP = arg('op', 'run');
const W = '/tmp/tsrun-phases';
rmSync(W, { recursive: true, force: true });
mkdirSync(W, { recursive: true });
createRequire(import.meta.url)(join(ROOT, 'dist/api.cjs')).makeBusyboxBundle(join(W, 'true'), ['/bin/true']);
const env = { ...process.env, ...(RUNTIME ? { TSRUN_JS_RUNTIME: RUNTIME } : {}) };
delete env.NODE_EXTRA_CA_CERTS;

const samples = new Map(); // phase -> [ms]
const add = (k, v) => (samples.get(k) ?? samples.set(k, []).get(k)).push(v);
for (let i = 0; i < RUNS; i++) {
  const id = `ph${process.pid}-${i}`;
  const r = spawnSync(BIN, ['--root', join(W, 'root'), '--debug', OP, '-b', join(W, 'true'), id], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${OP} failed: ${r.stderr}`);
  let steps = 0;
  for (const line of r.stderr.split('\n')) {
    const p = /^debug: phase (.+): ([\d.]+) ms/.exec(line);
    if (p) add(p[1], +p[2]);
    const s = /^debug: step \d+ .*: ([\d.]+) ms$/.exec(line);
    if (s) steps += +s[1];
  }
  add('(tsrun-init steps, summed)', steps);
  if (OP === 'create') execFileSync(BIN, ['--root', join(W, 'root'), 'delete', '-f', id], { env });
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`| phase of \`${OP}\` (${RUNTIME ?? BIN}) | median ms (${RUNS} runs) |\n|---|---|`);
for (const [k, v] of samples) console.log(`| ${k} | ${median(v).toFixed(2)} |`);
rmSync(W, { recursive: true, force: true });
