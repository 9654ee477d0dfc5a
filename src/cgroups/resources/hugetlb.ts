// hugepageLimits: hugetlb.<size>.limit_in_bytes (v1) / hugetlb.<size>.max (v2), plus the .rsvd twin
// when the kernel has it (5.7+).
import type { LinuxHugepageLimit } from '../../config/gen/config.js';
import { dec } from '../values.js';
import { F, type ApplyCtx } from './context.js';

function set(limits: LinuxHugepageLimit[] | undefined, ctx: ApplyCtx, suffix: string): void {
  let skipRsvd = false;
  (limits ?? []).forEach((l, i) => {
    const field = `${F}.hugepageLimits[${i}]`;
    const dir = ctx.dir('hugetlb', field);
    const prefix = `hugetlb.${l.pageSize}`;
    dir.write(`${prefix}${suffix}`, dec(l.limit), field);
    if (skipRsvd) return;
    const err = dir.tryWrite(`${prefix}.rsvd${suffix}`, dec(l.limit));
    if (err === 'ENOENT') skipRsvd = true;
    else if (err) dir.write(`${prefix}.rsvd${suffix}`, dec(l.limit), field);
  });
}

export const setV1 = (l: LinuxHugepageLimit[] | undefined, ctx: ApplyCtx) => set(l, ctx, '.limit_in_bytes');
export const setV2 = (l: LinuxHugepageLimit[] | undefined, ctx: ApplyCtx) => set(l, ctx, '.max');
