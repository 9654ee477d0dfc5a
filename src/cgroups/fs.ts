// File access inside a cgroup directory. Every write names the config field it comes from, so a value
// the kernel refuses becomes `write "x" to memory.max (linux.resources.memory.limit): invalid argument`.
import { closeSync, constants, openSync, readdirSync, readFileSync, rmdirSync, statSync, writeSync } from '../sys/fs.js';
import { join } from '../sys/path.js';
import { fail, TsrunError } from '../errors.js';
import { errnoNumber } from '../sys/errno.js';

type Trace = (path: string, value: string) => void;
let trace: Trace | undefined;
/** Tests only: observe every write (a regular file keeps just the last one, cgroupfs files do not). */
export function setWriteTrace(fn: Trace | undefined): void {
  trace = fn;
}

export const errCode = (e: unknown): string => (e as NodeJS.ErrnoException)?.code ?? '';

export function sysError(what: string, e: unknown, extra: { configPath?: string; detail?: string; hint?: string } = {}): TsrunError {
  const errno = errnoNumber(errCode(e));
  if (errno === undefined) return fail(what, { ...extra, detail: [extra.detail, (e as Error)?.message].filter(Boolean).join(': ') });
  return fail(what, { ...extra, errno });
}

/** Raw write as runc does it (O_WRONLY|O_TRUNC, never O_CREAT: a missing file is ENOENT). */
export function writeRaw(path: string, value: string): void {
  trace?.(path, value);
  const fd = openSync(path, constants.O_WRONLY | constants.O_TRUNC);
  try {
    writeSync(fd, value);
  } finally {
    closeSync(fd);
  }
}

/** Synchronous short sleep without a busy loop. */
export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class CgroupDir {
  constructor(readonly path: string) {}

  file(name: string): string {
    return join(this.path, name);
  }

  exists(name: string): boolean {
    try {
      statSync(this.file(name));
      return true;
    } catch {
      return false;
    }
  }

  /** Writes value; throws a TsrunError naming the config field. */
  write(name: string, value: string | number | bigint, field: string): void {
    const v = String(value);
    try {
      writeRaw(this.file(name), v);
    } catch (e) {
      const hint = errCode(e) === 'ENOENT' ? `this kernel has no ${name} in ${this.path}` : undefined;
      throw sysError(`write "${v}" to ${name}`, e, { configPath: field, detail: this.path, hint });
    }
  }

  /** Writes value; returns the errno code instead of throwing (for runc's fallbacks). */
  tryWrite(name: string, value: string | number | bigint): string | undefined {
    try {
      writeRaw(this.file(name), String(value));
      return undefined;
    } catch (e) {
      return errCode(e) || 'EIO';
    }
  }

  read(name: string): string {
    try {
      return readFileSync(this.file(name), 'utf8').trim();
    } catch (e) {
      throw sysError(`read ${name}`, e, { detail: this.path });
    }
  }

  readOpt(name: string): string | undefined {
    try {
      return readFileSync(this.file(name), 'utf8').trim();
    } catch {
      return undefined;
    }
  }
}

/** "key value" lines (memory.stat, cpu.stat, memory.events...) as bigints. */
export function keyValues(text: string | undefined): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out.set(k, BigInt(v));
  }
  return out;
}

/** Pids of cgroup.procs in dir and all its sub-cgroups. */
export function allPids(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string) => {
    let text: string;
    try {
      text = readFileSync(join(d, 'cgroup.procs'), 'utf8');
    } catch (e) {
      if (errCode(e) === 'ENOENT') return;
      throw e;
    }
    for (const l of text.split('\n')) if (l.trim()) out.push(Number(l));
    for (const ent of readdirSync(d, { withFileTypes: true })) if (ent.isDirectory()) walk(join(d, ent.name));
  };
  walk(dir);
  return [...new Set(out)].sort((a, b) => a - b);
}

/**
 * Removes a cgroup directory and its sub-cgroups, leaf first (runc's RemovePath). EBUSY (processes
 * still leaving) is retried with doubling waits; onBusy runs before each retry (e.g. to SIGKILL them).
 */
export function removeCgroup(path: string, onBusy?: () => void, tries = 10): void {
  const rmdir = (p: string, retry: boolean): void => {
    let delay = 1;
    for (let i = 0; ; i++) {
      try {
        rmdirSync(p);
        return;
      } catch (e) {
        const code = errCode(e);
        if (code === 'ENOENT') return;
        if (code !== 'EBUSY' || !retry || i >= tries) throw sysError(`remove cgroup ${p}`, e);
        onBusy?.();
        sleepMs(delay);
        delay = Math.min(delay * 2, 200);
      }
    }
  };
  try {
    rmdirSync(path);
    return;
  } catch (e) {
    if (errCode(e) === 'ENOENT') return;
  }
  let entries;
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch (e) {
    if (errCode(e) === 'ENOENT') return;
    throw sysError(`remove cgroup ${path}`, e);
  }
  for (const ent of entries) if (ent.isDirectory()) removeCgroup(join(path, ent.name), onBusy, tries);
  rmdir(path, true);
}
