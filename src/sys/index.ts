// Loads the addon on first use only: commands that need no syscalls Node lacks never pay for it.
import type { Native } from './native.js';
import { addonPath } from './paths.js';

let native: Native | undefined;

export function sys(): Native {
  if (!native) {
    // process.dlopen, not require: Bun's require resolves the path through its module resolver
    // (directory reads) first, ~0.4 ms more.
    const m = { exports: {} as Native };
    process.dlopen(m, addonPath());
    native = m.exports;
  }
  return native;
}
