// `run`: create + start; in the foreground it also forwards signals to the container, reaps it as a
// child subreaper, exits with its status (128+N for a signal) and deletes it (unless --keep).
import { closeSync } from 'node:fs';
import { listenConsole, proxyTerminal } from '../io/tty.js';
import { sys } from '../sys/index.js';
import { loadBundle } from '../config/load.js';
import { create, type CreateOptions } from './create.js';
import { destroy, start } from './lifecycle.js';
import { SIGNALS } from './signals.js';

export interface RunOptions extends CreateOptions {
  keep?: boolean;
  noSubreaper?: boolean;
}

const FORWARDED = ['HUP', 'INT', 'QUIT', 'TERM', 'USR2', 'WINCH', 'CONT', 'TSTP', 'TTIN', 'TTOU', 'ALRM'] as const;

export async function run(opts: RunOptions): Promise<number> {
  if (opts.detach) {
    create(opts);
    start(opts.store, opts.id);
    return 0;
  }
  const n = sys();
  if (!opts.noSubreaper) n.setSubreaper();
  // Loaded once here: create uses it, and a terminal with no console socket means tsrun is the client
  // and proxies the terminal itself.
  const loaded = loadBundle(opts.bundle);
  opts = { ...opts, loaded };
  const listener = loaded.spec.process?.terminal && !opts.consoleSocket ? listenConsole() : undefined;
  let proxy: { stop(): void } | undefined;
  let rec;
  try {
    rec = create(listener ? { ...opts, consoleSocket: listener.path } : opts);
    if (listener) proxy = proxyTerminal(listener.receive());
  } finally {
    listener?.close();
  }
  const pidfd = n.pidfdOpen(rec.pid);
  const stopForwarding = forwardSignals(pidfd);
  try {
    start(opts.store, opts.id);
    const status = await waitForExit(pidfd);
    return status;
  } catch (e) {
    try { n.pidfdSendSignal(pidfd, 9); } catch {}
    throw e;
  } finally {
    proxy?.stop();
    stopForwarding();
    closeSync(pidfd);
    if (!opts.keep) destroy(opts.store, opts.id, true, opts.log);
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
  let delay = 1;
  for (;;) {
    const w = sys().waitPidfd(pidfd, true);
    if (w) {
      if (w.signal) return 128 + w.signal;
      return w.code ?? 0;
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 50);
  }
}
