#!/usr/bin/env node
// `npm test`: build what is stale, typecheck, run every suite (unit, integration, conformance,
// clients) on the default runtime, then run the CLI suites again on the other way tsrun runs: tsrun
// ships two ways, the single-file executable (Bun) and Node (build/tsrun-node). Each pass prints its
// own vitest summary; any failing pass fails the run.
//   node scripts/test.mjs [--only default|node|single|systemd]
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

// Guest passes: suites that need what this host lacks (systemd, pure cgroup v2), run in a throwaway
// qemu guest by /work/shared/tools/v2vm.sh (TSRUN_V2VM to point elsewhere), skipped when it or qemu
// is not there. The guest is emulated (TCG, slow): each pass boots once and runs its vitest runs
// ({ files, env }) one after the other in that boot; the pass fails when any of them does.
function guestPass(name, v2vmArgs, runs) {
  if (only && only !== name) return;
  const v2vm = process.env.TSRUN_V2VM ?? join(root, '../shared/tools/v2vm.sh');
  const qemu = spawnSync('/bin/sh', ['-c', 'command -v qemu-system-x86_64'], { stdio: 'ignore' }).status === 0;
  console.log(`\n=== tests: ${name} (guest: v2vm.sh ${v2vmArgs.join(' ')}) ===`);
  if (!existsSync(v2vm) || !qemu) {
    console.log(`skipped: ${!existsSync(v2vm) ? `no ${v2vm}` : 'qemu-system-x86_64 is not installed'}`);
    return;
  }
  const q = (x) => `'${String(x).replace(/'/g, `'\\''`)}'`;
  const script = ['st=0', ...runs.map((r) => `env ${Object.entries(r.env ?? {}).map(([k, v]) => q(`${k}=${v}`)).join(' ')} ${q(process.execPath)} ${q(vitest)} run ${r.files.map(q).join(' ')} || st=1`), 'exit $st'].join('\n');
  const t0 = Date.now();
  const r = spawnSync(v2vm, [...v2vmArgs, '--', '/bin/sh', '-c', script], { cwd: root, stdio: 'inherit', env: { V2VM_TIMEOUT: '1500', ...env } });
  console.log(`guest pass ${name}: exit ${r.status}, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (r.status !== 0) failed.push(name);
}
// systemd 252 + D-Bus + cgroup v2: the systemd cgroup driver (--systemd-cgroup) on the default
// runtime and on Node, the clients on it, and (TSRUN_GUEST_FULL=1, +6 min) the lifecycle suites with
// --systemd-cgroup before every command (TSRUN_TEST_GLOBALS, test/helpers/sandbox.ts).
guestPass('systemd', ['--systemd'], [
  { files: ['test/integration/systemd', 'test/clients/systemd-clients'] },
  { files: ['test/integration/systemd'], env: { TSRUN_BIN: join(root, 'build/tsrun-node') } },
  ...(process.env.TSRUN_GUEST_FULL ? [{ files: ['test/integration/lifecycle', 'test/integration/exec', 'test/integration/resources'], env: { TSRUN_TEST_GLOBALS: '--systemd-cgroup' } }] : []),
]);

if (failed.length) {
  console.error(`\nnpm test: failed passes: ${failed.join(', ')}`);
  process.exit(1);
}
console.log('\nnpm test: every pass succeeded');
