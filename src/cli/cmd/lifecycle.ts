// CLI wrappers of create, run and exec: flags in, lifecycle functions called, errors given their
// context. (start, kill and delete are in control.ts: they need none of create's code.)
import { TsrunError } from '../../errors.js';
import { create, dryRunPlan, type CreateOptions } from '../../lifecycle/create.js';
import { run } from '../../lifecycle/run.js';
import { loadBundle } from '../../config/load.js';
import { validateId } from '../../state/store.js';
import { rootlessCgroups, rootlessEUID } from '../../sys/userns.js';
import { formatPlan } from '../../plan/format.js';
import type { Ctx } from '../context.js';
import { out, withContext } from '../context.js';
import { loadSystemdFor } from '../systemd.js';


function createOptions(ctx: Ctx, detach: boolean): CreateOptions {
  const f = ctx.flags;
  validateId(ctx.args[0]);
  return {
    id: ctx.args[0],
    bundle: String(f.bundle ?? '.'),
    pidFile: f['pid-file'] as string | undefined,
    consoleSocket: f['console-socket'] as string | undefined,
    pidfdSocket: f['pidfd-socket'] as string | undefined,
    noPivot: !!f['no-pivot'],
    noNewKeyring: !!f['no-new-keyring'],
    preserveFds: (f['preserve-fds'] as number | undefined) ?? 0,
    detach,
    systemdCgroup: ctx.globals.systemdCgroup,
    rootlessCgroups: rootlessCgroups(ctx.globals.rootless, ctx.globals.systemdCgroup),
    store: ctx.store,
    log: ctx.log,
  };
}

export async function createCmd(ctx: Ctx): Promise<number> {
  await loadSystemdFor(ctx, false);
  return withContext(ctx, 'create', () => {
    const opts = createOptions(ctx, true);
    if (ctx.flags['dry-run']) {
      const bundle = loadBundle(opts.bundle);
      out(formatPlan(dryRunPlan(bundle, opts)));
      return 0;
    }
    create(opts);
    return 0;
  });
}

export async function runCmd(ctx: Ctx): Promise<number> {
  await loadSystemdFor(ctx, false);
  const opts = { ...createOptions(ctx, !!ctx.flags.detach), keep: !!ctx.flags.keep, noSubreaper: !!ctx.flags['no-subreaper'] };
  try {
    return await run(opts);
  } catch (e) {
    if (e instanceof TsrunError) e.withContext(`run ${opts.id}`);
    throw e;
  }
}

export async function execCmd(ctx: Ctx): Promise<number> {
  const f = ctx.flags;
  const { exec } = await import('../../lifecycle/exec.js');
  // Rootless, a container of the user's systemd is joined through it (AttachProcessesToUnit).
  if (rootlessEUID()) await loadSystemdFor(ctx, true);
  try {
    return await exec({
      id: ctx.args[0],
      store: ctx.store,
      log: ctx.log,
      processFile: f.process as string | undefined,
      args: ctx.args.slice(1),
      cwd: f.cwd as string | undefined,
      env: f.env as string[] | undefined,
      tty: !!f.tty,
      user: f.user as string | undefined,
      additionalGids: f['additional-gids'] as string[] | undefined,
      caps: f.cap as string[] | undefined,
      noNewPrivs: !!f['no-new-privs'],
      apparmor: f.apparmor as string | undefined,
      processLabel: f['process-label'] as string | undefined,
      detach: !!f.detach,
      pidFile: f['pid-file'] as string | undefined,
      consoleSocket: f['console-socket'] as string | undefined,
      pidfdSocket: f['pidfd-socket'] as string | undefined,
      preserveFds: (f['preserve-fds'] as number | undefined) ?? 0,
      ignorePaused: !!f['ignore-paused'],
      cgroup: f.cgroup as string[] | undefined,
    });
  } catch (e) {
    // runc exits 255 when exec itself fails, so the caller can tell it from the process's own status.
    const err = e instanceof TsrunError ? e : new TsrunError({ what: 'exec failed', detail: e instanceof Error ? e.message : String(e) });
    err.exitCode = 255;
    throw err.withContext(`exec ${ctx.args[0]}`);
  }
}
