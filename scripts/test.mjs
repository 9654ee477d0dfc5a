#!/usr/bin/env node
// `npm test`: build what is stale, typecheck, run every suite (unit, integration, conformance,
// clients) on the default runtime, then run the CLI suites again on the other way tsrun runs: tsrun
// ships two ways, the single-file executable (Bun) and Node (build/tsrun-node). Each pass prints its
// own vitest summary; any failing pass fails the run.
//   node scripts/test.mjs [--only default|node|single]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // ~40 ms per node start, and the suites start thousands
const vitest = join(root, 'node_modules/vitest/vitest.mjs');
// The suites that drive the tsrun executable (TSRUN_BIN); unit tests and in-process API tests run once.
const CLI_SUITES = ['test/integration/lifecycle', 'test/integration/exec', 'test/integration/hooks', 'test/integration/terminal',
  'test/integration/security', 'test/integration/seccomp', 'test/integration/resources', 'test/integration/differential',
  'test/integration/fixtures', 'test/integration/cgroups', 'test/integration/compat', 'test/integration/idmap', 'test/integration/rootless', 'conformance/spec', 'test/clients', 'test/differential'];

execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--if-stale'], { cwd: root, stdio: 'inherit', env });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root], { cwd: root, stdio: 'inherit', env });

const failed = [];
function pass(name, extraEnv, files = []) {
  if (only && only !== name) return;
  console.log(`\n=== tests: ${name}${extraEnv.TSRUN_BIN ? ` (TSRUN_BIN=${extraEnv.TSRUN_BIN})` : ''} ===`);
  const r = spawnSync(process.execPath, [vitest, 'run', ...files], { cwd: root, stdio: 'inherit', env: { ...env, ...extraEnv } });
  if (r.status !== 0) failed.push(name);
}

// The default pass runs bin/tsrun as built (build/runtime: the single-file executable when Bun built
// it, else Node); the other pass runs the CLI suites on the other way tsrun ships.
const dflt = readFileSync(join(root, 'build/runtime'), 'utf8').trim();
const kind = /\/tsrun$/.test(dflt) ? 'single' : 'node';
pass('default', {});
const others = {
  node: join(root, 'build/tsrun-node'),
  single: existsSync(join(root, 'dist/single/tsrun')) ? join(root, 'dist/single/tsrun') : undefined,
};
for (const [name, bin] of Object.entries(others)) {
  if (name === kind) continue;
  if (bin) pass(name, { TSRUN_BIN: bin }, CLI_SUITES);
  else if (!only) console.log(`\n=== tests: ${name} === skipped: not built (Bun was not found; npm ci installs @oven/bun-linux-x64)`);
}

if (failed.length) {
  console.error(`\nnpm test: failed passes: ${failed.join(', ')}`);
  process.exit(1);
}
console.log('\nnpm test: every pass succeeded');
