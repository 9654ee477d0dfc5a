// `tsrun features`: the layout runc 1.2+ prints (runtime-spec's specs-go/features structs encoded by
// Go's encoding/json with 4-space indent), and a test behind every claim it makes.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Features } from '../../src/config/gen/features.js';
import { validationErrors } from '../../src/config/validate.js';
import { featuresDocument } from '../../src/features/features.js';
import { ROOT, tsrun } from '../helpers/env.js';

// Field order of runtime-spec v1.3.0 specs-go/features (Go encodes struct fields in this order).
const ORDER: Record<string, string[]> = {
  '': ['ociVersionMin', 'ociVersionMax', 'hooks', 'mountOptions', 'linux', 'annotations', 'potentiallyUnsafeConfigAnnotations'],
  linux: ['namespaces', 'capabilities', 'cgroup', 'seccomp', 'apparmor', 'selinux', 'intelRdt', 'memoryPolicy', 'mountExtensions', 'netDevices'],
  'linux.cgroup': ['v1', 'v2', 'systemd', 'systemdUser', 'rdma'],
  'linux.seccomp': ['enabled', 'actions', 'operators', 'archs', 'knownFlags', 'supportedFlags'],
  'linux.apparmor': ['enabled'],
  'linux.selinux': ['enabled'],
  'linux.intelRdt': ['enabled', 'schemata', 'monitoring'],
  'linux.memoryPolicy': ['modes', 'flags'],
  'linux.mountExtensions': ['idmap'],
  'linux.mountExtensions.idmap': ['enabled'],
  'linux.netDevices': ['enabled'],
};
// Lists runc sorts (sort.Strings / slices.Sorted); the others keep runc's own order.
const SORTED = ['mountOptions', 'linux.namespaces', 'linux.seccomp.actions', 'linux.seccomp.operators', 'linux.seccomp.archs', 'linux.memoryPolicy.modes', 'linux.memoryPolicy.flags'];

/**
 * Every `true` in the document and the test that shows it works: [test file, a test title in it].
 * A new `true` fails "each true field has a test" until it is added here with its test.
 */
const EVIDENCE: Record<string, [string, string]> = {
  'linux.cgroup.v1': ['test/integration/cgroups.test.ts', 'creates the cgroup with limits and moves a process into it'], // this host: v1
  'linux.cgroup.v2': ['test/integration/resources.test.ts', 'a 32 MiB container that allocates 64 MiB is OOM-killed'], // in the v2 VM
  'linux.cgroup.systemd': ['test/integration/systemd.test.ts', 'a scope with MemoryMax and TasksMax holds the limits'], // in the systemd VM
  'linux.cgroup.systemdUser': ['test/integration/systemd.test.ts', 'runs the container in a scope of the user'], // in the systemd VM
  'linux.cgroup.rdma': ['test/unit/cgroups-fs.test.ts', 'enables controllers in the parents and converts every resource'],
  'linux.seccomp.enabled': ['test/integration/seccomp.test.ts', 'a rule denying mkdir with EPERM makes mkdir fail'],
  'linux.mountExtensions.idmap.enabled': ['test/integration/idmap.test.ts', 'mounts[].uidMappings/gidMappings shift the owners the container sees'],
  // (This host has no LSM: the plan is what can be tested; without one, security.test.ts shows what happens.)
  'linux.apparmor.enabled': ['test/unit/plan.test.ts', 'applies an AppArmor profile and an SELinux label at exec where the host has them'],
  'linux.selinux.enabled': ['test/unit/plan.test.ts', 'applies an AppArmor profile and an SELinux label at exec where the host has them'],
};
// List entries containerd and kubelet act on, and their tests.
const LIST_EVIDENCE: Record<string, [string, string]> = {
  'mountOptions:rro': ['test/integration/lifecycle.test.ts', 'bind ro, recursive rro/rnosuid via mount_setattr'],
  'mountOptions:tmpcopyup': ['test/integration/lifecycle.test.ts', 'tmpcopyup fills the tmpfs'],
  'linux.seccomp.supportedFlags:*': ['test/integration/seccomp.test.ts', 'each filter flag `features` lists as supported loads'],
  'linux.namespaces:time': ['test/integration/lifecycle.test.ts', 'a time namespace applies timeOffsets'],
  'linux.memoryPolicy:*': ['test/integration/security.test.ts', 'applies ioPriority and memoryPolicy'],
};

function walk(v: unknown, path: string, fn: (path: string, v: unknown) => void): void {
  fn(path, v);
  if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k, fn);
}

describe('tsrun features', () => {
  const doc: Features = featuresDocument();

  it('prints the document as Go does: 4-space indent, one trailing newline, valid against the schema', () => {
    const r = tsrun(['features']);
    expect(r.code).toBe(0);
    // The built CLI has the release version; the source here says 0.0.0-dev.
    const built = JSON.parse(r.stdout) as Features;
    const same = { ...doc, annotations: { ...doc.annotations, 'dev.tsrun.version': built.annotations!['dev.tsrun.version'] } };
    expect(r.stdout).toBe(`${JSON.stringify(same, null, 4)}\n`);
    expect(validationErrors('features', JSON.parse(r.stdout))).toEqual([]);
  });

  it("has runc's field order, no empty lists, sorted lists and annotation keys", () => {
    walk(doc, '', (path, v) => {
      if (Array.isArray(v)) {
        expect(v.length, `${path} is empty: Go's omitempty drops it`).toBeGreaterThan(0);
        if (SORTED.includes(path)) expect(v, `${path} sorted`).toEqual([...v].sort());
      } else if (v && typeof v === 'object' && path !== 'annotations') {
        const order = ORDER[path];
        expect(order, `${path} is not a runtime-spec features object`).toBeDefined();
        const keys = Object.keys(v);
        expect(keys, `${path} fields in runc's order`).toEqual(order.filter((k) => keys.includes(k)));
      }
    });
    const ann = Object.keys(doc.annotations ?? {});
    expect(ann).toEqual([...ann].sort());
    expect(doc.linux!.seccomp!.knownFlags).toEqual(['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']);
    expect(doc.annotations!['io.github.seccomp.libseccomp.version']).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('each true field has a test', () => {
    const trues: string[] = [];
    walk(doc, '', (path, v) => v === true && trues.push(path));
    expect(trues.sort()).toEqual(Object.keys(EVIDENCE).sort());
    for (const [field, [file, title]] of [...Object.entries(EVIDENCE), ...Object.entries(LIST_EVIDENCE)]) {
      const path = join(ROOT, file);
      expect(existsSync(path), `${field}: ${file}`).toBe(true);
      expect(readFileSync(path, 'utf8'), `${field}: ${file} has no test "${title}"`).toContain(title);
    }
  });

  it('claims only the seccomp flags this kernel takes and the arches this libseccomp can add', () => {
    const sc = doc.linux!.seccomp!;
    for (const f of sc.supportedFlags ?? []) expect(sc.knownFlags).toContain(f);
    const strange = featuresDocument({ seccompFlagsSupported: (bits) => bits === 1, seccompArchKnown: (t) => t === 0xc000003e, libseccompVersion: () => '9.9.9' });
    expect(strange.linux!.seccomp!.supportedFlags).toEqual(['SECCOMP_FILTER_FLAG_TSYNC']);
    expect(strange.linux!.seccomp!.archs).toEqual(['SCMP_ARCH_X86_64']);
    expect(strange.annotations!['io.github.seccomp.libseccomp.version']).toBe('9.9.9');
    // Nothing supported: the list goes (omitempty), the struct and `enabled` stay.
    const none = featuresDocument({ seccompFlagsSupported: () => false, seccompArchKnown: () => true, libseccompVersion: () => '2.5.4' });
    expect(Object.keys(none.linux!.seccomp!)).toEqual(['enabled', 'actions', 'operators', 'archs', 'knownFlags']);
  });

  it('says what containerd gates on: rro and idmap mounts (user-namespace pods)', () => {
    expect(doc.mountOptions).toContain('rro');
    expect(doc.linux!.mountExtensions!.idmap!.enabled).toBe(true);
    // As runc: idmap and ridmap are not in mountOptions (runc's "complex" options).
    expect(doc.mountOptions).not.toContain('idmap');
    expect(doc.linux!.apparmor!.enabled).toBe(true);
    expect(doc.linux!.selinux!.enabled).toBe(true);
  });
});
