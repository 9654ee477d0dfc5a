// Logging as runc does it, because containerd and Podman parse it: with `--log FILE --log-format json`
// one {"level","msg","time"} object per line (the shim shows the last "error" line to its user); with
// text, logrus's `time="..." level=... msg="..."`. Errors also go to stderr as one plain line.
import { openSync, writeSync, closeSync } from '../sys/fs.js';
import { fail } from '../errors.js';
import { errnoNumber } from '../sys/errno.js';

export type Level = 'debug' | 'info' | 'warning' | 'error';

export interface LogOptions {
  file?: string;
  format: 'text' | 'json';
  debug: boolean;
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function formatEntry(level: Level, msg: string, format: 'text' | 'json', time = new Date()): string {
  if (format === 'json') return JSON.stringify({ level, msg, time: rfc3339(time) }) + '\n';
  return `time="${rfc3339(time)}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

export class Logger {
  private fd = -1;
  constructor(readonly opts: LogOptions) {}

  /** Opens --log now (as runc does at start-up): a path that cannot be opened is an error, not silence. */
  open(): this {
    if (this.opts.file && this.fd < 0) {
      try {
        this.fd = openSync(this.opts.file, 'a', 0o644);
      } catch (e) {
        // Not an errno (e.g. the addon behind sys/fs failed to load): its own text, or nothing says why.
        const errno = errnoNumber(String((e as { code?: string }).code));
        throw fail(`open the log file ${this.opts.file}`, { ...(errno ? { errno } : { detail: (e as Error)?.message ?? String(e) }), hint: 'check --log' });
      }
    }
    return this;
  }

  private write(level: Level, msg: string): void {
    const line = formatEntry(level, msg, this.opts.format);
    if (this.opts.file) {
      if (this.fd < 0) this.fd = openSync(this.opts.file, 'a', 0o644);
      writeSync(this.fd, line);
    }
    // Without a log file, stderr is the log: plain lines for people, JSON lines when asked for.
    if (!this.opts.file) writeSync(2, this.opts.format === 'json' ? line : level === 'error' ? `${msg}\n` : `${level}: ${msg}\n`);
    // With a log file only errors are echoed: during create stderr is the container's own stderr.
    else if (level === 'error') writeSync(2, `${msg}\n`);
  }

  error(msg: string): void { this.write('error', msg); }
  warn(msg: string): void { this.write('warning', msg); }
  info(msg: string): void { this.write('info', msg); }
  debug(msg: string): void { if (this.opts.debug) this.write('debug', msg); }
  close(): void { if (this.fd >= 0) closeSync(this.fd); this.fd = -1; }
}
