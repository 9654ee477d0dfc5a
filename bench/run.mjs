#!/usr/bin/env node
// Side-by-side start-up and lifecycle benchmark: runc, crun (when installed), tsrun as bin/tsrun runs
// it (the single-file executable, which is Bun, when the build made one) and tsrun on Node. Every operation is timed for all runtimes in one
// hyperfine invocation per round, and the runtime order rotates between rounds; the report pools
// the rounds (medians are the figure to trust on a shared machine). Needs root and hyperfine.
//   node bench/run.mjs [--rounds 3] [--runs 10] [--only run,state] [--out bench/RESULTS.md]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const ROUNDS = +arg('rounds', 3);
const RUNS = +arg('runs', 10);
const ONLY = arg('only')?.split(',');
const OUT = arg('out');
const which = (cmd) => ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].map((d) => join(d, cmd)).find(existsSync);

if (process.getuid() !== 0) { console.error('bench: run as root (it starts real containers)'); process.exit(1); }
if (!which('hyperfine')) { console.error('bench: needs hyperfine (apt-get install -y hyperfine)'); process.exit(1); }
// --no-crun: leave crun out, and so run everything on the host's own cgroup layout (with crun, all
// runtimes run in the namespace below, where joining v1 cgroups costs runc no RCU grace period).
const crun = process.argv.includes('--no-crun') ? undefined : which('crun');
// crun refuses this host's hybrid cgroup layout; in a private mount namespace with the cgroup2 mount
// removed it sees pure cgroup v1. Every runtime then runs in that same namespace (runc is unaffected).
if (crun && !process.env.BENCH_IN_NS && existsSync('/sys/fs/cgroup/unified')) {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"', 'sh', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, BENCH_IN_NS: '1' } });
  process.exit(r.status ?? 1);
}

const W = '/tmp/tsrun-bench';
rmSync(W, { recursive: true, force: true });
mkdirSync(W, { recursive: true });
const { makeBusyboxBundle } = createRequire(import.meta.url)(join(ROOT, 'dist/api.cjs'));
makeBusyboxBundle(join(W, 'true'), ['/bin/true']);
makeBusyboxBundle(join(W, 'sleep'), ['/bin/sleep', '100000']);
makeBusyboxBundle(join(W, 'sleep1'), ['/bin/sleep', '1']);
// crun 1.8 refuses ociVersion 1.3.0 ("unknown version specified"); every runtime gets the same 1.0.2
// config (nothing in it is newer).
for (const b of ['true', 'sleep', 'sleep1']) {
  const f = join(W, b, 'config.json');
  writeFileSync(f, readFileSync(f, 'utf8').replace(/"ociVersion":\s*"[^"]*"/, '"ociVersion": "1.0.2"'));
}

// Each runtime is a command plus a shell prelude (`pre`): commands run under `sh -c`, and hyperfine
// subtracts the shell's own start.
const runtimes = [['runc', which('runc')], ['crun', crun]].filter(([, p]) => p).map(([name, p]) => ({ name, cmd: p }));
const tsrun = join(ROOT, 'bin/tsrun');
const bunBuilt = existsSync(join(ROOT, 'build/runtime-bun'));
const single = readFileSync(join(ROOT, 'build/runtime'), 'utf8').trim().endsWith('/tsrun');
// The single file is run directly, as a client would run an installed /usr/local/bin/tsrun.
if (single) runtimes.push({ name: 'tsrun', cmd: readFileSync(join(ROOT, 'build/runtime'), 'utf8').trim() });
runtimes.push({ name: 'tsrun-node', cmd: tsrun, pre: 'export TSRUN_JS_RUNTIME=node; ' });
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // bin/tsrun drops it too; keeps the harness's own children honest
const sh = (s) => execFileSync('sh', ['-c', s], { env, stdio: ['ignore', 'ignore', 'ignore'] });
const withPre = (rt, s) => `${rt.pre ?? ''}${s}`;
const rtIds = (rt) => join(W, `${rt.name}.id`);
// A fresh id per timed run: an untimed prepare step writes it; the timed command reads it.
const newId = (rt) => `echo ${rt.name.replace(/\W/g, '')}-$(cat /proc/sys/kernel/random/uuid | cut -c1-8) > ${rtIds(rt)}`;
const clean = (rt) => `[ -f ${rtIds(rt)} ] && ${rt.cmd} delete -f $(cat ${rtIds(rt)}) >/dev/null 2>&1; true`;
const B = join(W, 'true');
const S = join(W, 'sleep');

/** op -> { prepare(rt), command(rt), runs?, setup?(rt), teardown?(rt) } */
const bare = (rt) => {
  if (rt.name === 'tsrun-node') return `exec ${readFileSync(join(ROOT, 'build/runtime-node'), 'utf8').trim()} --no-rehash-snapshot ${join(W, 'empty.js')}`;
  // The single file is Bun: its floor is Bun running an empty script.
  if (rt.name === 'tsrun' && bunBuilt) return `exec ${readFileSync(join(ROOT, 'build/runtime-bun'), 'utf8').trim()} --no-env-file --config=${join(ROOT, 'build/bunfig.toml')} ${join(W, 'empty.js')}`;
  return `exec ${rt.cmd} --version >/dev/null`;
};
writeFileSync(join(W, 'empty.js'), '0\n');
const ops = {
  // The floor: an empty script on the JS runtime tsrun uses (Go's or C's start for runc and crun).
  'bare start (empty script / --version)': { command: bare },
  version: { command: (rt) => `${rt.cmd} --version >/dev/null` },
  run: { prepare: (rt) => newId(rt), command: (rt) => `read id < ${rtIds(rt)}; exec ${rt.cmd} run -b ${B} $id >/dev/null` },
  create: { prepare: (rt) => `${clean(rt)}; ${newId(rt)}`, command: (rt) => `read id < ${rtIds(rt)}; exec ${rt.cmd} create -b ${B} $id >/dev/null`, teardown: clean },
  start: { prepare: (rt) => `${clean(rt)}; ${newId(rt)}; ${rt.cmd} create -b ${B} $(cat ${rtIds(rt)})`, command: (rt) => `read id < ${rtIds(rt)}; exec ${rt.cmd} start $id`, teardown: clean },
  state: { setup: (rt) => `${rt.cmd} delete -f bstate-${rt.name} >/dev/null 2>&1; ${rt.cmd} create -b ${B} bstate-${rt.name}`, command: (rt) => `exec ${rt.cmd} state bstate-${rt.name} >/dev/null`, teardown: (rt) => `${rt.cmd} delete -f bstate-${rt.name}` },
  kill: { prepare: (rt) => `${clean(rt)}; ${newId(rt)}; ${rt.cmd} run -d -b ${S} $(cat ${rtIds(rt)}) </dev/null >/dev/null 2>&1`, command: (rt) => `read id < ${rtIds(rt)}; exec ${rt.cmd} kill $id KILL`, teardown: clean },
  // A stopped container: create, start, wait until /bin/true has exited (crun 1.8 has no `run --keep`).
  delete: { prepare: (rt) => `${clean(rt)}; ${newId(rt)}; id=$(cat ${rtIds(rt)}); ${rt.cmd} create -b ${B} $id >/dev/null && ${rt.cmd} start $id && while ${rt.cmd} state $id | grep -q '"running"'; do sleep 0.001; done`, command: (rt) => `read id < ${rtIds(rt)}; exec ${rt.cmd} delete $id`, teardown: clean },
  'seq100 (100 x run)': {
    runs: 1,
    command: (rt) => `p=$(cat /proc/sys/kernel/random/uuid | cut -c1-6); i=0; while [ $i -lt 100 ]; do ${rt.cmd} run -b ${B} s$p-$i >/dev/null || exit 1; i=$((i+1)); done`,
  },
  'par50 (50 x create, start, delete)': { runs: 1, command: (rt) => parallel(rt, 50) },
  'par200 (200 x create, start, delete)': { runs: 1, command: (rt) => parallel(rt, 200) },
};
// N containers at once, each phase in parallel (a node rebooting, a Deployment scaling up).
function parallel(rt, n) {
  return `p=$(cat /proc/sys/kernel/random/uuid | cut -c1-6); for ph in 'create -b ${B}' start 'delete -f'; do i=0; while [ $i -lt ${n} ]; do ${rt.cmd} $ph p$p-$i >/dev/null 2>&1 & i=$((i+1)); done; wait; done`;
}
const opNames = Object.keys(ops).filter((o) => !ONLY || ONLY.some((x) => o.startsWith(x)));

const times = {}; // op -> rt -> [seconds]
const started = Date.now();
for (const op of opNames) {
  const o = ops[op];
  for (const rt of runtimes) if (o.setup) sh(withPre(rt, o.setup(rt)));
  for (let r = 0; r < ROUNDS; r++) {
    const order = runtimes.map((_, i) => runtimes[(i + r) % runtimes.length]);
    // Commands go through `sh -c` (for the env prefixes and ids); hyperfine subtracts the shell's start.
    const args = ['-i', '--shell', 'sh', '--style', 'none', '--export-json', join(W, 'h.json'), '-r', String(o.runs ?? RUNS), '-w', o.runs ? '0' : '2'];
    for (const rt of order) if (o.prepare) args.push('--prepare', withPre(rt, o.prepare(rt)));
    for (const rt of order) args.push('-n', rt.name, withPre(rt, o.command(rt)));
    execFileSync('hyperfine', args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const res = JSON.parse(readFileSync(join(W, 'h.json'), 'utf8')).results;
    for (const x of res) {
      ((times[op] ??= {})[x.command] ??= []).push(...x.times);
      const bad = (x.exit_codes ?? []).filter((c) => c !== 0).length;
      if (bad) process.stderr.write(`bench: ${op}: ${x.command} failed ${bad} time(s)\n`);
    }
  }
  for (const rt of runtimes) if (o.teardown) sh(withPre(rt, o.teardown(rt)));
  process.stderr.write(`bench: ${op} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
}

// Peak RSS: the largest process each runtime had while doing the command (GNU time's %M, KiB).
const peak = {};
if (existsSync('/usr/bin/time')) {
  for (const rt of runtimes) {
    const rss = (cmd) => {
      let m = 0;
      for (let i = 0; i < 3; i++) {
        // Output to a file, not a pipe: a created container's init keeps the runtime's stdio open.
        spawnSync('/usr/bin/time', ['-o', join(W, 'rss'), '-f', '%M', 'sh', '-c', withPre(rt, cmd)], { env, stdio: 'ignore' });
        m = Math.max(m, +readFileSync(join(W, 'rss'), 'utf8').trim().split('\n').pop() || 0);
      }
      return m;
    };
    sh(withPre(rt, newId(rt)));
    peak[rt.name] = {
      run: rss(`read id < ${rtIds(rt)}; exec ${rt.cmd} run -b ${B} $id-r$(date +%N)`),
      create: rss(`read id < ${rtIds(rt)}; ${rt.cmd} delete -f $id >/dev/null 2>&1; exec ${rt.cmd} create -b ${B} $id`),
      state: rss(`read id < ${rtIds(rt)}; exec ${rt.cmd} state $id`),
      ...ownMemory(rt),
    };
    sh(withPre(rt, clean(rt)));
  }
}

// What a call costs the machine when many run at once: RSS counts the executable's pages, which
// parallel calls share; Pss_Anon is the memory each call has to itself (heap, stacks, relocations).
// Read from /proc/PID/smaps_rollup of a foreground `run` while its container sleeps (the runtime is
// then at its largest: everything create loads is loaded).
function ownMemory(rt) {
  const r = spawnSync('sh', ['-c', withPre(rt, `${rt.cmd} run -b ${join(W, 'sleep1')} m$(date +%N) >/dev/null 2>&1 & pid=$!; sleep 0.6; cat /proc/$pid/smaps_rollup; wait`)], { env, encoding: 'utf8' });
  const kib = (k) => +(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(r.stdout)?.[1] ?? NaN);
  return { rssRun: kib('Rss'), pss: kib('Pss'), anon: kib('Pss_Anon') };
}

const med = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const ms = (s) => (s * 1000 >= 100 ? (s * 1000).toFixed(0) : (s * 1000).toFixed(1));
const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
const nodeV = execFileSync(readFileSync(join(ROOT, 'build/runtime-node'), 'utf8').trim(), ['--version']).toString().trim();
const bunV = bunBuilt ? execFileSync(readFileSync(join(ROOT, 'build/runtime-bun'), 'utf8').trim(), ['--version']).toString().trim() : 'none';
const runcV = execFileSync(which('runc'), ['--version']).toString().split('\n')[0];
let md = `## ${date} UTC\n\n${cpus().length} CPUs, load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${runcV}; ${crun ? execFileSync(crun, ['--version']).toString().split('\n')[0] : 'crun not installed'}; node ${nodeV}; bun ${bunV}. ` +
  `${ROUNDS} rounds, runtime order rotated, ${RUNS} runs per round (1 for the loops). Cells: median (mean) ms, and median / runc's median.\n\n`;
md += `| operation | ${runtimes.map((r) => r.name).join(' | ')} |\n|---|${runtimes.map(() => '---').join('|')}|\n`;
for (const op of opNames) {
  const base = times[op]?.runc && med(times[op].runc);
  md += `| ${op} | ${runtimes.map((rt) => {
    const t = times[op]?.[rt.name];
    if (!t?.length) return '–';
    return `${ms(med(t))} (${ms(mean(t))})${rt.name !== 'runc' && base ? ` **${(med(t) / base).toFixed(2)}x**` : ''}`;
  }).join(' | ')} |\n`;
}
if (Object.keys(peak).length) {
  md += `| peak RSS, MiB (run / create / state) | ${runtimes.map((rt) => (peak[rt.name] ? ['run', 'create', 'state'].map((k) => (peak[rt.name][k] / 1024).toFixed(1)).join(' / ') : '–')).join(' | ')} |\n`;
  md += `| during a foreground run, MiB: RSS / PSS / anonymous (its own) | ${runtimes.map((rt) => (peak[rt.name] ? ['rssRun', 'pss', 'anon'].map((k) => (peak[rt.name][k] / 1024).toFixed(1)).join(' / ') : '–')).join(' | ')} |\n`;
}
// What each runtime adds on top of its own bare start (same run): the part that is tsrun's code.
const bareOp = opNames.find((o) => o.startsWith('bare'));
const small = ['version', 'state', 'start', 'kill', 'delete'].filter((o) => opNames.includes(o));
if (bareOp && small.length) {
  md += `\n| added over the bare start (median − bare median), ms | ${small.join(' | ')} |\n|---|${small.map(() => '---').join('|')}|\n`;
  for (const rt of runtimes) {
    const b = times[bareOp]?.[rt.name];
    if (!b?.length) continue;
    md += `| ${rt.name} | ${small.map((o) => (times[o]?.[rt.name]?.length ? ((med(times[o][rt.name]) - med(b)) * 1000).toFixed(1) : '–')).join(' | ')} |\n`;
  }
}
console.log(md);
if (OUT) appendFileSync(OUT, `${md}\n`);
rmSync(W, { recursive: true, force: true });
