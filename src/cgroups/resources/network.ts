// network: v1 net_cls.classid and net_prio.ifpriomap. cgroup v2 has neither (use eBPF): an error there.
import type { LinuxNetwork } from '../../config/gen/config.js';
import { fail } from '../../errors.js';
import { big } from '../values.js';
import { F, type ApplyCtx } from './context.js';

const N = `${F}.network`;

export function setV1(n: LinuxNetwork | undefined, ctx: ApplyCtx): void {
  if (!n) return;
  const classid = big(n.classID) ?? 0n;
  if (classid !== 0n) ctx.dir('net_cls', `${N}.classID`).write('net_cls.classid', classid, `${N}.classID`);
  (n.priorities ?? []).forEach((p, i) => {
    const field = `${N}.priorities[${i}]`;
    ctx.dir('net_prio', field).write('net_prio.ifpriomap', `${p.name} ${p.priority}`, field);
  });
}

export function setV2(n: LinuxNetwork | undefined, _ctx: ApplyCtx): void {
  if (!n) return;
  if ((big(n.classID) ?? 0n) !== 0n || n.priorities?.length) {
    throw fail('cgroup v2 has no net_cls/net_prio controllers', { configPath: N, hint: 'remove linux.resources.network, or run on a cgroup v1 host' });
  }
}
