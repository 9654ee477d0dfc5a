// Where the systemd driver is once loaded. The driver (and its D-Bus client) is loaded only by a
// command that needs it: --systemd-cgroup was given, or the container's record names a unit. The
// lifecycle code is synchronous, so the CLI loads it (a dynamic import) before the command runs.
import type * as Driver from './systemd/driver.js';

let driver: typeof Driver | undefined;

export async function loadSystemdDriver(): Promise<void> {
  driver ??= await import('./systemd/driver.js');
}

/** The loaded driver, or undefined. */
export function systemdDriver(): typeof Driver | undefined {
  return driver;
}

/** Whether a stored container record names a systemd unit (cheap: the CLI asks before loading the driver). */
export function recordNeedsSystemd(rec: { tsrun?: Record<string, unknown> } | undefined): boolean {
  const c = rec?.tsrun?.cgroup as { systemd?: unknown } | undefined;
  return !!c && typeof c === 'object' && !!c.systemd;
}
