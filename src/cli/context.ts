// What every command handler gets: parsed flags, the logger and the state store of --root.
import { writeSync } from '../sys/fs.js';
import type { FlagValues } from './argv.js';
import type { Logger } from '../io/log.js';
import { StateStore } from '../state/store.js';
import { TsrunError } from '../errors.js';

export interface Globals {
  root: string;
  /** Where root came from: --root, $XDG_RUNTIME_DIR (rootless), or the default /run/tsrun. */
  rootFrom?: 'flag' | 'xdg' | 'default';
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
  systemdCgroup: boolean;
  rootless: string;
}

export interface Ctx {
  globals: Globals;
  flags: FlagValues;
  args: string[];
  log: Logger;
  store: StateStore;
}

export type Handler = (ctx: Ctx) => number | Promise<number>;

/**
 * Writes to stdout with writeSync: touching process.stdout builds Node's stream machinery (~7-10 ms of
 * start-up). A non-blocking stdout (EAGAIN) is waited on briefly rather than dropped.
 */
export function out(s: string): void {
  stdout.write(s);
}

/** Where `out` writes: fd 1 by default; tests that run handlers in-process swap `write`. */
export const stdout = { write: writeFd1 };

function writeFd1(s: string): void {
  const b = Buffer.from(s);
  for (let off = 0; off < b.length; ) {
    try {
      off += writeSync(1, b, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/** Runs fn, naming the command and container in any TsrunError it throws (`start c1: ...`). */
export function withContext<T>(ctx: Ctx, command: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TsrunError) e.withContext(`${command} ${ctx.args[0] ?? ''}`.trim());
    throw e;
  }
}
