// Config fields tsrun accepts but does not apply yet. create warns about each one present, so a
// container is never less confined than its config says without the user being told. Remove an
// entry in the same change that implements it.
import type { Spec } from '../config/gen/config.js';

export interface NotApplied { path: string; text: string }

const checks: [string, (s: Spec) => unknown][] = [
  ['linux.netDevices', (s) => s.linux?.netDevices && Object.keys(s.linux.netDevices).length],
];

/** Fields of this config that tsrun will not apply. */
export function notApplied(spec: Spec): NotApplied[] {
  return checks.filter(([, has]) => has(spec)).map(([path]) => ({ path, text: `${path} is not applied by this version of tsrun` }));
}
