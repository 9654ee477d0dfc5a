// `tsrun features`: what this build of tsrun implements (runtime-spec features.md).
import { featuresDocument } from '../../features/features.js';
import type { Ctx } from '../context.js';
import { out } from '../context.js';

export default function features(_ctx: Ctx): number {
  out(JSON.stringify(featuresDocument(), null, '    ') + '\n');
  return 0;
}
