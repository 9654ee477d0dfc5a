// `tsrun list`: every container under --root, as a table, as JSON (null when there are none, as runc
// prints), or ids only with -q.
import { readFileSync } from '../../sys/fs.js';
import { fail } from '../../errors.js';
import { tabwrite } from '../../io/table.js';
import type { PublicState } from '../../state/store.js';
import type { Ctx } from '../context.js';
import { out } from '../context.js';

function userName(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (Number(f[2]) === uid && f[0]) return f[0];
    }
  } catch {}
  return `#${uid}`;
}

export default function list(ctx: Ctx): number {
  const format = String(ctx.flags.format ?? 'table');
  if (format !== 'table' && format !== 'json') throw fail(`invalid format option "${format}": use table or json`);
  const states: PublicState[] = [];
  for (const id of ctx.store.list()) {
    try {
      if (!ctx.store.exists(id)) {
        // What a create killed before its first state.json left: stopped, for delete to remove.
        states.push({ ociVersion: '', id, pid: 0, status: 'stopped', bundle: '', rootfs: '', created: '', owner: userName(ctx.store.ownerUid(id)) });
        continue;
      }
      const rec = ctx.store.read(id);
      states.push({ ...ctx.store.publicState(rec), owner: userName(ctx.store.ownerUid(id)) });
    } catch {
      // A container deleted while we listed: not an error.
    }
  }
  if (ctx.flags.quiet) {
    out(states.map((s) => `${s.id}\n`).join(''));
  } else if (format === 'json') {
    out(JSON.stringify(states.length ? states : null) + '\n');
  } else {
    const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])];
    out(tabwrite(rows));
  }
  return 0;
}
