#!/usr/bin/env node
// `npm test`: build what is stale, typecheck, run every suite (unit, integration, conformance,
// clients) on the default runtime, then run the CLI suites again on the other way tsrun runs: tsrun
// ships two ways, the single-file executable (Bun) and Node (build/tsrun-node). Each pass prints its
// own vitest summary; any failing pass fails the run.
// Last, the cgroup suites run again inside a throwaway qemu guest with pure cgroup v2, and in one with systemd (guestPass).
//   node scripts/test.mjs [--only default|node|single|v2|systemd]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
// Each vitest run also writes a JSON report, so the end of the output (what CI keeps) lists every
// failing test of every pass with the first lines of its error, however long the run was.
const reports = join(root, 'build/test-results');
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const reportArgs = (file) => ['--reporter=default', '--reporter=json', `--outputFile.json=${join(reports, file)}`];
function pass(name, extraEnv, files = []) {
  if (only && only !== name) return;
  console.log(`\n=== tests: ${name}${extraEnv.TSRUN_BIN ? ` (TSRUN_BIN=${extraEnv.TSRUN_BIN})` : ''} ===`);
  const r = spawnSync(process.execPath, [vitest, 'run', ...reportArgs(`${name}.json`), ...files], { cwd: root, stdio: 'inherit', env: { ...env, ...extraEnv } });
  if (r.status !== 0) failed.push(name);
}
function failures() {
  const lines = [];
  for (const f of existsSync(reports) ? readdirSync(reports).sort() : []) {
    let rep;
    try { rep = JSON.parse(readFileSync(join(reports, f), 'utf8')); } catch { lines.push(`${f}: no readable report (the run died?)`); continue; }
    for (const file of rep.testResults ?? []) {
      const rel = String(file.name).replace(`${root}/`, '');
      if (file.status === 'failed' && !(file.assertionResults ?? []).some((a) => a.status === 'failed')) lines.push(`${f.replace(/\.json$/, '')}: ${rel}: ${String(file.message ?? 'failed').split('\n').slice(0, 3).join(' | ')}`);
      for (const a of file.assertionResults ?? []) {
        if (a.status !== 'failed') continue;
        const msg = (a.failureMessages ?? []).join('\n').split('\n').filter((l) => l.trim()).slice(0, 4).join(' | ');
        lines.push(`${f.replace(/\.json$/, '')}: ${rel} > ${a.fullName}\n    ${msg.slice(0, 600)}`);
      }
    }
  }
  return lines;
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

// Guest passes: a throwaway qemu guest (/work/shared/tools/v2vm.sh, or TSRUN_V2VM) runs suites on
// what this host lacks, in ONE boot per pass (TCG is slow): `runs` are vitest runs ({ files, env }),
// one after the other in that boot; the pass fails when any of them does. TSRUN_NO_GUEST=1 skips them.
const V2VM = process.env.TSRUN_V2VM || join(root, '../shared/tools/v2vm.sh');
function guestPass(name, v2vmArgs, runs, extraEnv = {}) {
  if (only && only !== name) return;
  console.log(`\n=== tests: ${name} (qemu guest: v2vm.sh ${v2vmArgs.join(' ')}) ===`);
  const why = process.env.TSRUN_NO_GUEST === '1' ? 'TSRUN_NO_GUEST=1'
    : !existsSync(V2VM) ? `${V2VM} not found (set TSRUN_V2VM)`
    : process.getuid?.() !== 0 ? 'the guest needs root (9p passthrough)'
    : spawnSync('sh', ['-c', 'command -v qemu-system-x86_64 || command -v apt-get']).status !== 0 ? 'no qemu-system-x86_64 (and no apt-get to install it)'
    : undefined;
  if (why) return console.log(`skipped: ${why}`);
  const t0 = Date.now();
  const q = (x) => `'${String(x).replace(/'/g, `'\\''`)}'`;
  // The guest sees the host's / (read-only, live): the single-file build's cache /var/cache/tsrun/<build>
  // would be the host's, which any host tsrun of another build may prune mid-run. A tmpfs of its own.
  const script = [
    'mkdir -p /var/cache/tsrun && mount -t tmpfs -o mode=0755 tsrun-cache /var/cache/tsrun || exit 1',
    'st=0',
    ...runs.map((r, i) => `env ${Object.entries(r.env ?? {}).map(([k, v]) => q(`${k}=${v}`)).join(' ')} ${q(process.execPath)} ${q(vitest)} run ${[...reportArgs(`${name}-${i + 1}.json`), ...r.files].map(q).join(' ')} || st=1`),
    'exit $st',
  ].join('\n');
  const r = spawnSync(V2VM, [...v2vmArgs, '--', 'sh', '-c', script], { cwd: root, stdio: 'inherit', env: { V2VM_TIMEOUT: '1500', ...env, ...extraEnv } });
  console.log(`=== ${name}: guest exited ${r.status ?? r.signal} after ${Math.round((Date.now() - t0) / 1000)} s${r.status === 124 ? ' (timeout: V2VM_TIMEOUT)' : r.status === 125 ? ' (the guest died: see its console log above)' : ''} ===`);
  if (r.status !== 0) failed.push(name);
}
// Pure cgroup v2 (no systemd, the root cgroup, every controller enabled), ~4 min. TSRUN_TEST_SOFT_RDMA=1:
// the guest is thrown away, so resources.test.ts may make a soft-RoCE device for rdma.max.
// cgroups.test.ts runs first and on its own: after the other three suites had run in the same boot,
// its in-process events test (streams stats and an OOM) hung twice today with the guest idle (cause
// not found yet; alone in a fresh guest it passes in ~20 s).
guestPass('v2', [], [
  { files: ['test/integration/cgroups.test.ts'] },
  { files: ['test/integration/resources.test.ts', 'test/integration/lifecycle.test.ts', 'test/integration/exec.test.ts'], env: { TSRUN_TEST_SOFT_RDMA: '1' } },
]);
// systemd 252 + D-Bus + cgroup v2, one boot (~15 min here): the systemd cgroup driver
// (--systemd-cgroup) on the default runtime and on Node, the clients on it, the lifecycle suites with
// --systemd-cgroup before every command (TSRUN_TEST_GLOBALS, test/helpers/sandbox.ts), and the CRI
// suite with SystemdCgroup = true (~7 min). TSRUN_GUEST_QUICK=1 leaves out the last two.
guestPass('systemd', ['--systemd'], [
  { files: ['test/integration/systemd', 'test/clients/systemd-clients'] },
  { files: ['test/integration/systemd'], env: { TSRUN_BIN: join(root, 'build/tsrun-node') } },
  ...(process.env.TSRUN_GUEST_QUICK === '1' ? [] : [
    { files: ['test/integration/lifecycle.test.ts', 'test/integration/exec.test.ts', 'test/integration/resources.test.ts'], env: { TSRUN_TEST_GLOBALS: '--systemd-cgroup' } },
    { files: ['test/clients/cri.test.ts'], env: { TSRUN_CRI_SYSTEMD: '1' } },
  ]),
], { V2VM_TIMEOUT: '2700' });

if (failed.length) {
  const why = failures();
  if (why.length) console.error(`\nnpm test: failing tests (reports in build/test-results/):\n${why.join('\n')}`);
  console.error(`\nnpm test: failed passes: ${failed.join(', ')}`);
  process.exit(1);
}
console.log('\nnpm test: every pass succeeded');
