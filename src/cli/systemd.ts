// Loads the systemd cgroup driver for the commands that may need it: with --systemd-cgroup, or when
// the container's record names a unit (delete and update of a container created with it, as runc,
// which keeps the driver choice in its state).
import { loadSystemdDriver, recordNeedsSystemd } from '../cgroups/systemd-slot.js';
import type { Ctx } from './context.js';

export async function loadSystemdFor(ctx: Ctx, fromRecord: boolean): Promise<void> {
  if (ctx.globals.systemdCgroup) return loadSystemdDriver();
  if (!fromRecord || !ctx.args[0]) return;
  let needs = false;
  try {
    needs = recordNeedsSystemd(ctx.store.read(ctx.args[0]));
  } catch {
    return; // the command itself reports a missing or damaged record
  }
  if (needs) await loadSystemdDriver();
}
