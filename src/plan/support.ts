// What the plan builder and tsrun-init really implement. The `features` document is built from this,
// so it only claims what works (Docker reads it: advertising an unimplemented namespace breaks every run).
// Grow these lists in the same change that makes a feature work, with its integration test.
import { CAPABILITIES, extensionOptions, mountFlagOptions, propagationOptions, recursiveAtimeOptions, recursiveOptions, type NamespaceType } from './tables.js';

export const supported = {
  // test/integration/hooks.test.ts
  hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
  // lifecycle, differential and plan tests (time: "a time namespace applies timeOffsets")
  namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'] as NamespaceType[],
  // every option of the tables, and tmpcopyup (test: "tmpcopyup fills the tmpfs")
  mountOptions: [...Object.keys(mountFlagOptions), ...Object.keys(propagationOptions), ...Object.keys(recursiveOptions), ...Object.keys(recursiveAtimeOptions), ...extensionOptions].sort(),
  capabilities: CAPABILITIES,
  // mounts[].uidMappings/gidMappings, idmap/ridmap (features: mountExtensions.idmap.enabled);
  // test/integration/idmap.test.ts
  idmapMounts: true,
};

