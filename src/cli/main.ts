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
import { TsrunError } from '../errors.js';
import { DEFAULT_ROOT, defaultRoot, ensureXdgRoot, rootlessEUID } from '../sys/userns.js';
import { errnoText } from '../sys/errno.js';
import { mkdirSync } from '../sys/fs.js';

// Node gets one bundle per group of commands as well (scripts/build.mjs: GROUPS, picked by the Node
// loader dist/tsrun-node.cjs): __TSRUN_GROUP__ is then that group's name, and esbuild drops every other
// group's code (the comparisons fold to false): less to compile per call. The single-file build holds
// the whole CLI (its bytecode is loaded lazily per function).
// (The test is written out in each entry: esbuild folds it only when it sees the literal there.)
declare const __TSRUN_GROUP__: string | undefined;
const only: string | undefined = typeof __TSRUN_GROUP__ === 'string' ? __TSRUN_GROUP__ : undefined;
type Load = () => Promise<{ default: Handler }>;
const handlers: Record<string, Load | undefined> = {
  spec: typeof __TSRUN_GROUP__ === 'undefined' || __TSRUN_GROUP__ === 'spec' ? () => import('./cmd/spec.js') : undefined,
  state: typeof __TSRUN_GROUP__ === 'undefined' || __TSRUN_GROUP__ === 'state' ? () => import('./cmd/state.js') : undefined,
  list: typeof __TSRUN_GROUP__ === 'undefined' || __TSRUN_GROUP__ === 'list' ? () => import('./cmd/list.js') : undefined,
  features: typeof __TSRUN_GROUP__ === 'undefined' || __TSRUN_GROUP__ === 'features' ? () => import('./cmd/features.js') : undefined,
  create: typeof __TSRUN_GROUP__ === 'undefined' || __TSRUN_GROUP__ === 'create' ? async () => ({ default: (await import('./cmd/lifecycle.js')).createCmd }) : undefined,
  run: typeof __TSRUN_GROUP__ === 'undefined' || __TSRUN_GROUP__ === 'create' ? async () => ({ default: (await import('./cmd/lifecycle.js')).runCmd }) : undefined,
  exec: typeof __TSRUN_GROUP__ === 'undefined' || __TSRUN_GROUP__ === 'create' ? async () => ({ default: (await import('./cmd/lifecycle.js')).execCmd }) : undefined,
  start: typeof __TSRUN_GROUP__ === 'undefined' || __TSRUN_GROUP__ === 'control' ? async () => ({ default: (await import('./cmd/control.js')).startCmd }) : undefined,
  kill: typeof __TSRUN_GROUP__ === 'undefined' || __TSRUN_GROUP__ === 'control' ? async () => ({ default: (await import('./cmd/control.js')).killCmd }) : undefined,
  delete: typeof __TSRUN_GROUP__ === 'undefined' || __TSRUN_GROUP__ === 'control' ? async () => ({ default: (await import('./cmd/control.js')).deleteCmd }) : undefined,
  pause: typeof __TSRUN_GROUP__ === 'undefined' || __TSRUN_GROUP__ === 'cgroup' ? async () => ({ default: (await import('./cmd/cgroup-cmds.js')).pauseCmd }) : undefined,
  resume: typeof __TSRUN_GROUP__ === 'undefined' || __TSRUN_GROUP__ === 'cgroup' ? async () => ({ default: (await import('./cmd/cgroup-cmds.js')).resumeCmd }) : undefined,
  update: typeof __TSRUN_GROUP__ === 'undefined' || __TSRUN_GROUP__ === 'cgroup' ? async () => ({ default: (await import('./cmd/cgroup-cmds.js')).updateCmd }) : undefined,
  events: typeof __TSRUN_GROUP__ === 'undefined' || __TSRUN_GROUP__ === 'cgroup' ? async () => ({ default: (await import('./cmd/cgroup-cmds.js')).eventsCmd }) : undefined,
  ps: typeof __TSRUN_GROUP__ === 'undefined' || __TSRUN_GROUP__ === 'cgroup' ? async () => ({ default: (await import('./cmd/cgroup-cmds.js')).psCmd }) : undefined,
};

/**
 * A non-root user without $XDG_RUNTIME_DIR gets runc's default root, /run/tsrun, which only root may
 * write: say what to do instead of a bare "permission denied".
 */
function withRootHint(e: Error, argv: string[]): string {
  const code = (e as NodeJS.ErrnoException).code;
  if ((code !== 'EACCES' && code !== 'EPERM') || !rootlessEUID() || process.env.XDG_RUNTIME_DIR || argv.some((a) => /^--?root(=|$)/.test(a)) || !e.message.includes(DEFAULT_ROOT)) return e.message;
  return `${DEFAULT_ROOT}: ${errnoText(code === 'EACCES' ? 13 : 1)} (${e.message}); tsrun runs as uid ${process.geteuid?.()}: set XDG_RUNTIME_DIR (the state then goes to $XDG_RUNTIME_DIR/tsrun) or give --root a directory this user can write`;
}

/** Commands that never read the state root (runc's spec and features do not make it either). */
const NO_STATE_ROOT = new Set(['spec', 'features']);

/** Thrown by a group bundle for a command it does not hold: entry.ts then runs the whole bundle. */
export class NotInThisBundle extends Error {}

function globalsFrom(values: Record<string, unknown>): Globals {
  const g = <T extends string | boolean>(n: string) => flagValue<T>(values as never, globalFlags, n);
  const format = String(g('log-format'));
  if (format !== 'text' && format !== 'json') throw new UsageError(`invalid --log-format "${format}": use text or json`);
  // As runc: without --root, a non-root user (or root of someone else's user namespace) keeps its
  // state under $XDG_RUNTIME_DIR.
  const root = values.root !== undefined ? { root: String(values.root), xdg: false, given: true } : { ...defaultRoot(), given: false };
  return {
    root: root.root,
    rootFrom: root.given ? 'flag' : root.xdg ? 'xdg' : 'default',
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
    // Errors about the log file itself go to stderr, in the format asked for.
    log = new Logger({ format: globals.logFormat, debug: globals.debug });
    log = new Logger({ file: globals.log, format: globals.logFormat, debug: globals.debug }).open();
    if (globals.debug) {
      tracePhases();
      phase('JS runtime started, tsrun loaded, arguments parsed');
    }
    if (globals.rootFrom === 'xdg') ensureXdgRoot(globals.root);
    // As runc, whose every command but spec and features opens its state root with MkdirAll(root,
    // 0700): a missing root is made (list then prints an empty table), and one the user may not make
    // is the error ("mkdir /run/runc: permission denied"), not an empty answer.
    else if (!NO_STATE_ROOT.has(cmd.name)) mkdirSync(globals.root, { recursive: true, mode: 0o700 });
    const load = handlers[cmd.name];
    if (!load && only) throw new NotInThisBundle(cmd.name);
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
    if (e instanceof NotInThisBundle) throw e;
    if (e instanceof UsageError) {
      log.error(`${e.message}\nusage: tsrun ${e.command ? `${e.command.name} --help` : '--help'}`);
      return e.exitCode;
    }
    log.error(e instanceof Error ? withRootHint(e, argv) : String(e));
    if (log.opts.debug && e instanceof Error && e.stack) log.debug(e.stack);
    return e instanceof TsrunError && e.exitCode !== undefined ? e.exitCode : 1;
  } finally {
    for (const l of phaseLines()) log.debug(l);
    log.close();
  }
}
