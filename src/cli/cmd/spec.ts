// `tsrun spec`: writes a starting config.json into the bundle directory (never over an existing one).
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultSpec, rootlessSpec } from '../../config/default-spec.js';
import { fail } from '../../errors.js';
import type { Ctx } from '../context.js';

export default function spec(ctx: Ctx): number {
  const dir = resolve(String(ctx.flags.bundle ?? '.'));
  const path = join(dir, 'config.json');
  if (existsSync(path)) throw fail(`File ${path} exists. Remove it first`);
  const doc = ctx.flags.rootless ? rootlessSpec(process.getuid!(), process.getgid!()) : defaultSpec();
  writeFileSync(path, JSON.stringify(doc, null, '\t') + '\n', { flag: 'wx', mode: 0o666 });
  return 0;
}
