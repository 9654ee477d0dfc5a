// The runtime-spec `features` document (features.md), built from what tsrun implements (plan/support.ts).
import type { Features } from '../config/gen/features.js';
import { supported } from '../plan/support.js';
import { ACTIONS, ARCHES, FLAGS, OPERATORS, UNSUPPORTED_ACTIONS } from '../seccomp/tables.js';
import { SPEC_VERSION } from '../state/store.js';
import { TSRUN_VERSION } from '../version.js';

export function featuresDocument(): Features {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: SPEC_VERSION,
    hooks: supported.hooks,
    mountOptions: supported.mountOptions,
    linux: {
      namespaces: supported.namespaces,
      capabilities: supported.capabilities,
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      seccomp: {
        enabled: true,
        actions: Object.keys(ACTIONS).filter((a) => !UNSUPPORTED_ACTIONS.has(a)),
        operators: Object.keys(OPERATORS),
        archs: Object.keys(ARCHES),
        knownFlags: Object.keys(FLAGS),
        supportedFlags: Object.keys(FLAGS),
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
      netDevices: { enabled: false },
    },
    annotations: { 'dev.tsrun.version': TSRUN_VERSION },
    potentiallyUnsafeConfigAnnotations: [],
  };
}
