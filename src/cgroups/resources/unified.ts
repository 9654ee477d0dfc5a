// unified: cgroup v2 file -> value, written as given (one write per line, as runc). Refused on v1.
import type { LinuxUnified } from '../../config/gen/config.js';
import { fail } from '../../errors.js';
import { sysError, type CgroupDir } from '../fs.js';
import { F } from './context.js';

export function checkV1(u: LinuxUnified | undefined): void {
  if (u && Object.keys(u).length) {
    throw fail('invalid configuration: cannot use unified on cgroup v1', { configPath: `${F}.unified`, hint: 'this host uses cgroup v1 for its controllers' });
  }
}

export function setV2(u: LinuxUnified | undefined, dir: CgroupDir, controllers: Set<string>): void {
  for (const [key, value] of Object.entries(u ?? {})) {
    const field = `${F}.unified["${key}"]`;
    if (key.includes('/')) throw fail(`unified resource "${key}" must be a file name (no slashes)`, { configPath: field });
    const [controller, param] = key.split('.', 2);
    if (!param) throw fail(`unified resource "${key}" must be in the form CONTROLLER.PARAMETER`, { configPath: field });
    for (const line of value.split('\n')) {
      if (!line && value !== '') continue;
      const err = dir.tryWrite(key, line);
      if (!err) continue;
      if ((err === 'ENOENT' || err === 'EACCES' || err === 'EPERM') && controller !== 'cgroup' && !controllers.has(controller)) {
        throw fail(`unified resource "${key}" can't be set: controller "${controller}" not available`, { configPath: field });
      }
      throw sysError(`write "${line}" to ${key}`, Object.assign(new Error(err), { code: err }), { configPath: field, detail: dir.path });
    }
  }
}
