// Turns a failure report from tsrun-init ({step, errno, detail}) into the message a user (and a
// client matching on words) needs: the step in words, the config field, errno text and a hint.
import { TsrunError } from '../errors.js';
import type { Step } from '../plan/build.js';
import { HookKind } from '../plan/ops.gen.js';

const ENOENT = 2;
const EACCES = 13;
const EPERM = 1;

export function initError(steps: Step[], step: number, errno: number, detail: string): TsrunError {
  const s = steps[step];
  if (!s) return new TsrunError({ what: `tsrun-init failed at step ${step}`, errno, detail });
  const op = s.op;
  if (op.op === 'exec_lookup') {
    // Docker and Podman turn these exact words into exit codes 127 and 126.
    const file = String(op.file);
    if (errno === ENOENT && detail === 'not-found-in-path') {
      const noPath = !op.pathEnv.length;
      return new TsrunError({ what: `exec: "${file}": executable file not found in $PATH`, configPath: s.configPath, hint: noPath ? 'the process has no PATH in its environment (process.env): give one, or an absolute path' : undefined });
    }
    if (errno === ENOENT) return new TsrunError({ what: `exec: "${file}": stat ${file}`, errno, configPath: s.configPath });
    return new TsrunError({ what: `exec: "${file}"`, errno, configPath: s.configPath });
  }
  if (op.op === 'run_hook' && errno === 0) {
    // A hook that ran and failed: said as for the hooks the runtime runs itself.
    const kind = op.kind === HookKind.createContainer ? 'createContainer' : 'startContainer';
    const how = /^exit (\d+)$/.exec(detail) ? `exited with status ${detail.slice(5)}` : /^signal (\d+)$/.test(detail) ? `was killed by signal ${detail.slice(7)}` : detail;
    return new TsrunError({ what: `${kind} hook ${String(op.path)} ${how}`, configPath: s.configPath });
  }
  if (op.op === 'run_hook' && detail === 'timeout') {
    const kind = op.kind === HookKind.createContainer ? 'createContainer' : 'startContainer';
    return new TsrunError({ what: `${kind} hook ${String(op.path)} timed out after ${op.timeout}s and was killed`, configPath: s.configPath });
  }
  const fields = { what: s.what, configPath: s.configPath, errno, detail: detail && !s.what.includes(detail) ? detail : undefined } as const;
  return new TsrunError({ ...fields, hint: hintFor(s, errno, detail) });
}

function hintFor(s: Step, errno: number, detail = ''): string | undefined {
  const op = s.op;
  if (op.op === 'mount' && errno === EPERM && op.fstype === 'proc') return 'mounting proc needs a new pid namespace (linux.namespaces)';
  if (op.op === 'mount' && errno === EPERM && op.fstype === 'sysfs') return 'mounting sysfs in a user namespace needs a new network namespace';
  if (op.op === 'mknod' && detail.startsWith('exists-not-this-device')) return 'a different file is already at that path in the root filesystem';
  if (op.op === 'chdir' && errno === ENOENT) return 'the directory must exist in the root filesystem';
  if (op.op === 'set_user' && errno === 22) return 'the uid or gid is not mapped in the user namespace';
  if (errno === EACCES && (op.op === 'mount' || op.op === 'open_root' || op.op === 'chdir')) return 'every directory on the way must be searchable by the container\'s root (in a user namespace, the mapped host uid)';
  if (op.op === 'open_root' && errno === ENOENT) return 'root.path is relative to the bundle directory';
  if (errno === EACCES && op.op === 'exec') return 'is the file executable by the container user?';
  return undefined;
}
