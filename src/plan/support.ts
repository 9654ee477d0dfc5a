// What the plan builder and tsrun-init really implement. The `features` document is built from this,
// so it only claims what works (Docker reads it: advertising an unimplemented namespace breaks every run).
// Grow these lists in the same change that makes a feature work, with its integration test.
import { CAPABILITIES, NS_FLAGS, extensionOptions, mountFlagOptions, propagationOptions, recursiveAtimeOptions, recursiveOptions, type NamespaceType } from './tables.js';

export const supported = {
  hooks: [] as string[],
  namespaces: [] as NamespaceType[],
  mountOptions: [] as string[],
  capabilities: [] as string[],
};

/** Every option and namespace the tables know, for the day the plan handles all of them. */
export const known = {
  namespaces: Object.keys(NS_FLAGS) as NamespaceType[],
  mountOptions: [...Object.keys(mountFlagOptions), ...Object.keys(propagationOptions), ...Object.keys(recursiveOptions), ...Object.keys(recursiveAtimeOptions), ...extensionOptions].sort(),
  capabilities: CAPABILITIES,
};
