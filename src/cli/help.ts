// Help text generated from the command table, so it always matches what the parser accepts.
import { commands, globalFlags, type CommandDef, type FlagDef } from './commands.js';

function flagLines(flags: FlagDef[]): string[] {
  const left = flags.map((f) => `${f.alias ? `-${f.alias}, ` : '    '}--${f.name}${f.value ? ` ${f.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length), 0) + 3;
  return flags.map((f, i) => `   ${left[i].padEnd(width)}${f.help}${f.default !== undefined && f.type !== 'bool' ? ` (default: ${JSON.stringify(f.default)})` : ''}`);
}

export function mainHelp(): string {
  const visible = commands.filter((c) => !c.hidden);
  const width = Math.max(...visible.map((c) => c.name.length)) + 3;
  return [
    'tsrun: an OCI container runtime with runc\'s command line',
    '',
    'usage: tsrun [global options] <command> [command options] [arguments...]',
    '',
    'commands:',
    ...visible.map((c) => `   ${c.name.padEnd(width)}${c.summary}`),
    '',
    'global options:',
    ...flagLines(globalFlags),
    '',
    'Run `tsrun <command> --help` for the options of a command.',
    '',
  ].join('\n');
}

export function commandHelp(c: CommandDef): string {
  return [
    `tsrun ${c.name}: ${c.summary}`,
    '',
    `usage: tsrun ${c.name}${c.flags.length ? ' [command options]' : ''}${c.usage ? ` ${c.usage}` : ''}`,
    ...(c.flags.length ? ['', 'options:', ...flagLines(c.flags)] : []),
    '',
  ].join('\n');
}
