// The device cgroup rules: linux.resources.devices in order, then runc's default allowed devices
// (libcontainer/specconv AllowedDevices), minus those linux.devices redefines by path, as runc does.
// v1 writes them one by one to devices.allow / devices.deny, which the kernel applies in order exactly
// as the spec reads them. v2 has no such files: device-bpf.ts turns the same rules into an eBPF program.
import type { LinuxDevice, LinuxDeviceCgroup } from '../config/gen/config.js';
import { fail } from '../errors.js';
import type { CgroupDir } from './fs.js';
import { F } from './resources/context.js';

export interface DeviceRule {
  allow: boolean;
  type: 'a' | 'c' | 'b';
  /** -1 = any (*). */
  major: number;
  minor: number;
  access: string;
  /** The default rule's device path, for the dedup against linux.devices. */
  path?: string;
  /** Where the rule comes from, for messages. */
  field?: string;
}

/** runc's AllowedDevices, in runc's order. */
export const DEFAULT_RULES: DeviceRule[] = [
  { allow: true, type: 'c', major: -1, minor: -1, access: 'm' },
  { allow: true, type: 'b', major: -1, minor: -1, access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm', path: '/dev/null' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm', path: '/dev/random' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm', path: '/dev/full' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm', path: '/dev/tty' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm', path: '/dev/zero' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm', path: '/dev/urandom' },
  { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // /dev/net/tun (kept by runc for compatibility)
];

export function deviceRules(rules: LinuxDeviceCgroup[] | undefined, linuxDevices?: LinuxDevice[]): DeviceRule[] {
  const out: DeviceRule[] = (rules ?? []).map((d, i) => {
    const field = `${F}.devices[${i}]`;
    if (!d.access) throw fail(`device access at ${i} field cannot be empty`, { configPath: field });
    // As runc: the letters r, w and m count, in any order; others (such as "a" in "rwa") are ignored.
    const access = ['r', 'w', 'm'].filter((c) => d.access!.includes(c)).join('');
    if (!access) throw fail(`invalid device access "${d.access}": use r, w and m`, { configPath: field });
    return { allow: d.allow, type: d.type ?? 'a', major: d.major === undefined ? -1 : Number(d.major), minor: d.minor === undefined ? -1 : Number(d.minor), access, field };
  });
  const redefined = new Set((linuxDevices ?? []).map((d) => d.path));
  // As runc: the rules apply to a deny-all start (its emulator is a whitelist), so a config with no
  // device rules still gets only the default devices, not every device of the host.
  const base: DeviceRule[] = out[0]?.type === 'a' && !out[0].allow && out[0].access === 'rwm' ? [] : [{ allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' }];
  return [...base, ...out, ...DEFAULT_RULES.filter((r) => !r.path || !redefined.has(r.path))];
}

/** The kernel's v1 syntax: "c 1:3 rwm", "a *:* rwm" ("a" always means every device). */
export function ruleString(r: DeviceRule): string {
  if (r.type === 'a') return `a *:* ${r.access}`;
  const n = (v: number) => (v < 0 ? '*' : String(v));
  return `${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}

export function applyV1(dir: CgroupDir, rules: DeviceRule[]): void {
  for (const r of rules) {
    const field = r.field ?? `${F}.devices (runc's default rule ${ruleString(r)})`;
    dir.write(r.allow ? 'devices.allow' : 'devices.deny', ruleString(r), field);
  }
}
