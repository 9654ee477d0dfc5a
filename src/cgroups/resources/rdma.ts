// rdma.max: "<device> hca_handle=N hca_object=M" (same on v1 and v2).
import type { LinuxResources } from '../../config/gen/config.js';
import { F, type ApplyCtx } from './context.js';

export function setRdma(rdma: LinuxResources['rdma'], ctx: ApplyCtx): void {
  for (const [device, l] of Object.entries(rdma ?? {})) {
    const field = `${F}.rdma.${device}`;
    let line = device;
    if (l.hcaHandles !== undefined) line += ` hca_handle=${l.hcaHandles}`;
    if (l.hcaObjects !== undefined) line += ` hca_object=${l.hcaObjects}`;
    ctx.dir('rdma', field).write('rdma.max', line, field);
  }
}
