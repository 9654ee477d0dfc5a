// `tsrun state <id>`: the state document, pretty-printed as runc prints it.
import type { Ctx } from '../context.js';
import { out } from '../context.js';

export default function state(ctx: Ctx): number {
  const rec = ctx.store.read(ctx.args[0]);
  out(JSON.stringify(ctx.store.publicState(rec), null, '  ') + '\n');
  return 0;
}
