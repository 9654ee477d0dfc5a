// Idmapped bind mounts (mounts[].uidMappings/gidMappings, the `idmap` and `ridmap` options), as runc
// 1.2 does them: the source tree is cloned on the host (hold_tree), MOUNT_ATTR_IDMAP is set on the
// clone with a user namespace carrying the mappings (idmap_tree), and the clone is attached at the
// destination. The mappings are the mount's own; without them (the option alone), those of the
// container's user namespace: a namespace joined by path is used itself, a new one's mappings go
// into a user namespace made for the mount (the ids are what matters, not which namespace has them).
// `ridmap` maps every mount of an rbind tree, `idmap` (or mappings alone) the top one. Pure.
import type { LinuxIDMapping, Mount, Spec } from '../config/gen/config.js';
import { fail } from '../errors.js';
import type { Op_idmap_tree } from './ops.gen.js';

export interface MountIdmap {
  /** The user namespace to use as is (the container's, joined by path); else made from the maps. */
  usernsPath: string;
  uidMap: string;
  gidMap: string;
  recursive: boolean;
  /** The field the mappings come from. */
  configPath: string;
}

const lines = (maps: LinuxIDMapping[] | undefined) => (maps ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');

/** The id mapping of mount `path` (mounts[i]), or undefined when it is not idmapped. Throws on what runc refuses. */
export function mountIdmap(spec: Spec, m: Mount, path: string, isBind: boolean): MountIdmap | undefined {
  const opts = m.options ?? [];
  const recursive = opts.includes('ridmap');
  const option = recursive ? 'ridmap' : opts.includes('idmap') ? 'idmap' : undefined;
  const own = !!(m.uidMappings?.length || m.gidMappings?.length);
  if (!option && !own) return undefined;
  if (!isBind) throw fail('idmapped mounts are only supported for bind mounts', { configPath: own ? `${path}.uidMappings` : `${path}.options`, hint: 'add "bind" or "rbind" to the options' });
  if (own) {
    if (!m.uidMappings?.length || !m.gidMappings?.length) throw fail('an idmapped mount needs both uidMappings and gidMappings', { configPath: `${path}.${m.uidMappings?.length ? 'gidMappings' : 'uidMappings'}` });
    return { usernsPath: '', uidMap: lines(m.uidMappings), gidMap: lines(m.gidMappings), recursive, configPath: `${path}.uidMappings` };
  }
  const userns = spec.linux?.namespaces?.find((n) => n.type === 'user');
  if (!userns) {
    throw fail(`the ${option} mount option takes the mappings of the container's user namespace, and there is none`, { configPath: `${path}.options`, hint: `give ${path}.uidMappings and gidMappings, or add {"type": "user"} to linux.namespaces` });
  }
  if (userns.path) return { usernsPath: userns.path, uidMap: '', gidMap: '', recursive, configPath: `${path}.options` };
  return { usernsPath: '', uidMap: lines(spec.linux?.uidMappings), gidMap: lines(spec.linux?.gidMappings), recursive, configPath: 'linux.uidMappings' };
}

/** The idmap_tree step for a tree held in `slot`. */
export function idmapStep(idm: MountIdmap, slot: number, source: string): { op: Op_idmap_tree; what: string; configPath: string } {
  const how = idm.usernsPath ? `the user namespace ${idm.usernsPath}` : `uid map "${idm.uidMap.trim().replace(/\n/g, ', ')}", gid map "${idm.gidMap.trim().replace(/\n/g, ', ')}"`;
  return {
    op: { op: 'idmap_tree', slot, usernsPath: idm.usernsPath, uidMap: idm.uidMap, gidMap: idm.gidMap, recursive: idm.recursive ? 1 : 0 },
    what: `id-map ${idm.recursive ? 'every mount of ' : ''}the tree of ${source} (${how})`,
    configPath: idm.configPath,
  };
}
