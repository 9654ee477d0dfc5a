// The one error type tsrun reports. The message follows design.md §4:
//   <context>: <what failed> (<config path>): <errno text>[; <hint>]
// where context is e.g. `create c1`. Clients match substrings of runc's wording, so the texts that
// clients parse ("does not exist", "container not running", ...) are kept verbatim.
import { errnoText } from './sys/errno.js';

export interface ErrorFields {
  /** What was being done, e.g. `mount "proc" on /proc`. */
  what: string;
  /** The config.json path that caused it, e.g. `mounts[0]`. */
  configPath?: string;
  errno?: number;
  /** Extra text after the errno, e.g. a path. */
  detail?: string;
  hint?: string;
  /** The step of the launch plan that failed. */
  step?: string;
}

export class TsrunError extends Error {
  context?: string;
  /** The exit status of the command that failed with it (default 1; exec: 255, as runc). */
  exitCode?: number;
  constructor(readonly fields: ErrorFields) {
    super(format(fields));
  }
  /** Prefixes the message with the command and container, once. */
  withContext(context: string): this {
    if (!this.context) {
      this.context = context;
      this.message = `${context}: ${this.message}`;
    }
    return this;
  }
}

function format(f: ErrorFields): string {
  let s = f.what;
  if (f.configPath) s += ` (${f.configPath})`;
  if (f.errno !== undefined) s += `: ${errnoText(f.errno)}`;
  if (f.detail) s += `: ${f.detail}`;
  if (f.hint) s += `; ${f.hint}`;
  return s;
}

/** A plain error with a fixed message (used where runc's exact wording matters). */
export function fail(what: string, extra: Omit<ErrorFields, 'what'> = {}): TsrunError {
  return new TsrunError({ what, ...extra });
}

export const notExist = (id: string) => fail(`container "${id}" does not exist`);
/** runc's wording; the containerd shim maps "container not running" to "process already finished". */
export const notRunning = () => fail('container not running');
