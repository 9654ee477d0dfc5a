// Every resource of linux.resources, in runc's controller order, for v1 and for v2.
import type { LinuxResources } from '../config/gen/config.js';
import { applyV1 as devicesV1, deviceRules, type DeviceRule } from './devices.js';
import * as blkio from './resources/blkio.js';
import type { ApplyCtx } from './resources/context.js';
import * as cpu from './resources/cpu.js';
import * as hugetlb from './resources/hugetlb.js';
import * as memory from './resources/memory.js';
import * as network from './resources/network.js';
import { setPids } from './resources/pids.js';
import { setRdma } from './resources/rdma.js';
import * as unified from './resources/unified.js';
import type { CgroupDir } from './fs.js';

export function applyV1(r: LinuxResources, ctx: ApplyCtx, rules?: DeviceRule[]): void {
  unified.checkV1(r.unified);
  cpu.setCpusetV1(r.cpu, ctx);
  if (!ctx.updating) {
    try {
      devicesV1(ctx.dir('devices', 'linux.resources.devices'), rules ?? deviceRules(r.devices));
    } catch (e) {
      // As runc: rootless, the devices controller is not expected to work (the user namespace's
      // device access is the host's anyway); every other controller's errors count.
      if (!ctx.rootless) throw e;
    }
  }
  memory.setV1(r.memory, ctx);
  cpu.setV1(r.cpu, ctx);
  setPids(r.pids, ctx);
  blkio.setV1(r.blockIO, ctx);
  hugetlb.setV1(r.hugepageLimits, ctx);
  network.setV1(r.network, ctx);
  setRdma(r.rdma, ctx);
}

export function applyV2(r: LinuxResources, ctx: ApplyCtx, dir: CgroupDir, controllers: Set<string>): void {
  setPids(r.pids, ctx);
  memory.setV2(r.memory, ctx);
  blkio.setV2(r.blockIO, ctx);
  cpu.setV2(r.cpu, ctx);
  if (!ctx.updating && r.devices?.length) ctx.log.debug('linux.resources.devices: not enforced on cgroup v2 yet (needs the eBPF device program)');
  cpu.setCpusetV2(r.cpu, ctx);
  hugetlb.setV2(r.hugepageLimits, ctx);
  setRdma(r.rdma, ctx);
  network.setV2(r.network, ctx);
  unified.setV2(r.unified, dir, controllers);
}
