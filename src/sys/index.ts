// Loads the addon on first use only: commands that need no syscalls Node lacks never pay for it.
import { createRequire } from 'node:module';
import type { Native } from './native.js';
import { addonPath } from './paths.js';

let native: Native | undefined;

export function sys(): Native {
  if (!native) native = createRequire(__filename)(addonPath()) as Native;
  return native;
}
