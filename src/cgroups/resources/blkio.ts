// blockIO: v1 blkio.* (CFQ names, else BFQ's), v2 io.* (io.bfq.weight when BFQ is there, else io.weight
// with runc's conversion; throttles in io.max).
import type { LinuxBlockIO, LinuxThrottleDevice } from '../../config/gen/config.js';
import { big, blkioToIoWeight, dec } from '../values.js';
import { F, type ApplyCtx } from './context.js';

const B = `${F}.blockIO`;
const THROTTLES = [
  ['throttleReadBpsDevice', 'read_bps_device', 'rbps'],
  ['throttleWriteBpsDevice', 'write_bps_device', 'wbps'],
  ['throttleReadIOPSDevice', 'read_iops_device', 'riops'],
  ['throttleWriteIOPSDevice', 'write_iops_device', 'wiops'],
] as const;

const dev = (d: { major: unknown; minor: unknown }) => `${dec(d.major as number)}:${dec(d.minor as number)}`;

export function setV1(b: LinuxBlockIO | undefined, ctx: ApplyCtx): void {
  if (!b) return;
  const weight = big(b.weight) ?? 0n;
  const leaf = big(b.leafWeight) ?? 0n;
  const needWeightFiles = weight !== 0n || (b.weightDevice ?? []).some((w) => (big(w.weight) ?? 0n) !== 0n);
  let weightFile = 'blkio.weight';
  let weightDeviceFile = 'blkio.weight_device';
  if (needWeightFiles) {
    // Kernels without CFQ (5.0+) have BFQ's names, when BFQ is loaded. With neither, runc fails on the write.
    const dir = ctx.dir('blkio', B);
    if (!dir.exists('blkio.weight')) {
      weightFile = 'blkio.bfq.weight';
      weightDeviceFile = 'blkio.bfq.weight_device';
    }
  }
  if (weight !== 0n) ctx.dir('blkio', `${B}.weight`).write(weightFile, weight, `${B}.weight`);
  if (leaf !== 0n) ctx.dir('blkio', `${B}.leafWeight`).write('blkio.leaf_weight', leaf, `${B}.leafWeight`);
  (b.weightDevice ?? []).forEach((wd, i) => {
    const field = `${B}.weightDevice[${i}]`;
    if ((big(wd.weight) ?? 0n) !== 0n) ctx.dir('blkio', field).write(weightDeviceFile, `${dev(wd)} ${dec(wd.weight!)}`, field);
    if ((big(wd.leafWeight) ?? 0n) !== 0n) ctx.dir('blkio', field).write('blkio.leaf_weight_device', `${dev(wd)} ${dec(wd.leafWeight!)}`, field);
  });
  for (const [key, file] of THROTTLES) {
    (b[key] ?? []).forEach((td: LinuxThrottleDevice, i: number) => {
      const field = `${B}.${key}[${i}]`;
      ctx.dir('blkio', field).write(`blkio.throttle.${file}`, `${dev(td)} ${dec(td.rate)}`, field);
    });
  }
}

export function setV2(b: LinuxBlockIO | undefined, ctx: ApplyCtx): void {
  if (!b) return;
  const weight = big(b.weight) ?? 0n;
  if ((big(b.leafWeight) ?? 0n) !== 0n) ctx.log.warn(`${B}.leafWeight is ignored on cgroup v2 (no such knob), as runc does`);
  const devWeights = b.weightDevice ?? [];
  let bfq: string | undefined;
  if (weight !== 0n || devWeights.length) bfq = ctx.dir('io', B).readOpt('io.bfq.weight');
  if (weight !== 0n) {
    const dir = ctx.dir('io', `${B}.weight`);
    if (bfq !== undefined) dir.write('io.bfq.weight', weight, `${B}.weight`);
    else dir.write('io.weight', blkioToIoWeight(weight), `${B}.weight`);
  }
  // io.bfq.weight takes per-device weights when it reads "default N" (kernel 5.4+), not a bare number.
  const perDevice = bfq !== undefined && !/^\d+$/.test(bfq);
  devWeights.forEach((wd, i) => {
    const field = `${B}.weightDevice[${i}]`;
    if (!perDevice) {
      if ((big(wd.weight) ?? 0n) !== 0n) ctx.log.warn(`${field} is ignored: this kernel has no per-device io.bfq.weight`);
      return;
    }
    if ((big(wd.weight) ?? 0n) !== 0n) ctx.dir('io', field).write('io.bfq.weight', `${dev(wd)} ${dec(wd.weight!)}`, field);
  });
  for (const [key, , name] of THROTTLES) {
    (b[key] ?? []).forEach((td: LinuxThrottleDevice, i: number) => {
      const field = `${B}.${key}[${i}]`;
      ctx.dir('io', field).write('io.max', `${dev(td)} ${name}=${dec(td.rate)}`, field);
    });
  }
}
