// The systemd driver's entry points, loaded (src/cgroups/systemd-slot.ts) only by commands that use it.
import { fail } from '../../errors.js';
import { statSync } from '../../sys/fs.js';
import { join } from '../../sys/path.js';
import type { HostLayout } from '../detect.js';
import type { CgroupLog, CgroupManager, CgroupOptions, CgroupRecord } from '../types.js';
import { systemdNames } from './names.js';
import { connectSystemd, SystemdManager } from './manager.js';
import { runningInUserNS } from '../../sys/userns.js';

export { connectSystemd } from './manager.js';

function unifiedMount(host: HostLayout): string {
  if (host.mode !== 'v2' || !host.unified) {
    throw fail(`--systemd-cgroup: tsrun's systemd cgroup driver needs cgroup v2 (this host has cgroup ${host.mode})`, {
      configPath: 'linux.cgroupsPath',
      hint: 'run without --systemd-cgroup (the cgroupfs driver handles v1 and hybrid hosts)',
    });
  }
  return host.unified;
}

/** runc's IsRunningSystemd (sd_booted): /run/systemd/system is a directory. */
function systemdBooted(): boolean {
  try {
    return statSync('/run/systemd/system').isDirectory();
  } catch {
    return false;
  }
}

/** The manager of a new container's unit (started at adopt). */
export function newManager(opts: CgroupOptions, host: HostLayout): CgroupManager {
  if (!systemdBooted()) {
    throw fail('--systemd-cgroup: systemd is not running on this host (no /run/systemd/system)', {
      hint: 'the systemd cgroup driver needs a host booted with systemd; run without --systemd-cgroup to manage the cgroup directly',
    });
  }
  const mount = unifiedMount(host);
  if (opts.rootless) {
    // The user's own systemd (runc's rootless systemd driver): the unit goes below that manager's
    // cgroup (/user.slice/user-<uid>.slice/user@<uid>.service), in user.slice by default.
    if (runningInUserNS()) throw fail('--systemd-cgroup: in a user namespace (root of another user\'s), the systemd driver is not supported yet', { hint: 'run without --systemd-cgroup' });
    const n = systemdNames(opts.id, opts.cgroupsPath, true);
    const sd = connectSystemd('user');
    const own = sd.managerProperty('ControlGroup');
    return new SystemdManager({ unit: n.unit, name: n.name, slice: n.slice, path: join(mount, own, n.inner), mount, bus: 'user', annotations: opts.annotations, log: opts.log, systemd: sd });
  }
  const n = systemdNames(opts.id, opts.cgroupsPath, false);
  return new SystemdManager({ unit: n.unit, name: n.name, slice: n.slice, path: join(mount, n.inner), mount, bus: 'system', annotations: opts.annotations, log: opts.log });
}

/** The manager of a stored container whose record names its unit. */
export function storedManager(rec: CgroupRecord, log?: CgroupLog): CgroupManager {
  const u = rec.systemd!;
  return new SystemdManager({ unit: u.unit, slice: '', path: rec.paths[''], bus: u.bus, log, started: true });
}
