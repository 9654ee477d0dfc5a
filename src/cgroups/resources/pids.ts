// pids.max: >=0 as is (0 is a real limit, runtime-spec 1.3), <0 -> max.
import type { LinuxPids } from '../../config/gen/config.js';
import { big, pidsMax } from '../values.js';
import { F, type ApplyCtx } from './context.js';

export function setPids(p: LinuxPids | undefined, ctx: ApplyCtx): void {
  const limit = big(p?.limit);
  if (limit === undefined) return;
  ctx.dir('pids', `${F}.pids.limit`).write('pids.max', pidsMax(limit), `${F}.pids.limit`);
}
