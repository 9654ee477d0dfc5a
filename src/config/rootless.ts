// runc's checks of a config for a non-root runtime (validate/rootless.go, rootlessEUIDCheck): the
// container needs a user namespace, a new one needs id mappings, and a mount's uid=/gid= option must
// name an id the mappings give (the kernel would refuse it with a bare EINVAL or EPERM).
import type { LinuxIDMapping, Spec } from './gen/config.js';
import { fail } from '../errors.js';

function hostId(maps: LinuxIDMapping[] | undefined, id: number): number | undefined {
  for (const m of maps ?? []) {
    const c = Number(m.containerID), s = Number(m.size);
    if (id >= c && id < c + s) return Number(m.hostID) + id - c;
  }
  return undefined;
}

export function checkRootlessConfig(spec: Spec): void {
  const linux = spec.linux ?? {};
  const namespaces = linux.namespaces ?? [];
  const i = namespaces.findIndex((n) => n.type === 'user');
  const hint = 'tsrun runs as a non-root user; `tsrun spec --rootless` writes a config that maps it';
  if (i < 0) throw fail('rootless container requires user namespaces', { configPath: 'linux.namespaces', hint });
  if (!namespaces[i].path) {
    if (!linux.uidMappings?.length) throw fail('rootless containers requires at least one UID mapping', { configPath: 'linux.uidMappings', hint });
    if (!linux.gidMappings?.length) throw fail('rootless containers requires at least one GID mapping', { configPath: 'linux.gidMappings', hint });
  }
  for (const [j, m] of (spec.mounts ?? []).entries()) {
    for (const opt of m.options ?? []) {
      const [, kind, value] = /^(uid|gid)=(.*)$/.exec(opt) ?? [];
      if (!kind || !/^\d+$/.test(value)) continue; // runc ignores what is not a number
      const maps = kind === 'uid' ? linux.uidMappings : linux.gidMappings;
      if (hostId(maps, Number(value)) === undefined) {
        throw fail(`cannot specify ${opt} mount option for rootless container`, {
          configPath: `mounts[${j}].options`,
          detail: maps?.length ? `${kind === 'uid' ? 'user' : 'group'} namespaces enabled, but no mapping found for ${kind} ${value}` : `user namespaces enabled, but no ${kind === 'uid' ? 'user' : 'group'} mapping found`,
        });
      }
    }
  }
}
