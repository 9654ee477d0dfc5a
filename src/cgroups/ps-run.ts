// `tsrun ps <id> <ps options>`: like runc, run the host's ps(1) with those options and keep the header
// and the lines whose PID column is one of the container's processes. This is the one place tsrun
// runs an outside tool, because the user asked for that tool's own output format; without options
// (or with runc's default -ef) tsrun builds the same table from /proc itself (ps-table.ts).
import { createRequire } from 'node:module';
import { existsSync } from '../sys/fs.js';
import { fail } from '../errors.js';

/** ps(1) from PATH, or the usual places (Podman calls the runtime without PATH). */
function findPs(): string {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  const found = dirs.map((d) => `${d}/ps`).find((p) => existsSync(p));
  if (!found) throw fail('ps: executable file not found in $PATH', { hint: 'install procps, or run tsrun ps without ps options' });
  return found;
}

export function psWithArgs(args: string[], pids: number[]): string {
  const { spawnSync } = createRequire(__filename)('node:child_process') as typeof import('node:child_process');
  const r = spawnSync(findPs(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw fail(`ps ${args.join(' ')} exited with status ${r.status ?? r.signal}`, { detail: `${r.stdout}${r.stderr}`.trim() });
  const lines = r.stdout.split('\n');
  const pidIndex = lines[0].trim().split(/\s+/).indexOf('PID');
  if (pidIndex < 0) throw fail("couldn't find PID field in ps output", { hint: 'the ps options must keep the PID column' });
  const mine = new Set(pids);
  const kept = lines.slice(1).filter((l) => l.trim() && mine.has(Number(l.trim().split(/\s+/)[pidIndex])));
  return [lines[0], ...kept].join('\n') + '\n';
}
