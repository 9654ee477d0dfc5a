// runc's wording for a limit that a rootless container has no cgroup for.
import { fail, type TsrunError } from '../errors.js';

/** `dir` is the cgroup the user could not create (or "" when there was none to try). */
export function rootlessLimitError(controller: string, field: string, dir: string): TsrunError {
  return fail(`cannot set ${controller} limit: container could not join or create cgroup`, {
    configPath: field,
    detail: dir || undefined,
    hint: 'tsrun runs rootless and may not write there: remove the limit, or give this user a delegated cgroup (linux.cgroupsPath)',
  });
}
