import { describe, expect, it } from 'vitest';
import { parseArgv, parseDuration, UsageError } from '../../src/cli/argv.js';
import { commands } from '../../src/cli/commands.js';
import { commandHelp, mainHelp } from '../../src/cli/help.js';

describe('argv parsing (runc rules)', () => {
  it('takes global flags before the command in both --x v and --x=v forms', () => {
    const p = parseArgv(['--root', '/tmp/r', '--log=/tmp/l', '--log-format=json', 'create', '--bundle', '/b', '--pid-file=/p', 'c1']);
    expect(p.globals).toMatchObject({ root: '/tmp/r', log: '/tmp/l', 'log-format': 'json' });
    expect(p.command?.name).toBe('create');
    expect(p.flags).toMatchObject({ bundle: '/b', 'pid-file': '/p' });
    expect(p.args).toEqual(['c1']);
  });

  it('accepts single-dash long flags and short aliases as Go does', () => {
    expect(parseArgv(['create', '-bundle', '/b', 'c1']).flags.bundle).toBe('/b');
    expect(parseArgv(['create', '-b', '/b', 'c1']).flags.bundle).toBe('/b');
    expect(parseArgv(['delete', '-f', 'c1']).flags.force).toBe(true);
    expect(parseArgv(['delete', '--force=false', 'c1']).flags.force).toBe(false);
  });

  it('passes the command of exec through untouched', () => {
    const p = parseArgv(['exec', '-t', 'c1', 'sh', '-c', 'echo --tty']);
    expect(p.flags.tty).toBe(true);
    expect(p.args).toEqual(['c1', 'sh', '-c', 'echo --tty']);
  });

  it('collects repeated list flags and converts ints', () => {
    const p = parseArgv(['exec', '-e', 'A=1', '--env', 'B=2', '--preserve-fds', '2', 'c1', 'true']);
    expect(p.flags.env).toEqual(['A=1', 'B=2']);
    expect(p.flags['preserve-fds']).toBe(2);
  });

  it('takes kill signals as arguments', () => {
    expect(parseArgv(['kill', '--all', 'c1', '9']).args).toEqual(['c1', '9']);
  });

  it('rejects unknown flags, bad values and wrong argument counts with a usage error', () => {
    expect(() => parseArgv(['create', '--bogus', 'c1'])).toThrow(/flag provided but not defined: --bogus of "create"/);
    expect(() => parseArgv(['--bogus', 'list'])).toThrow(UsageError);
    expect(() => parseArgv(['create', '--preserve-fds', 'x', 'c1'])).toThrow(/not an integer/);
    expect(() => parseArgv(['state'])).toThrow(/"state" requires exactly 1 argument\(s\), got 0/);
    expect(() => parseArgv(['state', 'a', 'b'])).toThrow(/exactly 1/);
    expect(() => parseArgv(['frobnicate'])).toThrow(/no such command/);
    expect(() => parseArgv(['create', '--bundle'])).toThrow(/needs an argument/);
  });

  it('parses Go durations', () => {
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('1m30s')).toBe(90000);
    expect(parseDuration('100ms')).toBe(100);
    expect(parseDuration('abc')).toBeUndefined();
  });

  it('lists every visible command in the help, and each command shows its flags', () => {
    const help = mainHelp();
    for (const c of commands.filter((c) => !c.hidden)) {
      expect(help).toContain(`   ${c.name} `);
      const ch = commandHelp(c);
      for (const f of c.flags) expect(ch).toContain(`--${f.name}`);
    }
  });

  it('has the runc command set', () => {
    const names = commands.map((c) => c.name).sort();
    expect(names).toEqual(['checkpoint', 'create', 'delete', 'events', 'exec', 'features', 'init', 'kill', 'list', 'pause', 'ps', 'restore', 'resume', 'run', 'spec', 'start', 'state', 'update']);
  });
});
