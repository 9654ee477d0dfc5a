// The tsrun command line. Nothing runs at module top level; each command's code is loaded only when
// that command runs (start-up time is every containerd operation's latency).
import { flagValue, parseArgv, UsageError } from './argv.js';
import { globalFlags } from './commands.js';
import { out, type Ctx, type Globals, type Handler } from './context.js';
import { commandHelp, mainHelp } from './help.js';
import { Logger } from '../io/log.js';
import { phase, phaseLines, tracePhases } from '../io/phases.js';
import { StateStore, SPEC_VERSION } from '../state/store.js';
import { TSRUN_COMMIT, TSRUN_VERSION } from '../version.js';

const handlers: Record<string, () => Promise<{ default: Handler }>> = {
  spec: () => import('./cmd/spec.js'),
  state: () => import('./cmd/state.js'),
  list: () => import('./cmd/list.js'),
  features: () => import('./cmd/features.js'),
  create: async () => ({ default: (await import('./cmd/lifecycle.js')).createCmd }),
  start: async () => ({ default: (await import('./cmd/lifecycle.js')).startCmd }),
  kill: async () => ({ default: (await import('./cmd/lifecycle.js')).killCmd }),
  delete: async () => ({ default: (await import('./cmd/lifecycle.js')).deleteCmd }),
  run: async () => ({ default: (await import('./cmd/lifecycle.js')).runCmd }),
  exec: async () => ({ default: (await import('./cmd/lifecycle.js')).execCmd }),
  pause: async () => ({ default: (await import('./cmd/cgroup-cmds.js')).pauseCmd }),
  resume: async () => ({ default: (await import('./cmd/cgroup-cmds.js')).resumeCmd }),
  update: async () => ({ default: (await import('./cmd/cgroup-cmds.js')).updateCmd }),
  events: async () => ({ default: (await import('./cmd/cgroup-cmds.js')).eventsCmd }),
  ps: async () => ({ default: (await import('./cmd/cgroup-cmds.js')).psCmd }),
};

function globalsFrom(values: Record<string, unknown>): Globals {
  const g = <T extends string | boolean>(n: string) => flagValue<T>(values as never, globalFlags, n);
  const format = String(g('log-format'));
  if (format !== 'text' && format !== 'json') throw new UsageError(`invalid --log-format "${format}": use text or json`);
  return {
    root: String(g('root')),
    log: g<string>('log'),
    logFormat: format,
    debug: !!g('debug'),
    systemdCgroup: !!g('systemd-cgroup'),
    rootless: String(g('rootless')),
  };
}

export async function main(argv: string[]): Promise<number> {
  let log = new Logger({ format: 'text', debug: false });
  try {
    const parsed = parseArgv(argv);
    if (parsed.globals.version) {
      out(`tsrun version ${TSRUN_VERSION}\n${TSRUN_COMMIT ? `commit: ${TSRUN_COMMIT}\n` : ''}spec: ${SPEC_VERSION}\n`);
      return 0;
    }
    const cmd = parsed.command;
    if (!cmd || parsed.globals.help) {
      out(mainHelp());
      return 0;
    }
    if (parsed.flags.help) {
      out(commandHelp(cmd));
      return 0;
    }
    const globals = globalsFrom(parsed.globals);
    log = new Logger({ file: globals.log, format: globals.logFormat, debug: globals.debug });
    if (globals.debug) {
      tracePhases();
      phase('JS runtime started, tsrun loaded, arguments parsed');
    }
    const load = handlers[cmd.name];
    const ctx: Ctx = { globals, flags: parsed.flags, args: parsed.args, log, store: new StateStore(globals.root) };
    if (!load) {
      log.error(`${cmd.name}: not implemented yet in tsrun ${TSRUN_VERSION}`);
      return 1;
    }
    const handler = (await load()).default;
    phase(`${cmd.name} loaded`);
    const code = await handler(ctx);
    phase(`${cmd.name} done`);
    return code;
  } catch (e) {
    if (e instanceof UsageError) {
      log.error(`${e.message}\nusage: tsrun ${e.command ? `${e.command.name} --help` : '--help'}`);
      return 1;
    }
    log.error(e instanceof Error ? e.message : String(e));
    if (log.opts.debug && e instanceof Error && e.stack) log.debug(e.stack);
    return 1;
  } finally {
    for (const l of phaseLines()) log.debug(l);
    log.close();
  }
}
