// The runtime-spec `features` document (features.md), built from what tsrun implements (plan/support.ts),
// in the layout `runc features` prints (runc 1.2+): the fields in the order of runtime-spec's
// specs-go/features structs, empty lists and absent objects left out (Go's omitempty), sorted lists
// where runc sorts them, map keys sorted. containerd reads it: `mountExtensions.idmap.enabled` gates
// idmapped mounts (user-namespace pods), `rro` in mountOptions gates recursive read-only mounts.
// Every `true` and every list entry is backed by a test (test/unit/features.test.ts lists them).
import type { Features, LinuxFeatures } from '../config/gen/features.js';
import { MPOL_FLAGS, MPOL_MODES } from '../plan/process-attrs.js';
import { supported } from '../plan/support.js';
import { ACTIONS, ARCHES, OPERATORS, UNSUPPORTED_ACTIONS } from '../seccomp/tables.js';
import { SPEC_VERSION } from '../state/store.js';
import { sys } from '../sys/index.js';
import type { Native } from '../sys/native.js';
import { TSRUN_VERSION } from '../version.js';

/** runc's order of the seccomp flags (libcontainer/seccomp), with the kernel bits the probe passes. */
export const SECCOMP_FLAG_BITS: ReadonlyArray<[name: string, bits: number]> = [
  ['SECCOMP_FILTER_FLAG_TSYNC', 1 << 0],
  ['SECCOMP_FILTER_FLAG_SPEC_ALLOW', 1 << 2],
  ['SECCOMP_FILTER_FLAG_LOG', 1 << 1],
  // Valid only with SECCOMP_FILTER_FLAG_NEW_LISTENER (tsrun adds it with a notify rule).
  ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', (1 << 5) | (1 << 3)],
];

const sorted = (xs: Iterable<string>) => [...xs].sort();

/** `native` probes the kernel's seccomp flags and libseccomp's arches and version (the addon by default). */
export function featuresDocument(native: Pick<Native, 'seccompFlagsSupported' | 'seccompArchKnown' | 'libseccompVersion'> = sys()): Features {
  const annotations: Record<string, string> = { 'dev.tsrun.version': TSRUN_VERSION, 'io.github.seccomp.libseccomp.version': native.libseccompVersion() };
  const linux: LinuxFeatures = {
    namespaces: sorted(supported.namespaces),
    capabilities: supported.capabilities,
    // systemd, systemdUser: the driver of src/cgroups/systemd/ (system bus; the user's bus, rootless).
    cgroup: { v1: true, v2: true, systemd: true, systemdUser: true, rdma: true },
    seccomp: {
      enabled: true,
      actions: sorted(Object.keys(ACTIONS).filter((a) => !UNSUPPORTED_ACTIONS.has(a))),
      operators: sorted(Object.keys(OPERATORS)),
      // The ones the linked libseccomp knows (it compiles the filter; an unknown arch fails create).
      archs: sorted(Object.keys(ARCHES).filter((a) => native.seccompArchKnown(ARCHES[a].token))),
      knownFlags: SECCOMP_FLAG_BITS.map(([n]) => n),
      // The ones this kernel accepts (runc asks libseccomp, which makes the same probe).
      supportedFlags: SECCOMP_FLAG_BITS.filter(([, bits]) => native.seccompFlagsSupported(bits)).map(([n]) => n),
    },
    // Implementation status, "irrelevant to the availability of AppArmor on the host" (features-linux.md),
    // as runc says: tsrun applies a profile and a label where the host has the LSM.
    apparmor: { enabled: true },
    selinux: { enabled: true },
    intelRdt: { enabled: false },
    memoryPolicy: { modes: sorted(Object.keys(MPOL_MODES)), flags: sorted(Object.keys(MPOL_FLAGS)) },
    mountExtensions: { idmap: { enabled: supported.idmapMounts } },
    netDevices: { enabled: false },
  };
  return omitEmpty({
    ociVersionMin: '1.0.0',
    ociVersionMax: SPEC_VERSION,
    hooks: supported.hooks,
    mountOptions: supported.mountOptions,
    linux,
    annotations: sortedKeys(annotations),
    potentiallyUnsafeConfigAnnotations: [],
  });
}

function sortedKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Go's `omitempty` on these structs: drops null/undefined and empty lists, recursively; `false` and
 * structs stay (a pointer to an empty struct is not omitted), the one map (annotations) goes when empty.
 */
export function omitEmpty<T>(v: T): T {
  if (Array.isArray(v) || !v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const y = omitEmpty(x);
    if (y === undefined || y === null || (Array.isArray(y) && y.length === 0)) continue;
    if (k === 'annotations' && Object.keys(y).length === 0) continue;
    out[k] = y;
  }
  return out as T;
}
