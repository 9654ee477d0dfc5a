// Turns a mount's options into what the kernel takes: mount(2) flags, flags to clear, propagation,
// recursive attributes for mount_setattr, filesystem data, and tsrun's own extensions. Pure.
import { MOUNT_ATTR, MS, extensionOptions, idmapOptions, mountFlagOptions, propagationOptions, recursiveAtimeOptions, recursiveOptions } from './tables.js';

export interface ParsedMountOptions {
  flags: number;
  /** Propagation flags, each applied by its own mount(2) call. */
  propagation: number[];
  attrSet: number;
  attrClr: number;
  /** Comma-joined options the kernel's filesystem takes (mode=755, size=...). */
  data: string;
  extensions: string[];
}

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  const out: ParsedMountOptions = { flags: 0, propagation: [], attrSet: 0, attrClr: 0, data: '', extensions: [] };
  const data: string[] = [];
  for (const opt of options) {
    const flag = mountFlagOptions[opt];
    if (flag) {
      const [clear, bit] = flag;
      out.flags = clear ? out.flags & ~bit : out.flags | bit;
      continue;
    }
    if (opt in propagationOptions) {
      out.propagation.push(propagationOptions[opt]);
      continue;
    }
    const rec = recursiveOptions[opt];
    if (rec) {
      const [clear, bit] = rec;
      if (clear) { out.attrClr |= bit; out.attrSet &= ~bit; } else { out.attrSet |= bit; out.attrClr &= ~bit; }
      continue;
    }
    if (opt in recursiveAtimeOptions) {
      out.attrClr |= MOUNT_ATTR._ATIME;
      out.attrSet = (out.attrSet & ~MOUNT_ATTR._ATIME) | recursiveAtimeOptions[opt];
      continue;
    }
    if (extensionOptions.includes(opt) || idmapOptions.includes(opt)) {
      out.extensions.push(opt);
      continue;
    }
    data.push(opt);
  }
  out.data = data.join(',');
  return out;
}

/** Names of the mount(2) flags set in `flags`, for plan listings. */
export function flagNames(flags: number): string {
  const names = Object.entries(MS).filter(([, bit]) => flags & bit).map(([n]) => n.toLowerCase());
  return names.length ? names.join('|') : '0';
}

const ATIME_MODE = MS.NOATIME | MS.RELATIME | MS.STRICTATIME;

/** statfs(2) f_flags (ST_*) as mount(2) flags; neither noatime nor relatime is strictatime. */
export function statfsToMountFlags(st: number): number {
  const map: [number, number][] = [[1, MS.RDONLY], [2, MS.NOSUID], [4, MS.NODEV], [8, MS.NOEXEC], [1024, MS.NOATIME], [2048, MS.NODIRATIME], [4096, MS.RELATIME]];
  let f = 0;
  for (const [bit, ms] of map) if (st & bit) f |= ms;
  return f & (MS.NOATIME | MS.RELATIME) ? f : f | MS.STRICTATIME;
}

/**
 * A bind remount's flags where the kernel locks the source mount's flags (MNT_LOCK_*: a mount a user
 * namespace inherited): it refuses to clear ro, nosuid, nodev, noexec or change the atime mode, so
 * these are kept from the source (runc retries with them), except what the options clear on purpose
 * ("rw", "suid", ...: the kernel's refusal then says so) and the atime mode when the options give one.
 */
export function keepLockedFlags(flags: number, options: readonly string[] = [], source: number): number {
  let cleared = 0;
  let atimeGiven = false;
  for (const opt of options) {
    const f = mountFlagOptions[opt];
    if (!f) continue;
    if (f[0]) cleared |= f[1];
    if (f[1] & (ATIME_MODE | MS.NODIRATIME)) atimeGiven = true;
  }
  let keep = source & (MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC) & ~cleared;
  if (!atimeGiven) keep |= source & (ATIME_MODE | MS.NODIRATIME);
  return flags | keep;
}
