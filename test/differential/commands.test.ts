// Every runc command and flag on both runtimes (commands.ts scenarios); the flag table (flags.ts)
// must name every flag runc's help lists, and each named scenario must really have used it.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, skipReason, which } from '../helpers/env.js';
import { compareSteps, RUNC_COMMANDS, SCENARIOS, SCtx } from './commands.js';
import { formatDiffs, loadAllowed, unexplained, type Allowed, type Difference } from './compare.js';
import { argvHas, FLAGS, parseRuncHelp, type HelpFlag } from './flags.js';
import { RUNC } from './runtime.js';
import { setupRun, slots, teardownRun, type Run } from './setup.js';
import { VARIATIONS } from './variations.js';

const skip = skipReason(!isRoot ? 'integration tests need root' : !which('busybox') ? 'busybox-static is not installed' : !existsSync(RUNC) ? `no runc at ${RUNC}: no differential test` : undefined);
const only = process.env.DIFF_ONLY ? new RegExp(process.env.DIFF_ONLY) : undefined;
const selected = SCENARIOS.filter((s) => !only || only.test(`cmd/${s.name}`));

let run: Run;
const allowed: Allowed[] = loadAllowed();
const argvs = new Map<string, string[][]>();
const report: { name: string; diffs: Difference[]; left: Difference[]; runc: Record<string, string[]> }[] = [];
const slot = slots(Number(process.env.DIFF_SLOTS ?? 3));

beforeAll(() => { if (!skip) run = setupRun(); }, 60_000);
afterAll(async () => {
  if (skip || !run) return;
  await teardownRun(run);
  if (process.env.DIFF_REPORT) writeFileSync(`${process.env.DIFF_REPORT}.commands`, JSON.stringify(report, null, 1));
}, 120_000);

describe.skipIf(skip).concurrent('runc and tsrun on the same command lines', () => {
  it.each(selected.map((s) => [`cmd/${s.name}`, s] as const))('%s', async (name, s) => {
    const index = SCENARIOS.indexOf(s);
    const { r, t } = await slot(async () => {
      const out = [];
      for (const rt of [run.runc, run.tsrun]) {
        const c = new SCtx(rt, run.env, index);
        try { await s.run(c); } catch (e) { c.note('scenario-error', [String((e as Error).message ?? e)]); }
        finally {
          for (const f of c.cleanups.reverse()) await f();
          await c.rt.removeAll();
        }
        out.push(c);
      }
      return { r: out[0], t: out[1] };
    });
    argvs.set(s.name, [...r.argvs, ...t.argvs]);
    const diffs = compareSteps(r.steps, t.steps);
    const { left, used } = unexplained(name, diffs, allowed);
    for (const a of used) a.used = (a.used ?? 0) + 1;
    report.push({ name, diffs, left, runc: Object.fromEntries([...r.steps].map(([k, v]) => [k, [`exit=${v.code}`, ...v.lines]])) });
    if (left.length) expect.fail(formatDiffs(name, left));
  }, 180_000);
});

describe.skipIf(skip)('every flag of every runc command is exercised', () => {
  const help = (args: string[]) => { try { return execFileSync(RUNC, args, { encoding: 'utf8' }); } catch (e) { return String((e as { stdout?: string }).stdout ?? ''); } };
  const flags: HelpFlag[] = skip ? [] : [
    ...parseRuncHelp('global', help(['--help'])),
    ...RUNC_COMMANDS.flatMap((cmd) => parseRuncHelp(cmd, help([cmd, '--help'])).concat([{ key: `${cmd} --help`, value: false }, { key: `${cmd} -h`, value: false }])),
  ];
  const takesValue = (key: string) => flags.some((f) => f.key === key && f.value);

  it('runc lists the commands the harness knows', () => {
    const cmds = help(['--help']).split(/^COMMANDS:$/m)[1].split(/^GLOBAL OPTIONS:$/m)[0].split('\n').map((l) => l.trim().split(/[\s,]+/)[0]).filter((c) => c && c !== 'help');
    expect(cmds.sort()).toEqual([...RUNC_COMMANDS].sort());
  });

  it('the table names a scenario for every flag runc lists', () => {
    expect(flags.length).toBeGreaterThan(100);
    expect(flags.filter((f) => !FLAGS[f.key]).map((f) => f.key)).toEqual([]);
    expect(Object.entries(FLAGS).filter(([, s]) => !SCENARIOS.some((x) => x.name === s)).map(([k]) => k)).toEqual([]);
  });

  it.skipIf(!!only)('each scenario put its flags on a command line', () => {
    const missing = Object.entries(FLAGS).filter(([key, s]) => {
      const [cmd, flag] = key.split(' ');
      return !(argvs.get(s) ?? []).some((a) => argvHas(a, cmd, flag, takesValue));
    });
    expect(missing.map(([k, s]) => `${k} (${s})`)).toEqual([]);
  });

  it.skipIf(!!only)('the list of allowed differences has no entry that matched nothing here', () => {
    // Entries that also match a config of configs.test.ts are checked there or not at all.
    const stale = allowed.filter((a) => !a.used && SCENARIOS.some((x) => new RegExp(a.where).test(`cmd/${x.name}`)) && !VARIATIONS.some((v) => new RegExp(a.where).test(v.name)));
    expect(stale.map((a) => `${a.id} (${a.where} / ${a.section})`)).toEqual([]);
  });
});
