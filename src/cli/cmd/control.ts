// CLI wrappers of start, kill and delete: small state transitions, kept apart from create's code so
// these commands load only what they run.
import { destroy, kill, start } from '../../lifecycle/lifecycle.js';
import { parseSignal } from '../../lifecycle/signals.js';
import type { Ctx } from '../context.js';
import { withContext } from '../context.js';
import { loadSystemdFor } from '../systemd.js';

export function startCmd(ctx: Ctx): number {
  return withContext(ctx, 'start', () => { start(ctx.store, ctx.args[0]); return 0; });
}

export function killCmd(ctx: Ctx): number {
  return withContext(ctx, 'kill', () => {
    // Without a signal: the image's stop signal when its config has one (runtime-spec SHOULD), else TERM.
    const stop = ctx.args[1] ?? ctx.store.read(ctx.args[0]).annotations?.['org.opencontainers.image.stopSignal'] ?? 'TERM';
    kill(ctx.store, ctx.args[0], parseSignal(stop), !!ctx.flags.all);
    return 0;
  });
}

export async function deleteCmd(ctx: Ctx): Promise<number> {
  await loadSystemdFor(ctx, true);
  return withContext(ctx, 'delete', () => { destroy(ctx.store, ctx.args[0], !!ctx.flags.force, ctx.log); return 0; });
}
