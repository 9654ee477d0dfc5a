// Writing a new user namespace's id maps, as runc does (nsexec.c update_uidmap/update_gidmap):
// - setgroups is denied first when a non-root runtime maps only its own gid to 0 (the kernel's
//   condition for an unprivileged gid_map, since Linux 3.19);
// - /proc/<pid>/{uid,gid}_map is written directly (root, or a non-root user mapping only itself);
// - when the kernel refuses that (EPERM: more ids than the caller's own), the setuid helpers
//   newuidmap/newgidmap (package uidmap) write it from /etc/subuid and /etc/subgid: exec'd exactly as
//   runc does, `newuidmap <pid> <inside> <outside> <count>...` with an empty environment. They are
//   the only way for an unprivileged user to map more ids; they are not runtime work done by a tool.
import { createRequire } from 'node:module';
import { existsSync, writeFileSync } from '../sys/fs.js';
import { join } from '../sys/path.js';
import { fail, TsrunError } from '../errors.js';
import { errnoNumber } from '../sys/errno.js';
import type { LinuxIDMapping } from '../config/gen/config.js';

type Kind = 'uid' | 'gid';

export interface IdMapContext {
  /** A non-root runtime (runc's RootlessEUID). */
  rootlessEUID: boolean;
  egid: number;
  gidMappings: LinuxIDMapping[];
}

/** runc's requiresRootOrMappingTool, negated: the gid map is exactly "0 <egid> 1". */
export function mapsOnlyOwnGid(gidMappings: LinuxIDMapping[], egid: number): boolean {
  return gidMappings.length === 1 && Number(gidMappings[0].containerID) === 0 && Number(gidMappings[0].hostID) === egid && Number(gidMappings[0].size) === 1;
}

/** Where runc's exec.LookPath finds the tool: $PATH, and (tsrun needs no PATH: Podman gives none) the usual places. */
export function findTool(name: string, pathEnv = process.env.PATH): string | undefined {
  const dirs = [...(pathEnv ? pathEnv.split(':').filter(Boolean) : []), '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    const p = join(d, name);
    if (d.startsWith('/') && existsSync(p)) return p;
  }
  return undefined;
}

/** argv of newuidmap/newgidmap for a map text ("0 1000 1\n1 100000 65536\n"): runc splits it on spaces and newlines. */
export function toolArgv(tool: string, pid: number, map: string): string[] {
  return [tool, String(pid), ...map.split(/[\n ]+/).filter(Boolean)];
}

export function writeIdMaps(pid: number, maps: { uidMap: string; gidMap: string }, ctx: IdMapContext): void {
  if (ctx.rootlessEUID && mapsOnlyOwnGid(ctx.gidMappings, ctx.egid)) {
    try {
      writeFileSync(`/proc/${pid}/setgroups`, 'deny');
    } catch (e) {
      throw fail('deny setgroups in the user namespace (needed for an unprivileged gid map)', { configPath: 'linux.gidMappings', errno: errnoOf(e) });
    }
  }
  writeIdMap(pid, 'uid', maps.uidMap, ctx.rootlessEUID);
  writeIdMap(pid, 'gid', maps.gidMap, ctx.rootlessEUID);
}

const errnoOf = (e: unknown) => errnoNumber(String((e as { code?: string }).code));

function writeIdMap(pid: number, kind: Kind, map: string, rootless: boolean): void {
  if (!map) return; // runc: no mappings of that kind, nothing written
  const field = `linux.${kind}Mappings`;
  const detail = JSON.stringify(map.trim().split('\n'));
  try {
    writeFileSync(`/proc/${pid}/${kind}_map`, map);
    return;
  } catch (e) {
    const errno = errnoOf(e);
    if (errno !== 1 /* EPERM */) throw mapError(kind, errno, detail, rootless);
  }
  const name = `new${kind}map`;
  const tool = findTool(name);
  if (!tool) {
    throw fail(`write the ${kind} map of the user namespace`, {
      configPath: field, errno: 1, detail,
      hint: rootless
        ? `a non-root user may map only its own ${kind} directly; more ids need ${name} (package uidmap) and this user's ranges in /etc/sub${kind}`
        : 'the kernel takes at most 340 ranges that do not overlap and fit in 32 bits',
    });
  }
  runTool(tool, pid, map, kind, field, detail);
}

function mapError(kind: Kind, errno: number | undefined, detail: string, rootless: boolean): TsrunError {
  return fail(`write the ${kind} map of the user namespace`, {
    configPath: `linux.${kind}Mappings`, errno, detail,
    hint: rootless ? `a non-root user may map its own ${kind}, and with new${kind}map the ranges /etc/sub${kind} gives it` : 'the kernel takes at most 340 ranges that do not overlap and fit in 32 bits',
  });
}

function runTool(tool: string, pid: number, map: string, kind: Kind, field: string, detail: string): void {
  // child_process costs several ms to load: only a create that needs the tool pays for it.
  const { spawnSync } = createRequire(__filename)('node:child_process') as typeof import('node:child_process');
  const argv = toolArgv(tool, pid, map);
  const r = spawnSync(argv[0], argv.slice(1), { env: {}, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 30_000 });
  if (r.status === 0) return;
  const why = (r.stderr ?? '').trim().split('\n').filter(Boolean).pop() ?? (r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`);
  throw fail(`failed to use new${kind} map on ${pid}`, {
    configPath: field, detail: `${detail}: ${tool}: ${why}`,
    hint: `the ranges must be this user's own ${kind} or lie within its entries in /etc/sub${kind}`,
  });
}
