#!/usr/bin/env node
// Runs opencontainers/runtime-tools' validation suite (validation/*/*.t + runtimetest, built elsewhere)
// against tsrun, or against any runtime with runc's CLI (RUNTIME=runc for a side-by-side run).
//
//   TSRUN_VALIDATION_DIR=/path/to/runtime-tools node conformance/validation/run.mjs [options] [test ...]
//
// See conformance/validation/README.md. Node's own modules only: no dependencies.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const DEFAULT_RUNTIME = resolve(HERE, '../../bin/tsrun');
const SKIP_LINE = "SKIPPED: TSRUN_VALIDATION_DIR is not set (build runtime-tools' validation suite and point it there)";

const USAGE = `usage: TSRUN_VALIDATION_DIR=DIR node conformance/validation/run.mjs [options] [test ...]

Runs DIR/validation/*/*.t (or only the named tests: "create", "create.t", "linux_cgroups_*",
"validation/create/create.t") one at a time, each in a private mount namespace, and prints a table.

options:
  --runtime PATH    runtime to test (default: $RUNTIME, else ${DEFAULT_RUNTIME}); "runc" works
  --timeout SEC     per-file timeout; the file's whole process group is killed (default: $TSRUN_VALIDATION_TIMEOUT or 60)
  --json FILE       also write the results as JSON
  --log-dir DIR     keep each file's raw TAP (stdout) and stderr as DIR/<test>.out / .err
  --list            print the test files that would run, and exit
  -h, --help        this text

Exit status: 0 whatever the tests did; 2 when the runner itself could not run (bad option, unknown
test name, missing runtime, unshare missing).`;

class UsageError extends Error {}

function parseArgs(argv) {
  const o = { runtime: process.env.RUNTIME || DEFAULT_RUNTIME, timeout: Number(process.env.TSRUN_VALIDATION_TIMEOUT || 60), json: undefined, logDir: undefined, list: false, help: false, tests: [] };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    const val = () => {
      if (v !== undefined) return v;
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--runtime': o.runtime = val(); break;
      case '--timeout': o.timeout = Number(val()); break;
      case '--json': o.json = resolve(val()); break;
      case '--log-dir': o.logDir = resolve(val()); break;
      case '--list': o.list = true; break;
      case '-h': case '--help': o.help = true; break;
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
        o.tests.push(a);
    }
  }
  if (!Number.isFinite(o.timeout) || o.timeout <= 0) throw new UsageError('--timeout must be a positive number of seconds');
  return o;
}

/** validation/<name>/<name>.t files of the suite, sorted by name. */
function discover(dir) {
  const vdir = join(dir, 'validation');
  if (!existsSync(vdir)) return [];
  const out = [];
  for (const d of readdirSync(vdir).sort()) {
    const sub = join(vdir, d);
    let names;
    try { names = readdirSync(sub); } catch { continue; }
    for (const f of names.sort()) if (f.endsWith('.t')) out.push({ name: f.slice(0, -2), rel: `validation/${d}/${f}` });
  }
  return out;
}

function select(all, wanted) {
  if (wanted.length === 0) return all;
  const picked = [];
  for (const w of wanted) {
    const key = basename(w).replace(/\.t$/, '');
    const re = new RegExp(`^${key.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    const hits = all.filter((t) => re.test(t.name));
    if (hits.length === 0) throw new UsageError(`no test file matches "${w}"`);
    for (const h of hits) if (!picked.includes(h)) picked.push(h);
  }
  return picked;
}

/** The executable a runtime name stands for (the suite does exec.LookPath with it too). */
function resolveRuntime(r) {
  if (r.includes('/')) return existsSync(r) ? resolve(r) : undefined;
  for (const d of (process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (d && existsSync(join(d, r))) return join(d, r);
  }
  return undefined;
}

// ---- TAP ----------------------------------------------------------------------------------------

/**
 * Parses TAP 13 as the suite prints it: top-level test points and plans; indented YAML blocks
 * (`  ---` ... `  ...`) attach to the test point before them, or are "orphans" when no point comes
 * before them in their document. Indented lines (nested output) are not test points. Some files
 * print several documents (a second `TAP version` line after a plan): each has its own plan.
 */
export function parseTap(text) {
  const r = { docs: [], points: [], orphans: [], bailOut: undefined, sawTap: false };
  let doc;
  const newDoc = () => { doc = { plan: undefined, skipReason: undefined, points: [] }; r.docs.push(doc); };
  newDoc();
  let yaml;
  for (const line of text.split('\n')) {
    if (yaml) {
      if (/^\s+\.\.\.\s*$/.test(line)) { yaml.done(yaml.lines.join('\n')); yaml = undefined; } else yaml.lines.push(line);
      continue;
    }
    if (/^\s+---\s*$/.test(line)) {
      const point = doc.points[doc.points.length - 1];
      yaml = { lines: [], done: point ? (y) => { point.yaml = y; } : (y) => { r.orphans.push(y); } };
      continue;
    }
    let m;
    if (/^(TAP version \d+|1\.\.\d+|(not )?ok\b|Bail out!)/.test(line)) r.sawTap = true;
    if (/^TAP version \d+/.test(line)) {
      if (doc.plan !== undefined || doc.points.length) newDoc();
    } else if ((m = /^1\.\.(\d+)\s*(?:#\s*(.*))?$/.exec(line))) {
      doc.plan = Number(m[1]);
      if (m[2] && /^skip/i.test(m[2])) doc.skipReason = m[2];
    } else if ((m = /^(not )?ok\b\s*(\d+)?\s*(?:-\s*)?(.*)$/.exec(line))) {
      const rest = m[3];
      const hash = rest.search(/(^|\s)#\s*(skip|todo)\S*/i);
      const desc = (hash >= 0 ? rest.slice(0, hash) : rest).trim();
      const dir = hash >= 0 ? /#\s*(skip|todo)\S*\s*(.*)$/i.exec(rest) : null;
      const p = { ok: !m[1], n: m[2] ? Number(m[2]) : doc.points.length + 1, desc, directive: dir ? dir[1].toLowerCase() : undefined, reason: dir ? dir[2].trim() : undefined };
      doc.points.push(p);
      r.points.push(p);
    } else if ((m = /^Bail out!\s*(.*)$/.exec(line))) {
      r.bailOut = m[1] || 'bail out';
    }
  }
  if (yaml) yaml.done(yaml.lines.join('\n'));
  return r;
}

function yamlObject(y) {
  try { const o = JSON.parse(y); return o && typeof o === 'object' ? o : undefined; } catch { return undefined; }
}

/** error/stderr of a test point's YAML block (the suite writes it as JSON), on one line. */
function yamlDetail(y) {
  if (!y) return '';
  let o;
  try { o = JSON.parse(y); } catch { return oneLine(y); }
  if (!o || typeof o !== 'object') return oneLine(String(o));
  const parts = [];
  for (const k of ['stderr', 'error', 'expected', 'actual']) if (o[k] !== undefined && o[k] !== '') parts.push(`${k}: ${oneLine(typeof o[k] === 'string' ? o[k] : JSON.stringify(o[k]))}`);
  return parts.join('; ');
}

function oneLine(s, max = 200) {
  const t = String(s).replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/**
 * Verdict for one file, like node-tap (exit 0, every plan met, no failing point, no bail out), plus
 * one rule for this suite: the hook and lifecycle files report a failure only as a YAML diagnostic
 * with an "error" key and no test point (then `1..0`), which node-tap would take for a skip. Such an
 * orphan "error" diagnostic fails the file. And the *_fail files (a config the runtime must refuse)
 * print no TAP at all and exit 0 when it did refuse, or exit 1 when it did not: no TAP with exit 0 passes.
 * `{ nodeTap: true }` drops the orphan-diagnostic rule, giving the count node-tap itself would report.
 */
export function judge(tap, exit, opts = {}) {
  const counts = { ok: 0, notOk: 0, skip: 0, todo: 0 };
  let first;
  for (const p of tap.points) {
    if (p.directive === 'skip') counts.skip++;
    if (p.directive === 'todo') { counts.todo++; continue; }
    if (p.ok) counts.ok++;
    else { counts.notOk++; if (!first) first = p; }
  }
  const orphanError = opts.nodeTap ? undefined : tap.orphans.map(yamlObject).find((o) => o && o.error !== undefined);
  const badPlan = tap.docs.find((d) => d.plan === undefined ? d.points.length > 0 : d.plan !== d.points.length);
  let why;
  if (exit.timedOut) why = `timed out after ${exit.timeoutSec}s`;
  else if (tap.bailOut) why = `Bail out! ${tap.bailOut}`;
  else if (first) { const d = yamlDetail(first.yaml); why = `not ok ${first.n} - ${first.desc}${d ? ` (${d})` : ''}`; }
  else if (orphanError) why = `error diagnostic: ${yamlDetail(JSON.stringify(orphanError))}`;
  else if (exit.code !== 0) why = `exit ${exit.signal ?? exit.code}: ${oneLine(exit.stderr.split('\n').filter((l) => l.trim()).slice(0, 3).join(' / ')) || '(no stderr)'}`;
  else if (!tap.sawTap) { /* the *_fail files print nothing and exit 0 when the runtime refused the config */ }
  else if (!tap.docs.some((d) => d.plan !== undefined)) why = 'no TAP plan';
  else if (badPlan) why = badPlan.plan === undefined ? 'a TAP document has no plan' : `planned ${badPlan.plan} tests, ran ${badPlan.points.length}`;
  const pass = !why;
  const allSkipped = pass && (tap.points.length > 0 ? counts.skip === tap.points.length : tap.docs.some((d) => d.skipReason));
  return { pass, allSkipped, counts, why };
}

// ---- running ------------------------------------------------------------------------------------

function listIds(runtime) {
  const r = spawnSync(runtime, ['list', '-q'], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) return undefined;
  return new Set(r.stdout.split('\n').map((s) => s.trim()).filter(Boolean));
}

/** Mount points at or under dir in the runner's mount namespace. */
function mountsUnder(dir) {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((p) => p && (p === dir || p.startsWith(`${dir}/`)));
  } catch { return []; }
}

function runFile(suiteDir, test, runtime, timeoutSec) {
  return new Promise((resolveRun, rejectRun) => {
    const tmp = mkdtempSync(join(tmpdir(), 'tsrun-validation-'));
    // 0755 like /tmp itself: a container root mapped to another host uid (linux_uid_mappings) must be able to pass.
    chmodSync(tmp, 0o755);
    const started = Date.now();
    // unshare execs the .t, so the child is the .t itself and leads its own process group.
    const child = spawn('unshare', ['-m', '--propagation', 'private', '--', join(suiteDir, test.rel)], {
      cwd: suiteDir, // the .t files read ./runtimetest and ./rootfs-<arch>.tar.gz
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUNTIME: runtime, TMPDIR: tmp },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    let timedOut = false;
    const killGroup = (sig) => { try { process.kill(-child.pid, sig); } catch {} };
    const timer = setTimeout(() => { timedOut = true; killGroup('SIGKILL'); }, timeoutSec * 1000);
    child.on('error', (e) => { clearTimeout(timer); rejectRun(e); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      killGroup('SIGKILL'); // stragglers of the test (not containers: their inits are in their own session)
      // A process outside the group (a container) may still hold the pipes: give them 2 s, then stop reading.
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        child.stdout.destroy();
        child.stderr.destroy();
        resolveRun({ code: code ?? 128, signal: signal ?? undefined, timedOut, timeoutSec, stdout, stderr, seconds: (Date.now() - started) / 1000, tmp });
      };
      let closed = 0;
      const onClose = () => { if (++closed === 2) finish(); };
      child.stdout.on('close', onClose);
      child.stderr.on('close', onClose);
      if (child.stdout.closed) onClose();
      if (child.stderr.closed) onClose();
      setTimeout(finish, 2000);
    });
  });
}

/** Deletes containers the test left (ids that were not there before it) and its TMPDIR. */
function cleanup(runtime, before, tmp) {
  const notes = [];
  const after = listIds(runtime);
  if (before && after) {
    for (const id of after) {
      if (before.has(id)) continue;
      const r = spawnSync(runtime, ['delete', '--force', id], { encoding: 'utf8', timeout: 30_000 });
      notes.push(r.status === 0 ? `removed leftover container ${id}` : `could not remove leftover container ${id}: ${oneLine(r.stderr || r.error?.message || '')}`);
    }
  }
  const m = mountsUnder(tmp);
  if (m.length) notes.push(`left ${tmp} in place: mounts under it in the runner's namespace (${m.join(', ')})`);
  else {
    try { rmSync(tmp, { recursive: true, force: true }); } catch (e) { notes.push(`could not remove ${tmp}: ${e.message}`); }
  }
  return notes;
}

function pad(s, n) { s = String(s); return s.length >= n ? s : s + ' '.repeat(n - s.length); }
function padL(s, n) { s = String(s); return s.length >= n ? s : ' '.repeat(n - s.length) + s; }

function table(results) {
  const w = Math.max(4, ...results.map((r) => r.name.length));
  const lines = [`${pad('file', w)}  ${padL('ok', 4)}  ${padL('not ok', 6)}  ${padL('skip', 4)}  ${pad('result', 6)}  ${padL('time', 6)}  first failing assertion`];
  lines.push('-'.repeat(lines[0].length + 20));
  for (const r of results) {
    const res = r.pass ? (r.allSkipped ? 'pass*' : 'pass') : r.timedOut ? 'TIME' : 'FAIL';
    lines.push(`${pad(r.name, w)}  ${padL(r.counts.ok, 4)}  ${padL(r.counts.notOk, 6)}  ${padL(r.counts.skip, 4)}  ${pad(res, 6)}  ${padL(`${r.seconds.toFixed(1)}s`, 6)}  ${r.why ?? ''}`);
  }
  return lines.join('\n');
}

async function main() {
  let opts;
  try { opts = parseArgs(process.argv.slice(2)); } catch (e) {
    if (e instanceof UsageError) { console.error(`validation: ${e.message}\n${USAGE}`); return 2; }
    throw e;
  }
  if (opts.help) { console.log(USAGE); return 0; }

  const dirEnv = process.env.TSRUN_VALIDATION_DIR;
  if (!dirEnv) { console.log(SKIP_LINE); return 0; }
  const suiteDir = resolve(dirEnv);
  const all = discover(suiteDir);
  if (all.length === 0 || !existsSync(join(suiteDir, 'runtimetest'))) {
    console.log(SKIP_LINE);
    console.log(`(TSRUN_VALIDATION_DIR=${dirEnv} has no validation/*/*.t and runtimetest)`);
    return 0;
  }
  let tests;
  try { tests = select(all, opts.tests); } catch (e) {
    if (e instanceof UsageError) { console.error(`validation: ${e.message}`); return 2; }
    throw e;
  }
  if (opts.list) { for (const t of tests) console.log(t.rel); return 0; }
  if (process.getuid?.() !== 0) { console.log('SKIPPED: the validation suite needs root (it creates containers, mounts and cgroups)'); return 0; }

  const runtime = resolveRuntime(opts.runtime);
  if (!runtime) { console.error(`validation: runtime ${opts.runtime} not found`); return 2; }
  if (!resolveRuntime('unshare')) { console.error('validation: unshare (util-linux) not found'); return 2; }
  if (opts.logDir) mkdirSync(opts.logDir, { recursive: true });

  console.log(`validation: suite ${suiteDir}, runtime ${runtime}, ${tests.length} file(s), timeout ${opts.timeout}s each`);
  const results = [];
  for (const [i, t] of tests.entries()) {
    const before = listIds(runtime);
    const exit = await runFile(suiteDir, t, runtime, opts.timeout);
    const tap = parseTap(exit.stdout);
    const v = judge(tap, exit);
    const lenient = judge(tap, exit, { nodeTap: true });
    const notes = cleanup(runtime, before, exit.tmp);
    if (opts.logDir) {
      writeFileSync(join(opts.logDir, `${t.name}.out`), exit.stdout);
      writeFileSync(join(opts.logDir, `${t.name}.err`), exit.stderr);
    }
    const r = { name: t.name, file: t.rel, pass: v.pass, allSkipped: v.allSkipped, counts: v.counts, plans: tap.docs.map((d) => d.plan ?? null), exitCode: exit.code, signal: exit.signal ?? null, timedOut: exit.timedOut, seconds: exit.seconds, why: v.why ?? null, passNodeTap: lenient.pass, notes };
    results.push(r);
    console.log(`[${padL(i + 1, String(tests.length).length)}/${tests.length}] ${pad(t.name, 40)} ${r.pass ? 'pass' : r.timedOut ? 'TIMEOUT' : 'FAIL'} (${exit.seconds.toFixed(1)}s)`);
    for (const n of notes) console.log(`        note: ${n}`);
  }

  const passed = results.filter((r) => r.pass).length;
  const sum = (k) => results.reduce((a, r) => a + r.counts[k], 0);
  console.log('');
  console.log(table(results));
  console.log('');
  console.log('pass* = every test point was a TAP skip (counted as passed, as node-tap does); a file with no test point and no error diagnostic passes with 0 ok (the hook tests report only failures)');
  console.log(`assertions: ${sum('ok')} ok (${sum('skip')} of them skips), ${sum('notOk')} not ok`);
  const passedNodeTap = results.filter((r) => r.passNodeTap).length;
  if (passedNodeTap !== passed) console.log(`with node-tap's own rules (an "error" diagnostic without a test point is ignored): ${passedNodeTap} of ${results.length}`);
  console.log(`validation: ${passed} of ${results.length} files passed (runtime ${runtime})`);
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify({ date: new Date().toISOString(), suiteDir, runtime, timeoutSec: opts.timeout, passed, passedNodeTap, total: results.length, results }, null, 2)}\n`);
  return 0;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  main().then((code) => { process.exitCode = code; }, (e) => {
    console.error(`validation: the runner broke: ${e?.stack || e}`);
    process.exitCode = 2;
  });
}
