// `run`: create + start; in the foreground it also forwards signals to the container, reaps it as a
// child subreaper, exits with its status (128+N for a signal) and deletes it (unless --keep).
import { closeSync } from '../sys/fs.js';
import { listenConsole, proxyTerminal } from '../io/tty.js';
import { sys } from '../sys/index.js';
import { loadBundle } from '../config/load.js';
import { create, type CreateOptions } from './create.js';
import { destroy, start } from './lifecycle.js';
import { SIGNALS } from './signals.js';
import { phase } from '../io/phases.js';

export interface RunOptions extends CreateOptions {
  keep?: boolean;
  noSubreaper?: boolean;
}

const FORWARDED = ['HUP', 'INT', 'QUIT', 'TERM', 'USR2', 'WINCH', 'CONT', 'TSTP', 'TTIN', 'TTOU', 'ALRM'] as const;

export async function run(opts: RunOptions): Promise<number> {
  if (opts.detach) {
    const rec = create(opts);
    try {
      start(opts.store, opts.id, rec.bundle);
    } catch (e) {
      // As runc: a run whose start fails (a poststart hook) leaves no container behind.
      try { destroy(opts.store, opts.id, true, opts.log, rec.bundle); } catch {}
      throw e;
    }
    return 0;
  }
  const n = sys();
  if (!opts.noSubreaper) n.setSubreaper();
  // Loaded once here: create uses it, and a terminal with no console socket means tsrun is the client
  // and proxies the terminal itself.
  const loaded = loadBundle(opts.bundle);
  phase('bundle loaded and validated');
  opts = { ...opts, loaded };
  const listener = loaded.spec.process?.terminal && !opts.consoleSocket ? listenConsole() : undefined;
  let proxy: { stop(): Promise<void> } | undefined;
  let rec;
  try {
    rec = create(listener ? { ...opts, consoleSocket: listener.path } : opts);
    if (listener) proxy = proxyTerminal(listener.receive());
  } finally {
    listener?.close();
  }
  const pidfd = n.pidfdOpen(rec.pid);
  const stopForwarding = forwardSignals(pidfd);
  // The wait starts before the container does: its worker thread is then ready when the process
  // exits (a short-lived one exits ~1 ms after start; starting the wait after cost ~2 ms).
  const exited = waitForExit(pidfd);
  exited.catch(() => {});
  try {
    // The hooks of run work in the bundle, as runc's run (it chdirs there).
    start(opts.store, opts.id, loaded.dir);
    phase('started');
    const status = await exited;
    phase('exited');
    return status;
  } catch (e) {
    try { n.pidfdSendSignal(pidfd, 9); } catch {}
    throw e;
  } finally {
    await proxy?.stop();
    stopForwarding();
    closeSync(pidfd);
    if (!opts.keep) destroy(opts.store, opts.id, true, opts.log, loaded.dir);
    if (!opts.keep) phase('deleted');
  }
}

/** Forwards the signals a user sends to tsrun to the process behind pidfd; returns the undo. */
export function forwardSignals(pidfd: number): () => void {
  const handlers = FORWARDED.map((name) => {
    const h = () => { try { sys().pidfdSendSignal(pidfd, SIGNALS[name]); } catch {} };
    process.on(`SIG${name}`, h);
    return [`SIG${name}`, h] as const;
  });
  return () => { for (const [sig, h] of handlers) process.off(sig, h); };
}

/** Waits for the process (our child) without blocking the event loop, so forwarded signals get through. */
export async function waitForExit(pidfd: number): Promise<number> {
  const w = await sys().waitPidfdAsync(pidfd);
  return w.signal ? 128 + w.signal : (w.code ?? 0);
}
