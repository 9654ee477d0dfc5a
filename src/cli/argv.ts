// A small parser with runc's (Go flag / urfave cli) rules, driven by the table in commands.ts:
// `-x`, `--x`, `--x value`, `--x=value`, bools as `--x` or `--x=false`; global flags before the
// command; `--` ends the flags. Hand-written because start-up time is latency here (see README).
import { commands, globalFlags, type CommandDef, type FlagDef } from './commands.js';

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export interface Parsed {
  globals: FlagValues;
  command?: CommandDef;
  flags: FlagValues;
  args: string[];
}

export class UsageError extends Error {
  constructor(message: string, readonly command?: CommandDef, readonly exitCode = 1) {
    super(message);
  }
}

function lookup(defs: FlagDef[], name: string): FlagDef | undefined {
  return defs.find((f) => f.name === name || f.alias === name);
}

/** Parses `--1m30s`-style Go durations into milliseconds. */
export function parseDuration(s: string): number | undefined {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < s.length) {
    re.lastIndex = at;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * units[m[2]];
    at = re.lastIndex;
  }
  return at > 0 ? total : undefined;
}

function convert(def: FlagDef, raw: string, where: string, cmd?: CommandDef): string | number | boolean {
  switch (def.type) {
    case 'bool':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new UsageError(`invalid boolean value "${raw}" for flag --${def.name}${where}`, cmd);
    case 'int': {
      if (!/^-?\d+$/.test(raw)) throw new UsageError(`invalid value "${raw}" for flag --${def.name}${where}: not an integer`, cmd);
      return Number(raw);
    }
    case 'duration':
      if (parseDuration(raw) === undefined) throw new UsageError(`invalid value "${raw}" for flag --${def.name}${where}: not a duration (e.g. 5s, 100ms)`, cmd);
      return raw;
    default:
      return raw;
  }
}

/**
 * Reads flags from argv starting at i into out. Stops at the first positional argument when
 * stopAtPositional, else collects positionals into args until `passthroughAfter` of them are seen.
 */
function readFlags(argv: string[], i: number, defs: FlagDef[], out: FlagValues, args: string[] | null, cmd?: CommandDef): number {
  const where = cmd ? ` of "${cmd.name}"` : '';
  while (i < argv.length) {
    const word = argv[i];
    if (args && cmd?.passthroughAfter !== undefined && args.length >= cmd.passthroughAfter) {
      args.push(...argv.slice(i));
      return argv.length;
    }
    if (word === '--') {
      if (args) args.push(...argv.slice(i + 1));
      return args ? argv.length : i + 1;
    }
    if (word.length < 2 || word[0] !== '-') {
      if (!args) return i;
      args.push(word);
      i++;
      continue;
    }
    const body = word.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const def = lookup(defs, name);
    if (!def) throw new UsageError(`flag provided but not defined: ${word.slice(0, word.length - body.length)}${name}${where}`, cmd);
    let raw: string;
    if (eq >= 0) raw = body.slice(eq + 1);
    else if (def.type === 'bool') raw = 'true';
    else {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${def.name}${where}`, cmd);
      raw = argv[++i];
    }
    if (def.type === 'list') out[def.name] = [...((out[def.name] as string[] | undefined) ?? []), raw];
    else out[def.name] = convert(def, raw, where, cmd);
    i++;
  }
  return i;
}

export function parseArgv(argv: string[]): Parsed {
  const globals: FlagValues = {};
  let i = readFlags(argv, 0, globalFlags, globals, null);
  const parsed: Parsed = { globals, flags: {}, args: [] };
  if (i >= argv.length) return parsed;
  const name = argv[i];
  const command = commands.find((c) => c.name === name);
  // Exit status 3, as runc's (urfave/cli's "No help topic").
  if (!command) throw new UsageError(`no such command: "${name}" (see tsrun --help)`, undefined, 3);
  parsed.command = command;
  i = readFlags(argv, i + 1, [...command.flags, { name: 'help', alias: 'h', type: 'bool', help: '' }], parsed.flags, parsed.args, command);
  if (parsed.flags.help) return parsed;
  const [min, max] = command.args;
  const n = parsed.args.length;
  if (n < min || (max >= 0 && n > max)) {
    const want = min === max ? `exactly ${min}` : max < 0 ? `at least ${min}` : `${min} to ${max}`;
    throw new UsageError(`"${command.name}" requires ${want} argument(s), got ${n}`, command);
  }
  return parsed;
}

/** The value of a flag, or its default from the table. */
export function flagValue<T extends string | number | boolean | string[]>(values: FlagValues, defs: FlagDef[], name: string): T | undefined {
  if (values[name] !== undefined) return values[name] as T;
  return defs.find((f) => f.name === name)?.default as T | undefined;
}
