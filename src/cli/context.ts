// What every command handler gets: parsed flags, the logger and the state store of --root.
import type { FlagValues } from './argv.js';
import type { Logger } from '../io/log.js';
import { StateStore } from '../state/store.js';

export interface Globals {
  root: string;
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

export const out = (s: string) => process.stdout.write(s);
